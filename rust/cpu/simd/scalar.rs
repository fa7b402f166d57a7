//! The portable fallback: four lanes in an array, which the compiler vectorises for the baseline
//! target (SSE2 on x86-64, NEON on aarch64) and which also serves integer elements.

use super::Vector;
use crate::element::Element;

/// Four elements of `T`.
#[derive(Clone, Copy, Debug)]
pub struct Lanes<T>([T; 4]);

// SAFETY: only plain Rust arithmetic; load/store touch exactly LANES elements.
unsafe impl<T: Element> Vector<T> for Lanes<T> {
    const LANES: usize = 4;

    #[inline(always)]
    unsafe fn zero() -> Self {
        Lanes([T::ZERO; 4])
    }
    #[inline(always)]
    unsafe fn splat(x: T) -> Self {
        Lanes([x; 4])
    }
    #[inline(always)]
    unsafe fn load(p: *const T) -> Self {
        // SAFETY: the caller guarantees 4 readable elements at p.
        Lanes(unsafe { p.cast::<[T; 4]>().read_unaligned() })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut T) {
        // SAFETY: the caller guarantees 4 writable elements at p.
        unsafe { p.cast::<[T; 4]>().write_unaligned(self.0) }
    }
    #[inline(always)]
    unsafe fn mul_add(self, a: Self, b: Self) -> Self {
        Lanes(std::array::from_fn(|i| self.0[i].mul_add(a.0[i], b.0[i])))
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        Lanes(std::array::from_fn(|i| {
            if self.0[i] < b.0[i] {
                self.0[i]
            } else {
                b.0[i]
            }
        }))
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        Lanes(std::array::from_fn(|i| {
            if self.0[i] > b.0[i] {
                self.0[i]
            } else {
                b.0[i]
            }
        }))
    }
    #[inline(always)]
    unsafe fn add(self, b: Self) -> Self {
        Lanes(std::array::from_fn(|i| self.0[i].add(b.0[i])))
    }
}
