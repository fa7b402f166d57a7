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

/// The GPU for `T`, and the planes each launch takes: as many as keep every array (of
/// `per_plane` elements of `T` per plane) within one binding.
fn gpu_and_planes<T: GpuElement>(
    count: usize,
    per_plane: &[usize],
) -> Result<(&'static Gpu, usize)> {
    let gpu = gpu_for::<T>()?;
    let cap = gpu.max_binding_bytes() as usize / std::mem::size_of::<T>();
    let largest = per_plane.iter().copied().max().unwrap_or(0).max(1);
    if largest > cap {
        return value_error!(
            "one pooling plane of {largest} samples is larger than one GPU buffer binding ({} \
             bytes); use device='cpu'",
            gpu.max_binding_bytes()
        );
    }
    Ok((gpu, (cap / largest).clamp(1, count.max(1))))
}

/// The plane ranges `p0..p1` of `count` planes, `per` at a time.
fn chunks(count: usize, per: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..count)
        .step_by(per)
        .map(move |p0| (p0, count.min(p0 + per)))
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
    let (n_in, n_out) = (planes.plane_len(), shape.0 * shape.1);
    let (gpu, per) = gpu_and_planes::<T>(planes.count, &[n_in, n_out])?;
    let inf = infinities::<T>(gpu)?;
    let mut narrow = vec![0i32; out.len()];
    for (p0, p1) in chunks(planes.count, per) {
        let part = Planes {
            count: p1 - p0,
            ..planes
        };
        let xbuf = gpu.upload("input", &x[p0 * n_in..p1 * n_in], 0)?;
        let [vals, idx] = extreme_launch::<T>(gpu, &xbuf, &inf, part, p, shape, kind)?;
        gpu.read_into(&vals, &mut out[p0 * n_out..p1 * n_out])?;
        gpu.read_into(&idx, &mut narrow[p0 * n_out..p1 * n_out])?;
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

/// The extreme-pooling kernel over `planes` (one binding): new value and int32 index buffers.
fn extreme_launch<T: GpuElement>(
    gpu: &Gpu,
    x: &wgpu::Buffer,
    inf: &wgpu::Buffer,
    planes: Planes,
    p: &PoolParams,
    shape: (usize, usize),
    kind: Extreme,
) -> Result<[wgpu::Buffer; 2]> {
    let u = PoolUniform::new(planes, p, shape, kind == Extreme::Max)?;
    let len = planes.count * shape.0 * shape.1;
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
    let (gpu, per) = gpu_and_planes::<T>(input.count, &[n_in, out_plane_len])?;
    let narrow: Vec<i32> = indices.iter().map(|&i| i as i32).collect();
    for (p0, p1) in chunks(input.count, per) {
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
    let (n_in, n_out) = (planes.plane_len(), shape.0 * shape.1);
    let (gpu, per) = gpu_and_planes::<T>(planes.count, &[n_in, n_out])?;
    for (p0, p1) in chunks(planes.count, per) {
        let part = Planes {
            count: p1 - p0,
            ..planes
        };
        let xbuf = gpu.upload("input", &x[p0 * n_in..p1 * n_in], 0)?;
        let avg = Average {
            count_include_pad,
            divisor,
        };
        let y = avg_launch::<T>(gpu, AVG, &xbuf, part, p, shape, avg, part.count * n_out)?;
        gpu.read_into(&y, &mut out[p0 * n_out..p1 * n_out])?;
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
    let (n_in, n_out) = (input.plane_len(), shape.0 * shape.1);
    let (gpu, per) = gpu_and_planes::<T>(input.count, &[n_in, n_out])?;
    for (p0, p1) in chunks(input.count, per) {
        let part = Planes {
            count: p1 - p0,
            ..input
        };
        let gbuf = gpu.upload("grad_output", &grad_output[p0 * n_out..p1 * n_out], 0)?;
        let avg = Average {
            count_include_pad,
            divisor,
        };
        let len = part.count * n_in;
        let g = avg_launch::<T>(gpu, AVG_BACKWARD, &gbuf, part, p, shape, avg, len)?;
        gpu.read_into(&g, &mut grad_input[p0 * n_in..p1 * n_in])?;
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

/// One average-pooling kernel (forward or gradient) over `planes`, reading `src`: a new buffer of
/// `len` elements.
#[allow(clippy::too_many_arguments)]
fn avg_launch<T: GpuElement>(
    gpu: &Gpu,
    shader: Shader,
    src: &wgpu::Buffer,
    planes: Planes,
    p: &PoolParams,
    shape: (usize, usize),
    avg: Average,
    len: usize,
) -> Result<wgpu::Buffer> {
    let u = PoolUniform::new(planes, p, shape, avg.count_include_pad)?.with_divisor(avg.divisor)?;
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
    let [vals, idx] = extreme_launch::<T>(gpu, xb, &inf, planes, p, shape, kind)?;
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
    let y = avg_launch::<T>(gpu, AVG, xb, planes, p, shape, avg, len)?;
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
    let g = avg_launch::<T>(gpu, AVG_BACKWARD, gb, input, p, shape, avg, len)?;
    Ok(DeviceArray::from_buffer(g, len, T::ELEM))
}
