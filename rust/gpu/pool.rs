//! The launchers of the pooling kernels (`shaders/pool_*.wgsl`): max and min pooling with indices,
//! average pooling, and their gradients, with the geometry and results of [`crate::cpu::pool`].
//!
//! Each array must fit one buffer binding (128 MiB on lavapipe by default); larger ones raise
//! ValueError naming device='cpu' (pooling has no tiled GPU path yet). Indices travel as i32 (an
//! input plane holds fewer than 2^31 samples) and are widened to torch's int64 on the host.

use crate::cpu::pool::{Extreme, Planes};
use crate::error::{value_error, Error, Result};
use crate::gpu::context::{Gpu, Shader};
use crate::gpu::correlate::{gpu_for, GpuElement};
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
            count: u32::try_from(planes.count)
                .map_err(|_| Error::Value("too many planes for the GPU kernels".into()))?,
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
}

/// The workgroup grid for `n` invocations (x + y * groups_x), with `groups_x` set in `u`.
fn grid(gpu: &Gpu, n: usize, u: &mut PoolUniform) -> [u32; 3] {
    let groups = n.div_ceil(GROUP).max(1);
    let max = gpu.limits.max_compute_workgroups_per_dimension as usize;
    let gx = groups.min(max);
    u.groups_x = gx as u32;
    [gx as u32, groups.div_ceil(gx) as u32, 1]
}

/// The GPU for `T`, with every array of `lens` elements of `T` fitting one binding.
fn gpu_fitting<T: GpuElement>(lens: &[usize]) -> Result<&'static Gpu> {
    let gpu = gpu_for::<T>()?;
    let cap = gpu.max_binding_bytes() as usize / std::mem::size_of::<T>();
    if let Some(&n) = lens.iter().find(|&&n| n > cap) {
        return value_error!(
            "an array of {n} samples is larger than one GPU buffer binding ({} bytes); pooling \
             has no tiled GPU path yet: use device='cpu'",
            gpu.max_binding_bytes()
        );
    }
    Ok(gpu)
}

fn check_len(what: &str, got: usize, want: usize) -> Result<()> {
    if got != want {
        return value_error!("{what} holds {got} samples where {want} are needed");
    }
    Ok(())
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
    check_len("input", x.len(), planes.len())?;
    let shape = p.out_shape(planes.h, planes.w)?;
    check_len("output", out.len(), planes.count * shape.0 * shape.1)?;
    check_len("indices", indices.len(), out.len())?;
    if out.is_empty() {
        return Ok(());
    }
    let gpu = gpu_fitting::<T>(&[x.len(), out.len()])?;
    let mut u = PoolUniform::new(planes, p, shape, kind == Extreme::Max)?;
    let groups = grid(gpu, out.len(), &mut u);
    let pipeline = gpu.pipeline(EXTREME, "main", T::WGSL, &[])?;
    let xbuf = gpu.upload("input", x, 0)?;
    let inf = gpu.upload("infinities", &[T::neg_infinity(), T::infinity()], 0)?;
    let obuf = gpu.output::<T>("output", out.len())?;
    let ibuf = gpu.output::<i32>("indices", out.len())?;
    let ubuf = gpu.uniform(&u)?;
    gpu.dispatch(&pipeline, &[&ubuf, &xbuf, &inf, &obuf, &ibuf], groups)?;
    gpu.read_into(&obuf, out)?;
    let mut narrow = vec![0i32; out.len()];
    gpu.read_into(&ibuf, &mut narrow)?;
    for (i, n) in indices.iter_mut().zip(narrow) {
        *i = n as i64;
    }
    Ok(())
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
    check_len("grad_input", grad_input.len(), input.len())?;
    check_len(
        "grad_output",
        grad_output.len(),
        input.count * out_plane_len,
    )?;
    check_len("indices", indices.len(), grad_output.len())?;
    let n = input.plane_len();
    if let Some(&i) = indices.iter().find(|&&i| i < 0 || i as usize >= n) {
        return value_error!(
            "indices holds {i}, outside an input plane of {} x {} samples",
            input.h,
            input.w
        );
    }
    if grad_input.is_empty() {
        return Ok(());
    }
    let gpu = gpu_fitting::<T>(&[grad_output.len(), grad_input.len()])?;
    let narrow: Vec<i32> = indices.iter().map(|&i| i as i32).collect();
    // The plane geometry is all this kernel reads: outputs as one row of out_plane_len.
    let mut u = PoolUniform {
        count: u32::try_from(input.count)
            .map_err(|_| Error::Value("too many planes for the GPU kernels".into()))?,
        h: small(input.h, "input height")?,
        w: small(input.w, "input width")?,
        oh: 1,
        ow: small(out_plane_len, "output plane")?,
        ..Zeroable::zeroed()
    };
    let groups = grid(gpu, input.count, &mut u);
    let pipeline = gpu.pipeline(EXTREME_BACKWARD, "main", T::WGSL, &[])?;
    let gbuf = gpu.upload("grad_output", grad_output, 0)?;
    let ibuf = gpu.upload("indices", &narrow, 0)?;
    let obuf = gpu.output::<T>("grad_input", grad_input.len())?;
    let ubuf = gpu.uniform(&u)?;
    gpu.dispatch(&pipeline, &[&ubuf, &gbuf, &ibuf, &obuf], groups)?;
    gpu.read_into(&obuf, grad_input)
}

fn avg_uniform(
    planes: Planes,
    p: &PoolParams,
    shape: (usize, usize),
    count_include_pad: bool,
    divisor: Option<usize>,
) -> Result<PoolUniform> {
    if p.h.dilation != 1 || p.w.dilation != 1 {
        return value_error!("average pooling has no dilation");
    }
    if divisor == Some(0) {
        return value_error!("divisor_override must be non-zero; got 0");
    }
    let mut u = PoolUniform::new(planes, p, shape, count_include_pad)?;
    u.divisor = u32::try_from(divisor.unwrap_or(0))
        .map_err(|_| Error::Value("divisor_override is too large for the GPU kernels".into()))?;
    Ok(u)
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
    check_len("input", x.len(), planes.len())?;
    let shape = p.out_shape(planes.h, planes.w)?;
    let mut u = avg_uniform(planes, p, shape, count_include_pad, divisor)?;
    check_len("output", out.len(), planes.count * shape.0 * shape.1)?;
    if out.is_empty() {
        return Ok(());
    }
    let gpu = gpu_fitting::<T>(&[x.len(), out.len()])?;
    let groups = grid(gpu, out.len(), &mut u);
    let pipeline = gpu.pipeline(AVG, "main", T::WGSL, &[])?;
    let xbuf = gpu.upload("input", x, 0)?;
    let obuf = gpu.output::<T>("output", out.len())?;
    let ubuf = gpu.uniform(&u)?;
    gpu.dispatch(&pipeline, &[&ubuf, &xbuf, &obuf], groups)?;
    gpu.read_into(&obuf, out)
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
    check_len("grad_input", grad_input.len(), input.len())?;
    let shape = p.out_shape(input.h, input.w)?;
    let mut u = avg_uniform(input, p, shape, count_include_pad, divisor)?;
    check_len(
        "grad_output",
        grad_output.len(),
        input.count * shape.0 * shape.1,
    )?;
    if grad_input.is_empty() {
        return Ok(());
    }
    let gpu = gpu_fitting::<T>(&[grad_output.len(), grad_input.len()])?;
    let groups = grid(gpu, grad_input.len(), &mut u);
    let pipeline = gpu.pipeline(AVG_BACKWARD, "main", T::WGSL, &[])?;
    let gbuf = gpu.upload("grad_output", grad_output, 0)?;
    let obuf = gpu.output::<T>("grad_input", grad_input.len())?;
    let ubuf = gpu.uniform(&u)?;
    gpu.dispatch(&pipeline, &[&ubuf, &gbuf, &obuf], groups)?;
    gpu.read_into(&obuf, grad_input)
}
