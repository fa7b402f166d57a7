//! Entry points of the pooling kernels that also run on the GPU (max and min pooling with
//! indices, average pooling, and their gradients): the device `device=` picks, then the kernel of
//! [`crate::cpu::pool`] or [`crate::gpu::pool`] with the same geometry and results. The caller
//! sets the CPU threads (`threads::with_workers`).

use crate::cpu::pool::{self, Extreme, Planes};
use crate::cpu::pool_simd::PairElement;
use crate::element::Real;
use crate::error::Result;
use crate::ops::device::{self, on_gpu, Device, Request};
use crate::params::PoolParams;

/// CPU seconds per window tap, for `device='auto'` (about 2e-10 s: max_pool2d, kernel 2, of a
/// (32, 64, 112, 112) float32 batch in benches/bench_pooling.py, 2 cores with AVX-512).
const CPU_SECONDS_PER_TAP: f64 = 2e-10;

/// Element types whose pooling has both kernels: float32 and float64 (on the GPU where the adapter
/// has `SHADER_F64`).
#[cfg(feature = "gpu")]
pub trait PoolElement: Real + PairElement + crate::gpu::GpuElement {}
/// Element types whose pooling has both kernels (this build has no GPU backend).
#[cfg(not(feature = "gpu"))]
pub trait PoolElement: Real + PairElement {}
impl PoolElement for f32 {}
impl PoolElement for f64 {}

/// The device for a pooling job reading or writing `samples` in all, over `taps` window taps.
fn pick<T>(request: Request, taps: usize, samples: usize) -> Device {
    device::select(request, || device::Work {
        macs: taps as f64,
        bytes: (samples * std::mem::size_of::<T>()) as f64,
        cpu_seconds: taps as f64 * CPU_SECONDS_PER_TAP,
        f64: std::mem::size_of::<T>() == 8,
    })
}

/// Max or min pooling on the device `request` picks; `indices` (when given) receives torch's
/// flat in-plane argmax. The GPU always computes the indices.
#[cfg_attr(not(feature = "gpu"), allow(unused_variables))]
pub fn extreme_pool_on<T: PoolElement>(
    request: Request,
    x: &[T],
    planes: Planes,
    p: &PoolParams,
    kind: Extreme,
    out: &mut [T],
    indices: Option<&mut [i64]>,
) -> Result<()> {
    let taps = out.len() * p.h.kernel * p.w.kernel;
    match (pick::<T>(request, taps, x.len() + out.len()), indices) {
        (Device::Gpu, idx) => on_gpu!({
            let mut own = Vec::new();
            let idx = match idx {
                Some(idx) => idx,
                None => {
                    own.resize(out.len(), 0);
                    &mut own[..]
                }
            };
            crate::gpu::pool::extreme_pool_indices(x, planes, p, kind, out, idx)
        }),
        (Device::Cpu, Some(idx)) => pool::extreme_pool_indices(x, planes, p, kind, out, idx),
        (Device::Cpu, None) => pool::extreme_pool(x, planes, p, kind, out),
    }
}

/// The gradient of max or min pooling on the device `request` picks.
#[cfg_attr(not(feature = "gpu"), allow(unused_variables))]
pub fn extreme_pool_backward_on<T: PoolElement>(
    request: Request,
    grad_output: &[T],
    indices: &[i64],
    out_plane_len: usize,
    input: Planes,
    grad_input: &mut [T],
) -> Result<()> {
    let samples = grad_output.len() + grad_input.len();
    match pick::<T>(request, grad_output.len(), samples) {
        Device::Gpu => on_gpu!(crate::gpu::pool::extreme_pool_backward(
            grad_output,
            indices,
            out_plane_len,
            input,
            grad_input
        )),
        Device::Cpu => {
            pool::extreme_pool_backward(grad_output, indices, out_plane_len, input, grad_input)
        }
    }
}

/// Average pooling on the device `request` picks.
#[cfg_attr(not(feature = "gpu"), allow(unused_variables))]
pub fn avg_pool_on<T: PoolElement>(
    request: Request,
    x: &[T],
    planes: Planes,
    p: &PoolParams,
    count_include_pad: bool,
    divisor: Option<usize>,
    out: &mut [T],
) -> Result<()> {
    let taps = out.len() * p.h.kernel * p.w.kernel;
    match pick::<T>(request, taps, x.len() + out.len()) {
        Device::Gpu => on_gpu!(crate::gpu::pool::avg_pool(
            x,
            planes,
            p,
            count_include_pad,
            divisor,
            out
        )),
        Device::Cpu => pool::avg_pool(x, planes, p, count_include_pad, divisor, out),
    }
}

/// The gradient of average pooling on the device `request` picks.
#[cfg_attr(not(feature = "gpu"), allow(unused_variables))]
pub fn avg_pool_backward_on<T: PoolElement>(
    request: Request,
    grad_output: &[T],
    input: Planes,
    p: &PoolParams,
    count_include_pad: bool,
    divisor: Option<usize>,
    grad_input: &mut [T],
) -> Result<()> {
    let taps = grad_output.len() * p.h.kernel * p.w.kernel;
    match pick::<T>(request, taps, grad_output.len() + grad_input.len()) {
        Device::Gpu => on_gpu!(crate::gpu::pool::avg_pool_backward(
            grad_output,
            input,
            p,
            count_include_pad,
            divisor,
            grad_input
        )),
        Device::Cpu => pool::avg_pool_backward(
            grad_output,
            input,
            p,
            count_include_pad,
            divisor,
            grad_input,
        ),
    }
}
