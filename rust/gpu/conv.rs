//! The launchers of the convolution-layer kernels (`shaders/conv_*.wgsl`): forward, backward-data
//! and backward-weight in NCHW with stride, zero padding, dilation and groups, the geometry and
//! results of [`crate::cpu::conv`] (sums in a different order: equal within rounding).
//!
//! Each kernel is an implicit GEMM (`shaders/conv_gemm.wgsl`): the im2col matrix is never built, its
//! entries are read from the input where the GEMM needs them. A batch whose input or output is
//! larger than one buffer binding (128 MiB on lavapipe by default) runs in chunks of samples, each
//! within the limit; backward-weight adds each chunk's sum to the gradient on the device. A
//! backward-weight GEMM has few output blocks (weights) and a deep sum (batch x positions), so its
//! depth is split over more workgroups (split-k) whose partial sums `shaders/conv_reduce.wgsl` adds
//! in a fixed order: the result does not depend on scheduling.

use crate::error::{value_error, Error, Result};
use crate::gpu::context::{Gpu, Shader};
use crate::gpu::correlate::{gpu_for, GpuElement};
use crate::gpu::launch::{Profiler, Timings};
use crate::gpu::resident::{DeviceArray, Stored};
use crate::params::{ConvAxis, ConvParams};
use bytemuck::{Pod, Zeroable};

macro_rules! conv_shader {
    ($name:literal $(, $extra:literal)?) => {
        Shader {
            name: $name,
            source: concat!(
                include_str!(concat!("shaders/", $name, ".wgsl")),
                $(include_str!(concat!("shaders/", $extra, ".wgsl")),)?
                include_str!("shaders/conv_gemm.wgsl")
            ),
        }
    };
}

const FORWARD: Shader = conv_shader!("conv_forward", "conv_input_tap");
const BACKWARD_DATA: Shader = conv_shader!("conv_backward_data");
const BACKWARD_WEIGHT: Shader = conv_shader!("conv_backward_weight", "conv_input_tap");
const REDUCE: Shader = Shader {
    name: "conv_reduce",
    source: include_str!("shaders/conv_reduce.wgsl"),
};

/// The block of C each workgroup computes (the shader's BM x BN).
const BLOCK: usize = 64;

/// Split-k (backward-weight): workgroups to aim for, and the least depth one split sums.
const SPLIT_TARGET_GROUPS: usize = 512;
const SPLIT_MIN_DEPTH: usize = 1024;

/// `conv_reduce.wgsl`'s `Params`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct ReduceUniform {
    len: u32,
    splits: u32,
    flag: u32,
    groups_x: u32,
}

/// The shaders' `Params` (`shaders/conv_gemm.wgsl`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct Uniform {
    m: u32,
    n: u32,
    k: u32,
    groups_x: u32,
    batch: u32,
    cin_g: u32,
    cout_g: u32,
    groups: u32,
    in_h: i32,
    in_w: i32,
    out_h: i32,
    out_w: i32,
    k_h: i32,
    k_w: i32,
    s_h: i32,
    s_w: i32,
    p_h: i32,
    p_w: i32,
    d_h: i32,
    d_w: i32,
    flag: u32,
    k_chunk: u32,
    splits: u32,
    pad: u32,
}

fn int<I: TryFrom<usize>>(v: usize, what: &str) -> Result<I> {
    I::try_from(v).map_err(|_| Error::Value(format!("{what} {v} is too large for the GPU kernels")))
}

impl Uniform {
    /// The layer geometry of `p`, with the GEMM `(m, n, k)` of one kernel.
    fn new(p: &ConvParams, (m, n, k): (usize, usize, usize), flag: bool) -> Result<Self> {
        Ok(Uniform {
            m: int(m, "GEMM rows")?,
            n: int(n, "GEMM columns")?,
            k: int(k, "GEMM depth")?,
            groups_x: 1,
            batch: int(p.batch, "batch")?,
            cin_g: int(p.cin_g(), "in_channels")?,
            cout_g: int(p.cout_g(), "out_channels")?,
            groups: int(p.groups, "groups")?,
            in_h: int(p.h.input, "input height")?,
            in_w: int(p.w.input, "input width")?,
            out_h: int(p.h.output, "output height")?,
            out_w: int(p.w.output, "output width")?,
            k_h: int(p.h.kernel, "kernel height")?,
            k_w: int(p.w.kernel, "kernel width")?,
            s_h: int(p.h.stride, "stride")?,
            s_w: int(p.w.stride, "stride")?,
            p_h: int(p.h.pad_lo, "padding")?,
            p_w: int(p.w.pad_lo, "padding")?,
            d_h: int(p.h.dilation, "dilation")?,
            d_w: int(p.w.dilation, "dilation")?,
            flag: flag as u32,
            k_chunk: int(k, "GEMM depth")?,
            splits: 1,
            pad: 0,
        })
    }
}

/// Runs `shader` over the GEMM of `u` for every group, with `buffers` bound after the uniform.
fn run<T: GpuElement>(
    gpu: &Gpu,
    shader: Shader,
    mut u: Uniform,
    groups: usize,
    buffers: &[&wgpu::Buffer],
) -> Result<()> {
    let max = gpu.limits.max_compute_workgroups_per_dimension as usize;
    let col_blocks = (u.n as usize).div_ceil(BLOCK);
    let gx = col_blocks.clamp(1, max);
    u.groups_x = gx as u32;
    let z = groups * (u.m as usize).div_ceil(BLOCK) * u.splits as usize;
    if z > max || col_blocks.div_ceil(gx) > max {
        return value_error!(
            "a convolution of {groups} groups with a GEMM of {} x {} is too large for one GPU \
             dispatch; use device='cpu'",
            u.m,
            u.n
        );
    }
    let pipeline = gpu.pipeline(shader, "main", T::WGSL, &[])?;
    let ubuf = gpu.uniform(&u)?;
    let mut bound: Vec<&wgpu::Buffer> = vec![&ubuf];
    bound.extend(buffers);
    gpu.dispatch(
        &pipeline,
        &bound,
        [gx as u32, col_blocks.div_ceil(gx) as u32, z as u32],
    )
}

/// A part of a batch that one launch takes: the samples `b0..b1` and, of their output rows, `rows`,
/// which read the input rows `inputs` (clipped to the input); `p` is the part's geometry. Samples
/// that fit one binding go whole, as many as fit; a larger sample goes in bands of output rows,
/// each with the input rows its windows reach (its halo).
#[derive(Debug, Clone)]
struct Piece {
    b0: usize,
    b1: usize,
    rows: (usize, usize),
    inputs: (usize, usize),
    p: ConvParams,
}

impl Piece {
    /// Whether the piece holds whole samples (its arrays are contiguous slices of the batch's).
    fn whole(&self, full: &ConvParams) -> bool {
        self.rows == (0, full.h.output) && self.inputs == (0, full.h.input)
    }

    /// The piece's part of a batch array of `channels` planes of `h` x `w` per sample, restricted
    /// to the rows `r0..r1`: borrowed when whole samples, else gathered.
    fn gather<'a, T: GpuElement>(
        &self,
        a: &'a [T],
        (channels, h, w): (usize, usize, usize),
        (r0, r1): (usize, usize),
    ) -> std::borrow::Cow<'a, [T]> {
        let sample = channels * h * w;
        if (r0, r1) == (0, h) {
            return a[self.b0 * sample..self.b1 * sample].into();
        }
        let mut out = Vec::with_capacity((self.b1 - self.b0) * channels * (r1 - r0) * w);
        for plane in a[self.b0 * sample..self.b1 * sample].chunks(h * w) {
            out.extend_from_slice(&plane[r0 * w..r1 * w]);
        }
        out.into()
    }

    /// Writes (or, with `add`, adds) `part`, laid out as [`Piece::gather`] gives it, into `a`.
    fn scatter<T: GpuElement>(
        &self,
        part: &[T],
        a: &mut [T],
        (channels, h, w): (usize, usize, usize),
        (r0, r1): (usize, usize),
        add: bool,
    ) {
        let sample = channels * h * w;
        let planes = a[self.b0 * sample..self.b1 * sample].chunks_mut(h * w);
        for (plane, src) in planes.zip(part.chunks((r1 - r0) * w)) {
            let dst = &mut plane[r0 * w..r1 * w];
            if add {
                dst.iter_mut().zip(src).for_each(|(d, &v)| *d += v);
            } else {
                dst.copy_from_slice(src);
            }
        }
    }

    fn input_dims(&self, full: &ConvParams) -> (usize, usize, usize) {
        (full.in_channels, full.h.input, full.w.input)
    }

    fn output_dims(&self, full: &ConvParams) -> (usize, usize, usize) {
        (full.out_channels, full.h.output, full.w.output)
    }
}

/// The GPU for `T` and the pieces of the batch of `p`, each within one binding (`weight`
/// elements, which must fit one, are bound whole by every launch).
fn pieces<T: GpuElement>(p: &ConvParams, weight: usize) -> Result<(&'static Gpu, Vec<Piece>)> {
    let gpu = gpu_for::<T>()?;
    let cap = gpu.max_binding_bytes() as usize / std::mem::size_of::<T>();
    if weight > cap {
        return value_error!(
            "the weight of this convolution ({weight} elements) is larger than one GPU buffer \
             binding ({} bytes); use device='cpu'",
            gpu.max_binding_bytes()
        );
    }
    let (x_n, y_n) = (p.in_channels * p.in_plane(), p.out_channels * p.out_plane());
    let largest = x_n.max(y_n).max(1);
    if largest <= cap {
        let per = (cap / largest).clamp(1, p.batch.max(1));
        let all = |b0: usize, b1: usize| Piece {
            b0,
            b1,
            rows: (0, p.h.output),
            inputs: (0, p.h.input),
            p: ConvParams {
                batch: b1 - b0,
                ..*p
            },
        };
        let chunks = (0..p.batch).step_by(per);
        return Ok((
            gpu,
            chunks.map(|b0| all(b0, p.batch.min(b0 + per))).collect(),
        ));
    }
    let h = p.h;
    let reach = (h.kernel - 1) * h.dilation;
    let (in_row, out_row) = (p.in_channels * p.w.input, p.out_channels * p.w.output);
    // output rows per band: its input rows ((rows - 1) * stride + reach + 1) and its output rows
    // within the cap
    let in_rows = cap / in_row.max(1);
    let rows = if in_rows > reach {
        (in_rows - reach - 1) / h.stride + 1
    } else {
        0
    };
    let rows = rows.min(cap / out_row.max(1)).min(h.output);
    if rows == 0 {
        return value_error!(
            "one band of output rows of this convolution (input rows of {in_row} elements, \
             {} of them for one output row) is larger than one GPU buffer binding ({} bytes); \
             use device='cpu'",
            reach + 1,
            gpu.max_binding_bytes()
        );
    }
    let mut out = Vec::new();
    for b in 0..p.batch {
        for r0 in (0..h.output).step_by(rows) {
            let r1 = h.output.min(r0 + rows);
            // the input rows the windows of rows r0..r1 reach, as offsets from the padded start
            let start = (r0 * h.stride) as isize - h.pad_lo as isize;
            let end = ((r1 - 1) * h.stride + reach + 1) as isize - h.pad_lo as isize;
            let i0 = start.clamp(0, h.input as isize - 1);
            let i1 = end.clamp(i0 + 1, h.input as isize);
            if start > i0 {
                // the band reads only the padding below the input: zeros (and the bias)
                out.push(Piece {
                    b0: b,
                    b1: b + 1,
                    rows: (r0, r1),
                    inputs: (0, 0),
                    p: ConvParams { batch: 0, ..*p },
                });
                continue;
            }
            let axis = ConvAxis {
                input: (i1 - i0) as usize,
                output: r1 - r0,
                pad_lo: (i0 - start) as usize,
                ..h
            };
            out.push(Piece {
                b0: b,
                b1: b + 1,
                rows: (r0, r1),
                inputs: (i0 as usize, i1 as usize),
                p: ConvParams {
                    batch: 1,
                    h: axis,
                    ..*p
                },
            });
        }
    }
    Ok((gpu, out))
}

fn check(p: &ConvParams, x: usize, w: usize, y: usize) -> Result<()> {
    let want = (
        p.input_shape().iter().product::<usize>(),
        p.out_channels * p.cin_g() * p.h.kernel * p.w.kernel,
        p.output_shape().iter().product::<usize>(),
    );
    if (x, w, y) != want {
        return value_error!(
            "convolution arrays of {x}, {w} and {y} samples do not match the geometry {p:?} \
             (input, weight, output: {want:?})"
        );
    }
    Ok(())
}

/// The forward pass on the GPU, as [`crate::cpu::conv::forward`]: `y = conv(x, w) + bias`.
pub fn forward<T: GpuElement>(
    x: &[T],
    w: &[T],
    bias: Option<&[T]>,
    p: &ConvParams,
    y: &mut [T],
) -> Result<()> {
    forward_profiled(x, w, bias, p, y, None)
}

/// [`forward`], with the seconds of upload, compute and download added to `timings` when given
/// (the device is drained between the phases, which costs their overlap).
pub fn forward_profiled<T: GpuElement>(
    x: &[T],
    w: &[T],
    bias: Option<&[T]>,
    p: &ConvParams,
    y: &mut [T],
    timings: Option<&mut Timings>,
) -> Result<()> {
    check(p, x.len(), w.len(), y.len())?;
    if let Some(b) = bias {
        if b.len() != p.out_channels {
            return value_error!(
                "bias must have {} elements (out_channels); got {}",
                p.out_channels,
                b.len()
            );
        }
    }
    if y.is_empty() {
        return Ok(());
    }
    let (gpu, pieces) = pieces::<T>(p, w.len())?;
    let mut prof = Profiler::new(timings);
    let wbuf = gpu.upload("weight", w, 0)?;
    let bbuf = gpu.upload("bias", bias.unwrap_or(&[T::default()]), 0)?;
    for piece in &pieces {
        let (c, out) = (&piece.p, piece.output_dims(p));
        // a band's rows, gathered before they are scattered into y (whole samples go directly)
        let band_len = c.out_channels * (piece.rows.1 - piece.rows.0) * c.w.output;
        let mut part = Vec::new();
        if c.batch == 0 {
            // only padding under these rows: the bias
            part.resize(band_len, T::default());
            let plane = part.len() / c.out_channels.max(1);
            for (ch, rows) in part.chunks_mut(plane.max(1)).enumerate() {
                rows.fill(bias.map_or(T::default(), |b| b[ch]));
            }
        } else {
            let xs = piece.gather(x, piece.input_dims(p), piece.inputs);
            let xbuf = gpu.upload("input", &xs, 0)?;
            prof.mark(gpu, |t| &mut t.upload)?;
            let ybuf = forward_launch::<T>(gpu, c, &xbuf, &wbuf, &bbuf, bias.is_some())?;
            prof.mark(gpu, |t| &mut t.compute)?;
            if piece.whole(p) {
                let n = out.0 * out.1 * out.2;
                gpu.read_into(&ybuf, &mut y[piece.b0 * n..piece.b1 * n])?;
                prof.mark(gpu, |t| &mut t.download)?;
                continue;
            }
            part.resize(band_len, T::default());
            gpu.read_into(&ybuf, &mut part)?;
            prof.mark(gpu, |t| &mut t.download)?;
        }
        piece.scatter(&part, y, out, piece.rows, false);
    }
    Ok(())
}

/// The forward kernel over the samples of `c` (one binding each): a new output buffer. `b` is
/// the bias, read only when `has_bias`.
fn forward_launch<T: GpuElement>(
    gpu: &Gpu,
    c: &ConvParams,
    x: &wgpu::Buffer,
    w: &wgpu::Buffer,
    b: &wgpu::Buffer,
    has_bias: bool,
) -> Result<wgpu::Buffer> {
    let gemm = (c.cout_g(), c.batch * c.out_plane(), c.patch());
    let u = Uniform::new(c, gemm, has_bias)?;
    let y = gpu.output::<T>("output", c.output_shape().iter().product())?;
    run::<T>(gpu, FORWARD, u, c.groups, &[x, w, b, &y])?;
    Ok(y)
}

/// The data gradient on the GPU, as [`crate::cpu::conv::backward_data`]: `dx = conv^T(dy, w)`.
pub fn backward_data<T: GpuElement>(dy: &[T], w: &[T], p: &ConvParams, dx: &mut [T]) -> Result<()> {
    check(p, dx.len(), w.len(), dy.len())?;
    if dx.is_empty() {
        return Ok(());
    }
    let (gpu, pieces) = pieces::<T>(p, w.len())?;
    let wbuf = gpu.upload("weight", w, 0)?;
    if !pieces.iter().all(|piece| piece.whole(p)) {
        dx.fill(T::default()); // bands add their parts: their input rows overlap
    }
    for piece in pieces.iter().filter(|piece| piece.p.batch > 0) {
        let c = &piece.p;
        let gs = piece.gather(dy, piece.output_dims(p), piece.rows);
        let gbuf = gpu.upload("grad_output", &gs, 0)?;
        let dbuf = backward_data_launch::<T>(gpu, c, &gbuf, &wbuf)?;
        if piece.whole(p) {
            let n = p.in_channels * p.in_plane();
            gpu.read_into(&dbuf, &mut dx[piece.b0 * n..piece.b1 * n])?;
            continue;
        }
        let mut part = vec![T::default(); c.input_shape().iter().product()];
        gpu.read_into(&dbuf, &mut part)?;
        piece.scatter(&part, dx, piece.input_dims(p), piece.inputs, true);
    }
    Ok(())
}

/// The backward-data kernel over the samples of `c`: a new gradient buffer.
fn backward_data_launch<T: GpuElement>(
    gpu: &Gpu,
    c: &ConvParams,
    dy: &wgpu::Buffer,
    w: &wgpu::Buffer,
) -> Result<wgpu::Buffer> {
    let taps = c.h.kernel * c.w.kernel;
    let gemm = (c.cin_g(), c.batch * c.in_plane(), c.cout_g() * taps);
    let u = Uniform::new(c, gemm, false)?;
    let dx = gpu.output::<T>("grad_input", c.input_shape().iter().product())?;
    run::<T>(gpu, BACKWARD_DATA, u, c.groups, &[dy, w, &dx])?;
    Ok(dx)
}

/// The weight gradient on the GPU, as [`crate::cpu::conv::backward_weight`]: `dw = sum over the
/// batch of dy (x) col(x)`.
pub fn backward_weight<T: GpuElement>(
    dy: &[T],
    x: &[T],
    p: &ConvParams,
    dw: &mut [T],
) -> Result<()> {
    check(p, x.len(), dw.len(), dy.len())?;
    if dw.is_empty() {
        return Ok(());
    }
    if p.batch == 0 || p.out_plane() == 0 {
        dw.fill(T::default());
        return Ok(());
    }
    let (gpu, pieces) = pieces::<T>(p, dw.len())?;
    if pieces.iter().all(|piece| piece.p.batch == 0) {
        dw.fill(T::default()); // every window reads only padding
        return Ok(());
    }
    let wbuf = gpu.output::<T>("grad_weight", dw.len())?;
    for (i, piece) in pieces.iter().filter(|piece| piece.p.batch > 0).enumerate() {
        let gs = piece.gather(dy, piece.output_dims(p), piece.rows);
        let xs = piece.gather(x, piece.input_dims(p), piece.inputs);
        let gbuf = gpu.upload("grad_output", &gs, 0)?;
        let xbuf = gpu.upload("input", &xs, 0)?;
        backward_weight_launch::<T>(gpu, &piece.p, &gbuf, &xbuf, &wbuf, i > 0)?;
    }
    gpu.read_into(&wbuf, dw)
}

/// The backward-weight kernels over the samples of `c` (nonempty), written into `dw`, or added
/// to it with `accumulate` (the batch chunks after the first).
fn backward_weight_launch<T: GpuElement>(
    gpu: &Gpu,
    c: &ConvParams,
    dy: &wgpu::Buffer,
    x: &wgpu::Buffer,
    dw: &wgpu::Buffer,
    accumulate: bool,
) -> Result<()> {
    let len = c.out_channels * c.cin_g() * c.h.kernel * c.w.kernel;
    let (m, n, k) = (c.cout_g(), c.patch(), c.batch * c.out_plane());
    let mut u = Uniform::new(c, (m, n, k), false)?;
    let splits = split_k(gpu, (m, n, k), c.groups, len, std::mem::size_of::<T>());
    u.k_chunk = int(k.div_ceil(splits), "GEMM depth")?;
    u.splits = int(splits, "splits")?;
    let parts = gpu.output::<T>("partial sums", splits * len)?;
    run::<T>(gpu, BACKWARD_WEIGHT, u, c.groups, &[dy, x, &parts])?;
    let reduce = gpu.pipeline(REDUCE, "main", T::WGSL, &[])?;
    let grid = gpu.flat_grid(len, 256);
    let r = ReduceUniform {
        len: int(len, "weights")?,
        splits: u.splits,
        flag: accumulate as u32,
        groups_x: grid[0],
    };
    gpu.dispatch(&reduce, &[&gpu.uniform(&r)?, &parts, dw], grid)
}

/// The forward pass of GPU-resident arrays: `y = conv(x, w) + bias`, a new device array.
pub fn forward_resident<T: GpuElement + Stored>(
    x: &DeviceArray,
    w: &DeviceArray,
    bias: Option<&DeviceArray>,
    p: &ConvParams,
) -> Result<DeviceArray> {
    let gpu = gpu_for::<T>()?;
    let (xb, wb) = resident_operands::<T>(p, x, w)?;
    let spare;
    let b = match bias {
        Some(b) => b.expect(T::ELEM, p.out_channels, "bias")?,
        None => {
            spare = DeviceArray::output(gpu, 1, T::ELEM)?;
            spare.buffer()
        }
    };
    let len = p.output_shape().iter().product();
    if len == 0 {
        return DeviceArray::output(gpu, 0, T::ELEM);
    }
    let y = forward_launch::<T>(gpu, p, xb, wb, b, bias.is_some())?;
    Ok(DeviceArray::from_buffer(y, len, T::ELEM))
}

/// The data gradient of GPU-resident arrays: `dx = conv^T(dy, w)`, a new device array.
pub fn backward_data_resident<T: GpuElement + Stored>(
    dy: &DeviceArray,
    w: &DeviceArray,
    p: &ConvParams,
) -> Result<DeviceArray> {
    let gpu = gpu_for::<T>()?;
    let wb = w.expect(T::ELEM, weight_len(p), "weight")?;
    let gb = dy.expect(T::ELEM, p.output_shape().iter().product(), "grad_output")?;
    let len = p.input_shape().iter().product();
    if len == 0 || dy.is_empty() {
        return DeviceArray::zeros(gpu, len, T::ELEM);
    }
    let dx = backward_data_launch::<T>(gpu, p, gb, wb)?;
    Ok(DeviceArray::from_buffer(dx, len, T::ELEM))
}

/// The weight gradient of GPU-resident arrays: `dw = sum over the batch of dy (x) col(x)`.
pub fn backward_weight_resident<T: GpuElement + Stored>(
    dy: &DeviceArray,
    x: &DeviceArray,
    p: &ConvParams,
) -> Result<DeviceArray> {
    let gpu = gpu_for::<T>()?;
    let xb = x.expect(T::ELEM, p.input_shape().iter().product(), "input")?;
    let gb = dy.expect(T::ELEM, p.output_shape().iter().product(), "grad_output")?;
    let len = weight_len(p);
    if p.batch == 0 || p.out_plane() == 0 || len == 0 {
        return DeviceArray::zeros(gpu, len, T::ELEM);
    }
    let dw = DeviceArray::output(gpu, len, T::ELEM)?;
    backward_weight_launch::<T>(gpu, p, gb, xb, dw.buffer(), false)?;
    Ok(dw)
}

fn weight_len(p: &ConvParams) -> usize {
    p.out_channels * p.cin_g() * p.h.kernel * p.w.kernel
}

/// The input and weight buffers of `p`, checked.
fn resident_operands<'a, T: GpuElement + Stored>(
    p: &ConvParams,
    x: &'a DeviceArray,
    w: &'a DeviceArray,
) -> Result<(&'a wgpu::Buffer, &'a wgpu::Buffer)> {
    Ok((
        x.expect(T::ELEM, p.input_shape().iter().product(), "input")?,
        w.expect(T::ELEM, weight_len(p), "weight")?,
    ))
}

/// The splits of backward-weight's depth `k`: enough for about [`SPLIT_TARGET_GROUPS`] workgroups
/// when the GEMM (`m x n` per group) has few blocks, each split summing at least
/// [`SPLIT_MIN_DEPTH`], with the partial sums (`len` weights per split) within one binding.
fn split_k(
    gpu: &Gpu,
    (m, n, k): (usize, usize, usize),
    groups: usize,
    len: usize,
    size: usize,
) -> usize {
    let blocks = groups * m.div_ceil(BLOCK) * n.div_ceil(BLOCK);
    let by_groups = SPLIT_TARGET_GROUPS.div_ceil(blocks.max(1));
    let by_depth = (k / SPLIT_MIN_DEPTH).max(1);
    let by_memory = (gpu.max_binding_bytes() as usize / (len * size).max(1)).max(1);
    by_groups.min(by_depth).min(by_memory).max(1)
}
