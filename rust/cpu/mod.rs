//! CPU kernels.

pub mod direct;
pub mod fft;
pub mod fill;
pub mod reference;
pub mod rows;
pub mod simd;
pub mod threads;
