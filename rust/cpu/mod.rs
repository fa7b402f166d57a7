//! CPU kernels.

pub mod direct;
pub mod fft;
pub mod pool;
pub mod pool_simd;
pub mod reference;
pub mod resample;
pub mod rows;
pub mod simd;
pub mod threads;
