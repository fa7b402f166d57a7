//! Entry points: validate, pick an algorithm and a backend, run with the requested threads.

pub mod convolve;
pub mod cost;
pub mod device;

pub use convolve::{convolve, fft_convolve, ConvElement, DeviceElement};
