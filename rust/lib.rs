//! sigconv: convolution, correlation and filtering of signals and images.
//!
//! The map of the crate:
//!
//! * [`params`] — option enums (`Mode`, `Boundary`, `Method`), `PoolParams`, and the output-size
//!   formulas, once.
//! * [`error`] — the one error enum; user input never panics.
//! * [`element`] — the element types kernels compute in (f32, f64, and i64 for integers).
//! * [`ops`] — entry points: validate shapes, pick an algorithm with the cost model, run it with the
//!   requested threads.
//! * [`cpu`] — the kernels: `reference` (plain loops, the oracle), `direct` (SIMD sliding dot
//!   products over row blocks), `fft` (real FFTs, whole-array and blocked), `simd/` (one file per
//!   instruction set, chosen at run time), `threads` (the `workers=` setting), `pool` and
//!   `pool_simd` (max/min/average/unpool/adaptive pooling, forward and backward), `resample`
//!   (torch's `interpolate`, forward and backward); for the ndimage
//!   filters `separable` (1-D passes along any axis, fused 2-D passes, running sums, van Herk
//!   min/max) and `rank` (SIMD median networks from `median_networks`, generic rank selection);
//!   `fill` (lost samples filled by iterated normalized convolution, `sigconv.denoise`).
//! * [`ops::ndfilter`] — the ndimage filters' entry points (pass sequences, rank filters, NaN).
//! * [`gpu`] (feature `gpu`, on by default) — the wgpu backend: `context` (adapter, device,
//!   pipeline cache), `launch` (buffers, dispatch, readback), `correlate` (1-D/2-D correlation
//!   launcher with tiling), `shaders/*.wgsl` (one kernel per file). `ops::device` picks it.
//! * `python` (feature `python`) — the only module that knows about PyO3 and numpy.
//!
//! Everything is a correlation underneath: a true convolution is a correlation with the kernel
//! flipped, and every mode is a window onto the full result ([`params::AxisWindow`]).

pub mod cpu;
pub mod element;
pub mod error;
#[cfg(feature = "gpu")]
pub mod gpu;
pub mod ops;
pub mod params;

#[cfg(feature = "python")]
mod python;

pub use error::{Error, Result};
pub use params::{Boundary, Method, Mode};
