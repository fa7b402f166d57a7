//! Direct correlation: SIMD sliding dot products over blocks of output rows, threaded with rayon.
//! (Being written: this stub computes through the reference loops.)

use crate::cpu::reference;
use crate::cpu::simd::SimdElement;
use crate::params::Boundary;
use ndarray::{ArrayD, ArrayViewD};

/// Element types the direct kernels run on.
pub trait DirectElement: SimdElement {}
impl DirectElement for f32 {}
impl DirectElement for f64 {}
impl DirectElement for i64 {}

/// `out[o] = sum_m ext(x)[o + start + m] * kernel[m]` (see [`reference::correlate`]).
pub fn correlate<T: DirectElement>(
    x: ArrayViewD<T>,
    kernel: ArrayViewD<T>,
    start: &[isize],
    out_shape: &[usize],
    boundary: Boundary<T>,
) -> ArrayD<T> {
    reference::correlate(x, kernel, start, out_shape, boundary)
}
