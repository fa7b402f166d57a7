//! AVX2 + FMA: 8 × f32 or 4 × f64 per register.

use super::Vector;
use std::arch::x86_64::*;

/// Eight f32 lanes.
#[derive(Clone, Copy, Debug)]
pub struct F32x8(__m256);

/// Four f64 lanes.
#[derive(Clone, Copy, Debug)]
pub struct F64x4(__m256d);

// SAFETY: used only where Isa::detect reported AVX2 and FMA; loads/stores touch LANES elements.
unsafe impl Vector<f32> for F32x8 {
    const LANES: usize = 8;
    #[inline(always)]
    unsafe fn zero() -> Self {
        F32x8(_mm256_setzero_ps())
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        F32x8(_mm256_set1_ps(x))
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: caller guarantees 8 readable elements.
        F32x8(unsafe { _mm256_loadu_ps(p) })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: caller guarantees 8 writable elements.
        unsafe { _mm256_storeu_ps(p, self.0) }
    }
    #[inline(always)]
    unsafe fn mul_add(self, a: Self, b: Self) -> Self {
        F32x8(_mm256_fmadd_ps(a.0, b.0, self.0))
    }
    #[inline(always)]
    fn lane_mul_add(acc: f32, a: f32, b: f32) -> f32 {
        f32::mul_add(a, b, acc)
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        F32x8(_mm256_min_ps(self.0, b.0))
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        F32x8(_mm256_max_ps(self.0, b.0))
    }
    #[inline(always)]
    unsafe fn add(self, b: Self) -> Self {
        F32x8(_mm256_add_ps(self.0, b.0))
    }
}

// SAFETY: as for F32x8.
unsafe impl Vector<f64> for F64x4 {
    const LANES: usize = 4;
    #[inline(always)]
    unsafe fn zero() -> Self {
        F64x4(_mm256_setzero_pd())
    }
    #[inline(always)]
    unsafe fn splat(x: f64) -> Self {
        F64x4(_mm256_set1_pd(x))
    }
    #[inline(always)]
    unsafe fn load(p: *const f64) -> Self {
        // SAFETY: caller guarantees 4 readable elements.
        F64x4(unsafe { _mm256_loadu_pd(p) })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f64) {
        // SAFETY: caller guarantees 4 writable elements.
        unsafe { _mm256_storeu_pd(p, self.0) }
    }
    #[inline(always)]
    unsafe fn mul_add(self, a: Self, b: Self) -> Self {
        F64x4(_mm256_fmadd_pd(a.0, b.0, self.0))
    }
    #[inline(always)]
    fn lane_mul_add(acc: f64, a: f64, b: f64) -> f64 {
        f64::mul_add(a, b, acc)
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        F64x4(_mm256_min_pd(self.0, b.0))
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        F64x4(_mm256_max_pd(self.0, b.0))
    }
    #[inline(always)]
    unsafe fn add(self, b: Self) -> Self {
        F64x4(_mm256_add_pd(self.0, b.0))
    }
}
