//! Backend selection (`device=`). Only the CPU backend exists so far.

use crate::error::{Error, Result};

/// Where a computation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    /// The CPU kernels.
    Cpu,
}

/// Resolves a `device=` string: `'cpu'` and `'auto'` run on the CPU; `'gpu'` fails until a GPU
/// backend is built.
pub fn resolve(name: &str) -> Result<Device> {
    match name {
        "cpu" | "auto" => Ok(Device::Cpu),
        "gpu" => Err(Error::GpuUnavailable(
            "device='gpu' was requested, but this build of sigconv has no GPU backend; \
             use device='cpu' or device='auto'"
                .into(),
        )),
        other => Err(Error::Value(format!(
            "device must be one of 'cpu', 'gpu', 'auto'; got {other:?}"
        ))),
    }
}
