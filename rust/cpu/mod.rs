//! CPU kernels.

pub mod direct;
pub mod fft;
pub mod fill;
pub mod median_networks;
pub mod rank;
pub mod reference;
pub mod rows;
pub mod separable;
pub mod simd;
pub mod threads;
