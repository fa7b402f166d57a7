//! CPU kernels.

pub mod conv;
pub mod conv_reference;
pub mod direct;
pub mod fft;
pub mod gemm;
pub mod matmul;
pub mod pad;
pub mod pool;
pub mod pool_simd;
pub mod reference;
pub mod resample;
pub mod rows;
pub mod simd;
pub mod threads;
