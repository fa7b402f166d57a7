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
    let inf = gpu.upload("infinities", &[T::neg_infinity(), T::infinity()], 0)?;
    let size = std::mem::size_of::<T>();
    let mut narrow = vec![0i32; out.len()];
    for (p0, p1) in chunks(planes.count, per) {
        let part = Planes {
            count: p1 - p0,
            ..planes
        };
        let u = PoolUniform::new(part, p, shape, kind == Extreme::Max)?;
        let xbuf = gpu.upload("input", &x[p0 * n_in..p1 * n_in], 0)?;
        let len = part.count * n_out;
        let outs = launch::<T>(
            gpu,
            EXTREME,
            u,
            len,
            &[&xbuf, &inf],
            &[("output", len, size), ("indices", len, 4)],
        )?;
        gpu.read_into(&outs[0], &mut out[p0 * n_out..p1 * n_out])?;
        gpu.read_into(&outs[1], &mut narrow[p0 * n_out..p1 * n_out])?;
    }
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
    let size = std::mem::size_of::<T>();
    for (p0, p1) in chunks(input.count, per) {
        // The plane geometry is all this kernel reads: outputs as one row of out_plane_len.
        let u = PoolUniform {
            count: small(p1 - p0, "planes")? as u32,
            h: small(input.h, "input height")?,
            w: small(input.w, "input width")?,
            oh: 1,
            ow: small(out_plane_len, "output plane")?,
            ..Zeroable::zeroed()
        };
        let (o0, o1) = (p0 * out_plane_len, p1 * out_plane_len);
        let gbuf = gpu.upload("grad_output", &grad_output[o0..o1], 0)?;
        let ibuf = gpu.upload("indices", &narrow[o0..o1], 0)?;
        let outs = launch::<T>(
            gpu,
            EXTREME_BACKWARD,
            u,
            p1 - p0,
            &[&gbuf, &ibuf],
            &[("grad_input", (p1 - p0) * n_in, size)],
        )?;
        gpu.read_into(&outs[0], &mut grad_input[p0 * n_in..p1 * n_in])?;
    }
    Ok(())
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
    let size = std::mem::size_of::<T>();
    for (p0, p1) in chunks(planes.count, per) {
        let part = Planes {
            count: p1 - p0,
            ..planes
        };
        let u = PoolUniform::new(part, p, shape, count_include_pad)?.with_divisor(divisor)?;
        let xbuf = gpu.upload("input", &x[p0 * n_in..p1 * n_in], 0)?;
        let len = part.count * n_out;
        let outs = launch::<T>(gpu, AVG, u, len, &[&xbuf], &[("output", len, size)])?;
        gpu.read_into(&outs[0], &mut out[p0 * n_out..p1 * n_out])?;
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
    let size = std::mem::size_of::<T>();
    for (p0, p1) in chunks(input.count, per) {
        let part = Planes {
            count: p1 - p0,
            ..input
        };
        let u = PoolUniform::new(part, p, shape, count_include_pad)?.with_divisor(divisor)?;
        let gbuf = gpu.upload("grad_output", &grad_output[p0 * n_out..p1 * n_out], 0)?;
        let len = part.count * n_in;
        let outs = launch::<T>(
            gpu,
            AVG_BACKWARD,
            u,
            len,
            &[&gbuf],
            &[("grad_input", len, size)],
        )?;
        gpu.read_into(&outs[0], &mut grad_input[p0 * n_in..p1 * n_in])?;
    }
    Ok(())
}
