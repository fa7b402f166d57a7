//! Entry points: validate, pick an algorithm and a backend, run with the requested threads.

pub mod conv;
pub mod convolve;
pub mod cost;
pub mod device;
pub mod ndfilter;
pub mod pool;

pub use convolve::{convolve, fft_convolve, ConvElement, DeviceElement};
