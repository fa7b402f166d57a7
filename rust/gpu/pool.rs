//! The launchers of the pooling kernels (`shaders/pool_*.wgsl`): max and min pooling with indices,
//! average pooling, and their gradients, with the geometry and results of [`crate::cpu::pool`].
//!
//! Planes are independent, so a batch larger than one buffer binding (128 MiB on lavapipe by
//! default) runs in chunks of whole planes, each within the limit; only a single plane larger than
//! a binding raises ValueError naming device='cpu'. Indices travel as i32 (an input plane holds
//! fewer than 2^31 samples) and are widened to torch's int64 on the host.

use crate::cpu::pool::{self, Extreme, Planes};
use crate::error::{value_error, Error, Result};
use crate::gpu::context::{Gpu, Shader};
use crate::gpu::correlate::{gpu_for, GpuElement};
use crate::gpu::resident::{DeviceArray, Dtype, Stored};
use crate::params::PoolParams;
use bytemuck::{Pod, Zeroable};

macro_rules! pool_shader {
    ($name:literal) => {
        Shader {
            name: $name,
            source: concat!(
                include_str!(concat!("shaders/", $name, ".wgsl")),
                include_str!("shaders/pool_params.wgsl")
            ),
        }
    };
}

const EXTREME: Shader = pool_shader!("pool_extreme");
const EXTREME_BACKWARD: Shader = pool_shader!("pool_extreme_backward");
const AVG: Shader = pool_shader!("pool_avg");
const AVG_BACKWARD: Shader = pool_shader!("pool_avg_backward");

/// Invocations per workgroup in every pooling kernel.
const GROUP: usize = 256;

/// The shaders' `Params` (`shaders/pool_params.wgsl`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct PoolUniform {
    count: u32,
    h: i32,
    w: i32,
    oh: i32,
    ow: i32,
    kh: i32,
    kw: i32,
    sh: i32,
    sw: i32,
    ph: i32,
    pw: i32,
    dh: i32,
    dw: i32,
    flag: u32,
    divisor: u32,
    groups_x: u32,
    end_h: i32,
    end_w: i32,
    pad: [u32; 2],
}

fn small(v: usize, what: &str) -> Result<i32> {
    i32::try_from(v)
        .map_err(|_| Error::Value(format!("{what} {v} is too large for the GPU kernels")))
}

impl PoolUniform {
    fn new(planes: Planes, p: &PoolParams, (oh, ow): (usize, usize), flag: bool) -> Result<Self> {
        Ok(PoolUniform {
            count: small(planes.count, "planes")? as u32,
            h: small(planes.h, "input height")?,
            w: small(planes.w, "input width")?,
            oh: small(oh, "output height")?,
            ow: small(ow, "output width")?,
            kh: small(p.h.kernel, "kernel_size")?,
            kw: small(p.w.kernel, "kernel_size")?,
            sh: small(p.h.stride, "stride")?,
            sw: small(p.w.stride, "stride")?,
            ph: small(p.h.padding, "padding")?,
            pw: small(p.w.padding, "padding")?,
            dh: small(p.h.dilation, "dilation")?,
            dw: small(p.w.dilation, "dilation")?,
            flag: flag as u32,
            divisor: 0,
            groups_x: 1,
            end_h: small(planes.h + p.h.padding, "input height")?,
            end_w: small(planes.w + p.w.padding, "input width")?,
            pad: [0; 2],
        })
    }

    /// Average pooling's `divisor_override` (0 for none).
    fn with_divisor(mut self, divisor: Option<usize>) -> Result<Self> {
        self.divisor = small(divisor.unwrap_or(0), "divisor_override")? as u32;
        Ok(self)
    }
}

/// One dispatch of `shader` over `n` invocations: `u` at binding 0, then `inputs`, then
/// `outputs` (new buffers of the given lengths, in elements of 4 or 8 bytes); returns the outputs.
fn launch<T: GpuElement>(
    gpu: &Gpu,
    shader: Shader,
    mut u: PoolUniform,
    n: usize,
    inputs: &[&wgpu::Buffer],
    outputs: &[(&str, usize, usize)],
) -> Result<Vec<wgpu::Buffer>> {
    let grid = gpu.flat_grid(n, GROUP);
    u.groups_x = grid[0];
    let pipeline = gpu.pipeline(shader, "main", T::WGSL, &[])?;
    let ubuf = gpu.uniform(&u)?;
    let outs = outputs
        .iter()
        .map(|&(label, len, size)| gpu.output::<u8>(label, len * size))
        .collect::<Result<Vec<_>>>()?;
    let mut bound: Vec<&wgpu::Buffer> = vec![&ubuf];
    bound.extend(inputs);
    bound.extend(outs.iter());
    gpu.dispatch(&pipeline, &bound, grid)?;
    Ok(outs)
}

/// A part of a batch of planes that one launch takes: the planes `p0..p1` whole or, of the plane
/// `p0` alone (one larger than a binding), the output rows `rows`, which read the input rows
/// `inputs` (the rows their windows reach, clipped to the plane). Either way the piece's input and
/// output are contiguous runs of the batch's arrays.
#[derive(Debug, Clone, Copy)]
struct Piece {
    p0: usize,
    p1: usize,
    rows: (usize, usize),
    inputs: (usize, usize),
}

impl Piece {
    fn banded(&self, planes: Planes) -> bool {
        self.inputs != (0, planes.h)
    }

    /// The piece's samples of the input planes.
    fn input(&self, planes: Planes) -> std::ops::Range<usize> {
        let plane = planes.plane_len();
        self.p0 * plane + self.inputs.0 * planes.w..(self.p1 - 1) * plane + self.inputs.1 * planes.w
    }

    /// The piece's samples of the output planes of `(oh, ow)`.
    fn output(&self, (oh, ow): (usize, usize)) -> std::ops::Range<usize> {
        let plane = oh * ow;
        self.p0 * plane + self.rows.0 * ow..(self.p1 - 1) * plane + self.rows.1 * ow
    }

    /// The kernels' parameters for the piece: those of its planes, with a band's rows as a
    /// plane of their own whose window offset and padded end are the band's.
    fn uniform(
        &self,
        planes: Planes,
        p: &PoolParams,
        shape: (usize, usize),
        flag: bool,
    ) -> Result<PoolUniform> {
        let part = Planes {
            count: self.p1 - self.p0,
            ..planes
        };
        let mut u = PoolUniform::new(part, p, shape, flag)?;
        if self.banded(planes) {
            let (i0, i1) = self.inputs;
            u.h = small(i1 - i0, "input rows")?;
            u.oh = small(self.rows.1 - self.rows.0, "output rows")?;
            // window starts and the padded end, counted from the band's first input row
            u.ph = small(p.h.padding + i0, "padding")? - small(self.rows.0 * p.h.stride, "rows")?;
            u.end_h = small(planes.h + p.h.padding, "input height")? - small(i0, "input rows")?;
        }
        Ok(u)
    }
}

/// The GPU for `T` and the pieces of `planes` pooled to `(oh, ow)`: as many whole planes per
/// launch as fit one binding, or, for planes larger than one, bands of output rows with their
/// input rows; ValueError when not even one output row's input rows fit.
fn pieces<T: GpuElement>(
    planes: Planes,
    p: &PoolParams,
    (oh, ow): (usize, usize),
) -> Result<(&'static Gpu, Vec<Piece>)> {
    let gpu = gpu_for::<T>()?;
    let cap = gpu.max_binding_bytes() as usize / std::mem::size_of::<T>();
    let largest = planes.plane_len().max(oh * ow).max(1);
    let whole = |p0, p1| Piece {
        p0,
        p1,
        rows: (0, oh),
        inputs: (0, planes.h),
    };
    if largest <= cap {
        let per = (cap / largest).clamp(1, planes.count.max(1));
        let runs = (0..planes.count).step_by(per);
        return Ok((
            gpu,
            runs.map(|p0| whole(p0, planes.count.min(p0 + per)))
                .collect(),
        ));
    }
    let h = p.h;
    let reach = (h.kernel - 1) * h.dilation;
    let in_rows = cap / planes.w.max(1);
    let rows = if in_rows > reach {
        (in_rows - reach - 1) / h.stride + 1
    } else {
        0
    };
    let rows = rows.min(cap / ow.max(1)).min(oh);
    if rows == 0 {
        return value_error!(
            "one band of output rows of this pooling (input rows of {} samples, {} of them for \
             one output row) is larger than one GPU buffer binding ({} bytes); use device='cpu'",
            planes.w,
            reach + 1,
            gpu.max_binding_bytes()
        );
    }
    let mut out = Vec::new();
    for plane in 0..planes.count {
        for r0 in (0..oh).step_by(rows) {
            let r1 = oh.min(r0 + rows);
            // torch's padding is at most half a window: every window reaches into the plane
            let start = (r0 * h.stride).saturating_sub(h.padding);
            let end = ((r1 - 1) * h.stride + reach + 1).saturating_sub(h.padding);
            out.push(Piece {
                p0: plane,
                p1: plane + 1,
                rows: (r0, r1),
                inputs: {
                    let i0 = start.min(planes.h - 1);
                    (i0, end.clamp(i0 + 1, planes.h))
                },
            });
        }
    }
    Ok((gpu, out))
}

/// Max or min pooling with indices on the GPU, as [`crate::cpu::pool::extreme_pool_indices`].
pub fn extreme_pool_indices<T: GpuElement + num_traits::Float>(
    x: &[T],
    planes: Planes,
    p: &PoolParams,
    kind: Extreme,
    out: &mut [T],
    indices: &mut [i64],
) -> Result<()> {
    let shape = pool::check_forward(x.len(), planes, p, out.len(), Some(indices.len()))?;
    if out.is_empty() {
        return Ok(());
    }
    let (gpu, pieces) = pieces::<T>(planes, p, shape)?;
    let inf = infinities::<T>(gpu)?;
    let mut narrow = vec![0i32; out.len()];
    for piece in &pieces {
        let u = piece.uniform(planes, p, shape, kind == Extreme::Max)?;
        let xbuf = gpu.upload("input", &x[piece.input(planes)], 0)?;
        let [vals, idx] = extreme_launch::<T>(gpu, u, &xbuf, &inf)?;
        let range = piece.output(shape);
        gpu.read_into(&vals, &mut out[range.clone()])?;
        gpu.read_into(&idx, &mut narrow[range.clone()])?;
        if piece.banded(planes) {
            // a band's indices count from its first input row
            let offset = (piece.inputs.0 * planes.w) as i32;
            narrow[range].iter_mut().for_each(|i| *i += offset);
        }
    }
    for (i, n) in indices.iter_mut().zip(narrow) {
        *i = n as i64;
    }
    Ok(())
}

/// `[-inf, +inf]` on the device: the starting best of max and min pooling.
fn infinities<T: GpuElement + num_traits::Float>(gpu: &Gpu) -> Result<wgpu::Buffer> {
    gpu.upload("infinities", &[T::neg_infinity(), T::infinity()], 0)
}

/// The extreme-pooling kernel over the planes of `u` (one binding): new value and int32 index
/// buffers.
fn extreme_launch<T: GpuElement>(
    gpu: &Gpu,
    u: PoolUniform,
    x: &wgpu::Buffer,
    inf: &wgpu::Buffer,
) -> Result<[wgpu::Buffer; 2]> {
    let len = u.count as usize * (u.oh * u.ow) as usize;
    let size = std::mem::size_of::<T>();
    let outs = launch::<T>(
        gpu,
        EXTREME,
        u,
        len,
        &[x, inf],
        &[("output", len, size), ("indices", len, 4)],
    )?;
    let [vals, idx]: [wgpu::Buffer; 2] = outs.try_into().expect("two outputs");
    Ok([vals, idx])
}

/// The gradient of max or min pooling on the GPU, as [`crate::cpu::pool::extreme_pool_backward`]
/// (the same sums in the same order: one invocation per plane).
pub fn extreme_pool_backward<T: GpuElement>(
    grad_output: &[T],
    indices: &[i64],
    out_plane_len: usize,
    input: Planes,
    grad_input: &mut [T],
) -> Result<()> {
    pool::check_extreme_backward(
        grad_output.len(),
        indices,
        out_plane_len,
        input,
        grad_input.len(),
    )?;
    if grad_input.is_empty() {
        return Ok(());
    }
    let n_in = input.plane_len();
    let gpu = gpu_for::<T>()?;
    let cap = gpu.max_binding_bytes() as usize / std::mem::size_of::<T>();
    let narrow: Vec<i32> = indices.iter().map(|&i| i as i32).collect();
    if n_in.max(out_plane_len) > cap {
        return extreme_backward_in_runs(
            gpu,
            cap,
            grad_output,
            &narrow,
            out_plane_len,
            input,
            grad_input,
        );
    }
    let per = (cap / n_in.max(out_plane_len).max(1)).clamp(1, input.count.max(1));
    for p0 in (0..input.count).step_by(per) {
        let p1 = input.count.min(p0 + per);
        let (o0, o1) = (p0 * out_plane_len, p1 * out_plane_len);
        let gbuf = gpu.upload("grad_output", &grad_output[o0..o1], 0)?;
        let ibuf = gpu.upload("indices", &narrow[o0..o1], 0)?;
        let part = Planes {
            count: p1 - p0,
            ..input
        };
        let gi = extreme_backward_launch::<T>(gpu, &gbuf, &ibuf, out_plane_len, part)?;
        gpu.read_into(&gi, &mut grad_input[p0 * n_in..p1 * n_in])?;
    }
    Ok(())
}

/// [`extreme_pool_backward`] for planes larger than one binding: each plane's outputs in runs
/// whose gradients land on few enough input rows (those of their indices) to fit one binding;
/// each run adds onto its rows as the runs before it left them, so every sum is the CPU's, in the
/// CPU's order.
fn extreme_backward_in_runs<T: GpuElement>(
    gpu: &Gpu,
    cap: usize,
    grad_output: &[T],
    indices: &[i32],
    out_plane_len: usize,
    input: Planes,
    grad_input: &mut [T],
) -> Result<()> {
    let (n_in, w) = (input.plane_len(), input.w.max(1));
    grad_input.fill(T::default());
    for plane in 0..input.count {
        let (outs, ins) = (plane * out_plane_len, plane * n_in);
        let mut o = 0;
        while o < out_plane_len {
            // the longest run from o whose input rows fit
            let (mut lo, mut hi, mut end) = (usize::MAX, 0, o);
            while end < out_plane_len && end - o < cap {
                let row = indices[outs + end] as usize / w;
                let (l, h) = (lo.min(row), hi.max(row + 1));
                if (h - l) * w > cap {
                    break;
                }
                (lo, hi, end) = (l, h, end + 1);
            }
            if end == o {
                return value_error!(
                    "one input row of this pooling ({w} samples) is larger than one GPU buffer \
                     binding ({} bytes); use device='cpu'",
                    gpu.max_binding_bytes()
                );
            }
            let local: Vec<i32> = indices[outs + o..outs + end]
                .iter()
                .map(|&i| i - (lo * w) as i32)
                .collect();
            let gbuf = gpu.upload("grad_output", &grad_output[outs + o..outs + end], 0)?;
            let ibuf = gpu.upload("indices", &local, 0)?;
            // the run adds onto the rows as the runs before it left them: the CPU's order
            let dst = &mut grad_input[ins + lo * w..ins + hi * w];
            let gi = gpu.upload("grad_input", dst, 0)?;
            let mut u = PoolUniform {
                count: 1,
                h: small(hi - lo, "input rows")?,
                w: small(input.w, "input width")?,
                oh: 1,
                ow: small(end - o, "outputs")?,
                flag: 1,
                ..Zeroable::zeroed()
            };
            let pipeline = gpu.pipeline(EXTREME_BACKWARD, "main", T::WGSL, &[])?;
            let grid = gpu.flat_grid(1, GROUP);
            u.groups_x = grid[0];
            gpu.dispatch(&pipeline, &[&gpu.uniform(&u)?, &gbuf, &ibuf, &gi], grid)?;
            gpu.read_into(&gi, dst)?;
            o = end;
        }
    }
    Ok(())
}

/// The extreme-pooling gradient kernel over the planes of `input`: a new gradient buffer.
fn extreme_backward_launch<T: GpuElement>(
    gpu: &Gpu,
    grad_output: &wgpu::Buffer,
    indices: &wgpu::Buffer,
    out_plane_len: usize,
    input: Planes,
) -> Result<wgpu::Buffer> {
    // The plane geometry is all this kernel reads: outputs as one row of out_plane_len.
    let u = PoolUniform {
        count: small(input.count, "planes")? as u32,
        h: small(input.h, "input height")?,
        w: small(input.w, "input width")?,
        oh: 1,
        ow: small(out_plane_len, "output plane")?,
        ..Zeroable::zeroed()
    };
    let len = input.count * input.plane_len();
    let size = std::mem::size_of::<T>();
    let outs = launch::<T>(
        gpu,
        EXTREME_BACKWARD,
        u,
        input.count,
        &[grad_output, indices],
        &[("grad_input", len, size)],
    )?;
    Ok(outs.into_iter().next().expect("one output"))
}

/// Average pooling on the GPU, as [`crate::cpu::pool::avg_pool`].
pub fn avg_pool<T: GpuElement>(
    x: &[T],
    planes: Planes,
    p: &PoolParams,
    count_include_pad: bool,
    divisor: Option<usize>,
    out: &mut [T],
) -> Result<()> {
    let shape = pool::check_avg(x.len(), planes, p, divisor, out.len())?;
    if out.is_empty() {
        return Ok(());
    }
    let (gpu, pieces) = pieces::<T>(planes, p, shape)?;
    for piece in &pieces {
        let u = piece
            .uniform(planes, p, shape, count_include_pad)?
            .with_divisor(divisor)?;
        let xbuf = gpu.upload("input", &x[piece.input(planes)], 0)?;
        let range = piece.output(shape);
        let y = avg_launch::<T>(gpu, AVG, u, &xbuf, range.len())?;
        gpu.read_into(&y, &mut out[range])?;
    }
    Ok(())
}

/// The gradient of average pooling on the GPU, as [`crate::cpu::pool::avg_pool_backward`].
pub fn avg_pool_backward<T: GpuElement>(
    grad_output: &[T],
    input: Planes,
    p: &PoolParams,
    count_include_pad: bool,
    divisor: Option<usize>,
    grad_input: &mut [T],
) -> Result<()> {
    let shape = pool::check_avg_backward(grad_output.len(), input, p, divisor, grad_input.len())?;
    if grad_input.is_empty() {
        return Ok(());
    }
    let (gpu, pieces) = pieces::<T>(input, p, shape)?;
    if pieces.iter().any(|piece| piece.banded(input)) {
        grad_input.fill(T::default()); // bands add their rows: their input rows overlap
    }
    for piece in &pieces {
        let u = piece
            .uniform(input, p, shape, count_include_pad)?
            .with_divisor(divisor)?;
        let gbuf = gpu.upload("grad_output", &grad_output[piece.output(shape)], 0)?;
        let range = piece.input(input);
        let g = avg_launch::<T>(gpu, AVG_BACKWARD, u, &gbuf, range.len())?;
        if piece.banded(input) {
            let mut part = vec![T::default(); range.len()];
            gpu.read_into(&g, &mut part)?;
            let dst = &mut grad_input[range];
            dst.iter_mut().zip(&part).for_each(|(d, &v)| *d += v);
        } else {
            gpu.read_into(&g, &mut grad_input[range])?;
        }
    }
    Ok(())
}

/// Average pooling's divisor settings.
#[derive(Debug, Clone, Copy)]
pub struct Average {
    /// Whether the zero padding counts in the divisor.
    pub count_include_pad: bool,
    /// torch's `divisor_override`.
    pub divisor: Option<usize>,
}

/// One average-pooling kernel (forward or gradient) over the planes of `u`, reading `src`: a new
/// buffer of `len` elements.
fn avg_launch<T: GpuElement>(
    gpu: &Gpu,
    shader: Shader,
    u: PoolUniform,
    src: &wgpu::Buffer,
    len: usize,
) -> Result<wgpu::Buffer> {
    let size = std::mem::size_of::<T>();
    let outs = launch::<T>(gpu, shader, u, len, &[src], &[("output", len, size)])?;
    Ok(outs.into_iter().next().expect("one output"))
}

// ---- GPU-resident arrays: the whole array in one launch (it fits one binding by construction)

/// Max or min pooling of a GPU-resident array: values and int32 indices, new device arrays.
pub fn extreme_pool_resident<T: GpuElement + Stored + num_traits::Float>(
    x: &DeviceArray,
    planes: Planes,
    p: &PoolParams,
    kind: Extreme,
) -> Result<(DeviceArray, DeviceArray)> {
    let gpu = gpu_for::<T>()?;
    let xb = x.expect(T::ELEM, planes.len(), "input")?;
    let (oh, ow) = p.out_shape(planes.h, planes.w)?;
    let len = planes.count * oh * ow;
    let shape = pool::check_forward(x.len(), planes, p, len, Some(len))?;
    if len == 0 {
        return Ok((
            DeviceArray::output(gpu, 0, T::ELEM)?,
            DeviceArray::output(gpu, 0, Dtype::I32)?,
        ));
    }
    let inf = infinities::<T>(gpu)?;
    let u = PoolUniform::new(planes, p, shape, kind == Extreme::Max)?;
    let [vals, idx] = extreme_launch::<T>(gpu, u, xb, &inf)?;
    Ok((
        DeviceArray::from_buffer(vals, len, T::ELEM),
        DeviceArray::from_buffer(idx, len, Dtype::I32),
    ))
}

/// The gradient of max or min pooling of GPU-resident arrays (int32 `indices`).
pub fn extreme_pool_backward_resident<T: GpuElement + Stored>(
    grad_output: &DeviceArray,
    indices: &DeviceArray,
    out_plane_len: usize,
    input: Planes,
) -> Result<DeviceArray> {
    let gpu = gpu_for::<T>()?;
    let n_out = input.count * out_plane_len;
    let gb = grad_output.expect(T::ELEM, n_out, "grad_output")?;
    let ib = indices.expect(Dtype::I32, n_out, "indices")?;
    let len = input.len();
    if len == 0 {
        return DeviceArray::output(gpu, 0, T::ELEM);
    }
    let g = extreme_backward_launch::<T>(gpu, gb, ib, out_plane_len, input)?;
    Ok(DeviceArray::from_buffer(g, len, T::ELEM))
}

/// Average pooling of a GPU-resident array.
pub fn avg_pool_resident<T: GpuElement + Stored>(
    x: &DeviceArray,
    planes: Planes,
    p: &PoolParams,
    avg: Average,
) -> Result<DeviceArray> {
    let gpu = gpu_for::<T>()?;
    let xb = x.expect(T::ELEM, planes.len(), "input")?;
    let (oh, ow) = p.out_shape(planes.h, planes.w)?;
    let len = planes.count * oh * ow;
    let shape = pool::check_avg(x.len(), planes, p, avg.divisor, len)?;
    if len == 0 {
        return DeviceArray::output(gpu, 0, T::ELEM);
    }
    let u = PoolUniform::new(planes, p, shape, avg.count_include_pad)?.with_divisor(avg.divisor)?;
    let y = avg_launch::<T>(gpu, AVG, u, xb, len)?;
    Ok(DeviceArray::from_buffer(y, len, T::ELEM))
}

/// The gradient of average pooling of GPU-resident arrays.
pub fn avg_pool_backward_resident<T: GpuElement + Stored>(
    grad_output: &DeviceArray,
    input: Planes,
    p: &PoolParams,
    avg: Average,
) -> Result<DeviceArray> {
    let gpu = gpu_for::<T>()?;
    let len = input.len();
    let shape = pool::check_avg_backward(grad_output.len(), input, p, avg.divisor, len)?;
    let gb = grad_output.expect(T::ELEM, grad_output.len(), "grad_output")?;
    if len == 0 {
        return DeviceArray::output(gpu, 0, T::ELEM);
    }
    let u = PoolUniform::new(input, p, shape, avg.count_include_pad)?.with_divisor(avg.divisor)?;
    let g = avg_launch::<T>(gpu, AVG_BACKWARD, u, gb, len)?;
    Ok(DeviceArray::from_buffer(g, len, T::ELEM))
}
