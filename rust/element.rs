//! The element types the kernels compute in.
//!
//! float32 and float64 are the native types (float32 is computed as float32). Integers are computed in
//! `i64` with wrapping arithmetic: wrapping sums of products are exact modulo 2^64, so casting the
//! result to a narrower integer type gives exactly numpy's wrap-around result for that type.

use std::fmt::Debug;

/// A type the direct kernels can accumulate in: `acc + a * b`.
pub trait Element: Copy + Send + Sync + Default + PartialEq + PartialOrd + Debug + 'static {
    /// The additive identity.
    const ZERO: Self;
    /// `self + a * b` (wrapping for integers, not fused for floats so that it vectorises anywhere).
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// `self + other` (wrapping for integers).
    fn add(self, other: Self) -> Self;
}

macro_rules! float_element {
    ($t:ty) => {
        impl Element for $t {
            const ZERO: Self = 0.0;
            #[inline(always)]
            fn mul_add(self, a: Self, b: Self) -> Self {
                self + a * b
            }
            #[inline(always)]
            fn add(self, other: Self) -> Self {
                self + other
            }
        }
    };
}
float_element!(f32);
float_element!(f64);

impl Element for i64 {
    const ZERO: Self = 0;
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        self.wrapping_add(a.wrapping_mul(b))
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        self.wrapping_add(other)
    }
}

/// Real floating-point elements: the types with SIMD and FFT paths.
pub trait Real: Element + num_traits::Float + realfft::FftNum {}
impl Real for f32 {}
impl Real for f64 {}
