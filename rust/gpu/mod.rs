//! The GPU backend (feature `gpu`): wgpu compute shaders on Vulkan, Metal or DX12.
//!
//! * [`context`] — the process-wide context: adapter and device chosen once, pipelines cached.
//! * [`conv`] — the convolution-layer kernels (forward, backward-data, backward-weight) as implicit
//!   GEMMs.
//! * [`pool`] — the launchers of the pooling kernels (max/min with indices, average, gradients).
//! * [`rank`] — minimum/maximum along an axis and rank filters (the median) over 2-D planes.
//! * [`launch`] — buffers, uploads, dispatches, readback, wgpu errors mapped onto [`crate::Error`].
//! * [`resident`] — arrays that stay in device memory (GPU-resident tensors), and the kernels
//!   their autograd ops and optimisers need besides the layers': [`elementwise`] arithmetic,
//!   [`reduce`] (sums over axes), [`index`] (gathers and scatters by integer indices), [`loss`] (cross-entropy), [`optim`] (SGD and Adam steps).
//! * [`correlate`] — the launcher of the 1-D and 2-D correlation kernels (convolution is a
//!   correlation with the kernel flipped), with tiling for inputs larger than a buffer binding.
//! * `shaders/*.wgsl` — one kernel per file, computing in `T` (`alias T = f32;`, rewritten to f64
//!   where the adapter offers `SHADER_F64`).
//!
//! Adding a kernel: a WGSL file under `shaders/` with `alias T = f32;`, its bindings in group 0
//! (uniform parameters at 0, then storage buffers), and a launcher of a few lines: build the Pod
//! parameters, [`context::Gpu::pipeline`], [`context::Gpu::upload`] / [`context::Gpu::output`],
//! [`context::Gpu::dispatch`], [`context::Gpu::read_into`].

pub mod context;
pub mod conv;
pub mod correlate;
pub mod elementwise;
pub mod index;
pub mod launch;
pub mod loss;
pub mod optim;
pub mod pool;
pub mod rank;
pub mod reduce;
pub mod resident;

pub use context::{available, get, AdapterSummary, Gpu, Shader};
pub use correlate::{correlate_into, GpuElement};
pub use launch::Timings;

use std::sync::atomic::{AtomicU64, Ordering};

/// A lower limit on the bytes one buffer binding may hold (0: none); see [`set_binding_cap`].
static BINDING_CAP: AtomicU64 = AtomicU64::new(0);

/// Caps the bytes a launch binds per buffer below the adapter's limit (`None` lifts the cap), so that
/// tests can exercise the tiling of large inputs on small ones. Process-wide.
pub fn set_binding_cap(bytes: Option<u64>) {
    BINDING_CAP.store(bytes.unwrap_or(0), Ordering::Relaxed);
}

/// The cap set by [`set_binding_cap`], if any.
pub fn binding_cap() -> Option<u64> {
    match BINDING_CAP.load(Ordering::Relaxed) {
        0 => None,
        b => Some(b),
    }
}
