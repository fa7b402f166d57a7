//! Backend selection (`device=`): `'cpu'`, `'gpu'` or `'auto'`.
//!
//! * `'gpu'` runs on the GPU adapter ([`crate::gpu::context`]) and fails with
//!   [`Error::GpuUnavailable`] when there is none (or the crate was built without feature `gpu`).
//! * `'auto'` runs on the GPU only where an adapter exists, is not a CPU adapter (Mesa's llvmpipe
//!   shares the cores the CPU kernels already use), computes the dtype, and the work is large
//!   enough to pay for the transfers ([`gpu_pays`]).

use crate::error::{Error, Result};

/// Where a computation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    /// The CPU kernels.
    Cpu,
    /// The GPU kernels (feature `gpu`).
    Gpu,
}

/// What `device=` asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// `'cpu'`.
    Cpu,
    /// `'gpu'`: the GPU or an error.
    Gpu,
    /// `'auto'`: the GPU where it pays, else the CPU.
    Auto,
}

/// Parses a `device=` string, without looking for an adapter.
pub fn parse(name: &str) -> Result<Request> {
    match name {
        "cpu" => Ok(Request::Cpu),
        "gpu" => Ok(Request::Gpu),
        "auto" => Ok(Request::Auto),
        other => Err(Error::Value(format!(
            "device must be one of 'cpu', 'gpu', 'auto'; got {other:?}"
        ))),
    }
}

/// Parses `device=` and, for `'gpu'`, checks that an adapter is usable (GpuUnavailable if not).
pub fn check(name: &str) -> Result<Request> {
    let request = parse(name)?;
    if request == Request::Gpu {
        gpu_available()?;
    }
    Ok(request)
}

/// For operations that have no GPU kernel yet: `'cpu'` and `'auto'` run on the CPU; `'gpu'` fails
/// (GpuUnavailable, saying why: no adapter, or no kernel for this operation yet).
pub fn resolve(name: &str) -> Result<Device> {
    match check(name)? {
        Request::Cpu | Request::Auto => Ok(Device::Cpu),
        Request::Gpu => Err(Error::GpuUnavailable(
            "device='gpu' was requested, but this operation has no GPU kernel yet; \
             use device='cpu' or device='auto'"
                .into(),
        )),
    }
}

/// Ok when a GPU adapter is usable, else why not.
pub fn gpu_available() -> Result<()> {
    #[cfg(feature = "gpu")]
    {
        crate::gpu::get().map(|_| ())
    }
    #[cfg(not(feature = "gpu"))]
    {
        Err(Error::GpuUnavailable(
            "device='gpu' was requested, but this build of sigconv has no GPU backend \
             (cargo feature 'gpu'); use device='cpu' or device='auto'"
                .into(),
        ))
    }
}

/// `$call` (a [`crate::gpu`] kernel) with the `gpu` feature, else GpuUnavailable ([`check`]
/// refuses `'gpu'` before any kernel runs in such a build).
macro_rules! on_gpu {
    ($call:expr) => {{
        #[cfg(feature = "gpu")]
        {
            $call
        }
        #[cfg(not(feature = "gpu"))]
        {
            $crate::ops::device::gpu_available()
        }
    }};
}
pub(crate) use on_gpu;

/// The size of a job, for `'auto'`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Work {
    /// Multiply-adds.
    pub macs: f64,
    /// Bytes moved between host and device (inputs and output).
    pub bytes: f64,
    /// The CPU's estimated seconds (the cost model of `ops::cost`).
    pub cpu_seconds: f64,
    /// Whether it computes in float64.
    pub f64: bool,
}

// A GPU job's time is taken as LAUNCH + bytes / TRANSFER + macs / RATE. These are conservative
// figures for a discrete GPU behind PCIe (staged copies, a direct kernel from workgroup memory),
// not measured: no GPU was available when they were set. The GPU is chosen only when it is expected
// to be at least twice as fast as the CPU's best method.
const GPU_LAUNCH_SECONDS: f64 = 3e-4;
const GPU_TRANSFER_BYTES_PER_SECOND: f64 = 5e9;
const GPU_F32_MACS_PER_SECOND: f64 = 1e12;
const GPU_F64_MACS_PER_SECOND: f64 = 1e11;

/// The GPU's estimated seconds for `work`.
pub fn gpu_seconds(work: &Work) -> f64 {
    let rate = if work.f64 {
        GPU_F64_MACS_PER_SECOND
    } else {
        GPU_F32_MACS_PER_SECOND
    };
    GPU_LAUNCH_SECONDS + work.bytes / GPU_TRANSFER_BYTES_PER_SECOND + work.macs / rate
}

/// Whether `'auto'` runs `work` on the GPU: an adapter that is not a CPU, that computes the dtype,
/// and an expected time at most half the CPU's.
pub fn gpu_pays(work: &Work) -> bool {
    #[cfg(feature = "gpu")]
    {
        let Ok(gpu) = crate::gpu::get() else {
            return false;
        };
        if gpu.summary.kind == "cpu" || (work.f64 && !gpu.summary.f64) {
            return false;
        }
        2.0 * gpu_seconds(work) < work.cpu_seconds
    }
    #[cfg(not(feature = "gpu"))]
    {
        let _ = work;
        false
    }
}

/// The device a request runs on, for an operation that has a GPU kernel.
pub fn select(request: Request, work: impl FnOnce() -> Work) -> Device {
    match request {
        Request::Cpu => Device::Cpu,
        Request::Gpu => Device::Gpu,
        Request::Auto if gpu_pays(&work()) => Device::Gpu,
        Request::Auto => Device::Cpu,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_names() {
        assert_eq!(parse("cpu"), Ok(Request::Cpu));
        assert_eq!(parse("gpu"), Ok(Request::Gpu));
        assert_eq!(parse("auto"), Ok(Request::Auto));
        assert!(
            matches!(parse("cuda"), Err(Error::Value(m)) if m.contains("'cpu', 'gpu', 'auto'"))
        );
    }

    #[test]
    fn auto_keeps_small_work_on_the_cpu() {
        let small = Work {
            macs: 1e3,
            bytes: 1e3,
            cpu_seconds: 1e-6,
            f64: false,
        };
        assert_eq!(select(Request::Auto, || small), Device::Cpu);
        assert_eq!(select(Request::Cpu, || small), Device::Cpu);
        assert_eq!(select(Request::Gpu, || small), Device::Gpu);
    }

    #[test]
    fn gpu_estimate_grows_with_work() {
        let w = |macs: f64| Work {
            macs,
            bytes: 4e6,
            cpu_seconds: 1.0,
            f64: false,
        };
        assert!(gpu_seconds(&w(1e12)) > gpu_seconds(&w(1e9)));
        let f64_work = Work {
            f64: true,
            ..w(1e10)
        };
        assert!(gpu_seconds(&f64_work) > gpu_seconds(&w(1e10)));
    }
}
