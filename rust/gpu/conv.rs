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
use crate::params::ConvParams;
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

/// The GPU for `T`, and the samples of the batch each launch takes: as many as keep the per-sample
/// arrays (`per_sample` elements each) within one binding, with `whole` (the weight) fitting too.
fn gpu_and_chunk<T: GpuElement>(
    p: &ConvParams,
    per_sample: &[usize],
    whole: usize,
) -> Result<(&'static Gpu, usize)> {
    let gpu = gpu_for::<T>()?;
    let cap = gpu.max_binding_bytes() as usize / std::mem::size_of::<T>();
    let largest = per_sample.iter().copied().max().unwrap_or(0).max(1);
    if largest > cap || whole > cap {
        return value_error!(
            "one sample of this convolution ({} samples) or its weight ({whole}) is larger than \
             one GPU buffer binding ({} bytes); use device='cpu'",
            largest,
            gpu.max_binding_bytes()
        );
    }
    Ok((gpu, (cap / largest).clamp(1, p.batch.max(1))))
}

/// `p` for the samples `b0..b1` of its batch.
fn chunk(p: &ConvParams, b0: usize, b1: usize) -> ConvParams {
    ConvParams {
        batch: b1 - b0,
        ..*p
    }
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
    let (x_n, y_n) = (p.in_channels * p.in_plane(), p.out_channels * p.out_plane());
    let (gpu, per) = gpu_and_chunk::<T>(p, &[x_n, y_n], w.len())?;
    let mut prof = Profiler::new(timings);
    let wbuf = gpu.upload("weight", w, 0)?;
    let bbuf = gpu.upload("bias", bias.unwrap_or(&[T::default()]), 0)?;
    for b0 in (0..p.batch).step_by(per) {
        let b1 = p.batch.min(b0 + per);
        let xbuf = gpu.upload("input", &x[b0 * x_n..b1 * x_n], 0)?;
        prof.mark(gpu, |t| &mut t.upload)?;
        let c = chunk(p, b0, b1);
        let ybuf = forward_launch::<T>(gpu, &c, &xbuf, &wbuf, &bbuf, bias.is_some())?;
        prof.mark(gpu, |t| &mut t.compute)?;
        gpu.read_into(&ybuf, &mut y[b0 * y_n..b1 * y_n])?;
        prof.mark(gpu, |t| &mut t.download)?;
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
    let (x_n, y_n) = (p.in_channels * p.in_plane(), p.out_channels * p.out_plane());
    let (gpu, per) = gpu_and_chunk::<T>(p, &[x_n, y_n], w.len())?;
    let wbuf = gpu.upload("weight", w, 0)?;
    for b0 in (0..p.batch).step_by(per) {
        let b1 = p.batch.min(b0 + per);
        let gbuf = gpu.upload("grad_output", &dy[b0 * y_n..b1 * y_n], 0)?;
        let dbuf = backward_data_launch::<T>(gpu, &chunk(p, b0, b1), &gbuf, &wbuf)?;
        gpu.read_into(&dbuf, &mut dx[b0 * x_n..b1 * x_n])?;
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
    let (x_n, y_n) = (p.in_channels * p.in_plane(), p.out_channels * p.out_plane());
    let (gpu, per) = gpu_and_chunk::<T>(p, &[x_n, y_n], dw.len())?;
    let wbuf = gpu.output::<T>("grad_weight", dw.len())?;
    for b0 in (0..p.batch).step_by(per) {
        let b1 = p.batch.min(b0 + per);
        let gbuf = gpu.upload("grad_output", &dy[b0 * y_n..b1 * y_n], 0)?;
        let xbuf = gpu.upload("input", &x[b0 * x_n..b1 * x_n], 0)?;
        backward_weight_launch::<T>(gpu, &chunk(p, b0, b1), &gbuf, &xbuf, &wbuf, b0 > 0)?;
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
