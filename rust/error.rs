//! The one error type of the crate. Every failure a user can cause is a variant here, never a panic;
//! the Python bindings map the variants onto ValueError / TypeError in one place.

use thiserror::Error;

/// Errors raised by sigconv's operations.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Error {
    /// A bad argument value or an array shape that does not fit (Python: ValueError).
    #[error("{0}")]
    Value(String),
    /// An element type the operation does not support (Python: TypeError).
    #[error("{0}")]
    Type(String),
    /// The GPU was asked for but no adapter is present (Python: sigconv.GpuUnavailableError).
    #[error("{0}")]
    GpuUnavailable(String),
    /// The GPU failed while running a kernel: out of device memory, a lost device, a driver error
    /// (Python: RuntimeError).
    #[error("{0}")]
    Gpu(String),
}

/// Result alias used across the crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Shorthand for `Err(Error::Value(format!(...)))`.
macro_rules! value_error {
    ($($arg:tt)*) => { Err($crate::error::Error::Value(format!($($arg)*))) };
}
pub(crate) use value_error;
