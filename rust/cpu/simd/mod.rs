//! SIMD behind one trait, one file per instruction set, chosen at run time.
//!
//! Kernels are written once, generic over [`Vector`], and marked `#[inline(always)]`; the
//! [`dispatch!`] macro instantiates them inside `#[target_feature]` functions so that the intrinsics
//! inline into code compiled for that instruction set. [`Isa::detect`] picks the best level the CPU
//! offers; `SIGCONV_SIMD=scalar|avx2|avx512` caps it (used by the tests to cover every path).

use crate::element::Element;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

static CAP: AtomicU8 = AtomicU8::new(Isa::Avx512 as u8);

#[cfg(target_arch = "x86_64")]
pub mod avx2;
#[cfg(target_arch = "x86_64")]
pub mod avx512;
pub mod scalar;

/// A SIMD register of `LANES` elements of `T`.
///
/// # Safety
/// Implementations may only be used where their instruction set is available (see [`Isa`]);
/// `load`/`store` take raw pointers to `LANES` readable/writable elements.
pub unsafe trait Vector<T: Element>: Copy {
    /// Elements per register.
    const LANES: usize;
    /// All lanes zero.
    ///
    /// # Safety
    /// Only where the instruction set is available (and, for memory, `LANES` valid elements).
    unsafe fn zero() -> Self;
    /// All lanes `x`.
    ///
    /// # Safety
    /// Only where the instruction set is available (and, for memory, `LANES` valid elements).
    unsafe fn splat(x: T) -> Self;
    /// Unaligned load of `LANES` elements.
    ///
    /// # Safety
    /// Only where the instruction set is available (and, for memory, `LANES` valid elements).
    unsafe fn load(p: *const T) -> Self;
    /// Unaligned store of `LANES` elements.
    ///
    /// # Safety
    /// Only where the instruction set is available (and, for memory, `LANES` valid elements).
    unsafe fn store(self, p: *mut T);
    /// `self + a * b`, fused where the instruction set has FMA.
    ///
    /// # Safety
    /// Only where the instruction set is available (and, for memory, `LANES` valid elements).
    unsafe fn mul_add(self, a: Self, b: Self) -> Self;
    /// `acc + a * b` on single elements rounded as one lane of [`Vector::mul_add`] (fused where
    /// that is): kernels compute their tails with it, so a sample's value does not depend on
    /// whether it fell in a vector or in the tail (chunked and whole-array results agree).
    #[inline(always)]
    fn lane_mul_add(acc: T, a: T, b: T) -> T {
        acc.mul_add(a, b)
    }
    /// Lane-wise `if self < b { self } else { b }` (the x86 `min` rule: `b` when unordered).
    ///
    /// # Safety
    /// Only where the instruction set is available.
    unsafe fn min(self, b: Self) -> Self;
    /// Lane-wise `if self > b { self } else { b }` (the x86 `max` rule: `b` when unordered).
    ///
    /// # Safety
    /// Only where the instruction set is available.
    unsafe fn max(self, b: Self) -> Self;
    /// Lane-wise `self + b`.
    ///
    /// # Safety
    /// Only where the instruction set is available.
    unsafe fn add(self, b: Self) -> Self;
}

/// Instruction-set levels, best last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Isa {
    /// Portable code (4-lane arrays the compiler vectorises for the baseline target).
    Scalar,
    /// AVX2 with FMA, 256-bit registers.
    Avx2,
    /// AVX-512F, 512-bit registers.
    Avx512,
}

impl Isa {
    /// The level kernels run with: the best this CPU supports, capped by [`Isa::set_cap`] or, until
    /// that is called, by `SIGCONV_SIMD`.
    pub fn detect() -> Isa {
        static SUPPORTED: OnceLock<Isa> = OnceLock::new();
        let supported = *SUPPORTED.get_or_init(Isa::supported);
        supported.min(Isa::cap())
    }

    /// Caps the level kernels run with (tests and benchmarks use it to cover every path). Results
    /// agree across levels up to rounding, so changing it while other threads compute is harmless.
    pub fn set_cap(cap: Isa) {
        Isa::cap();
        CAP.store(cap as u8, Ordering::Relaxed);
    }

    fn cap() -> Isa {
        static FROM_ENV: OnceLock<()> = OnceLock::new();
        FROM_ENV.get_or_init(|| {
            let cap = match std::env::var("SIGCONV_SIMD").as_deref() {
                Ok("scalar") => Isa::Scalar,
                Ok("avx2") => Isa::Avx2,
                _ => Isa::Avx512,
            };
            CAP.store(cap as u8, Ordering::Relaxed);
        });
        match CAP.load(Ordering::Relaxed) {
            0 => Isa::Scalar,
            1 => Isa::Avx2,
            _ => Isa::Avx512,
        }
    }

    /// The best level the CPU offers.
    pub fn supported() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx512f") {
                return Isa::Avx512;
            }
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                return Isa::Avx2;
            }
        }
        Isa::Scalar
    }

    /// Lower-case name, as reported by `sigconv.info()`.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }
}

/// Maps an element type to its vector type on each instruction set.
pub trait SimdElement: Element {
    /// Portable vector.
    type Scalar: Vector<Self>;
    /// AVX2 vector (the portable one where the type has no AVX2 arithmetic).
    #[cfg(target_arch = "x86_64")]
    type Avx2: Vector<Self>;
    /// AVX-512 vector (the portable one where the type has no AVX-512 arithmetic).
    #[cfg(target_arch = "x86_64")]
    type Avx512: Vector<Self>;
}

impl SimdElement for f32 {
    type Scalar = scalar::Lanes<f32>;
    #[cfg(target_arch = "x86_64")]
    type Avx2 = avx2::F32x8;
    #[cfg(target_arch = "x86_64")]
    type Avx512 = avx512::F32x16;
}

impl SimdElement for f64 {
    type Scalar = scalar::Lanes<f64>;
    #[cfg(target_arch = "x86_64")]
    type Avx2 = avx2::F64x4;
    #[cfg(target_arch = "x86_64")]
    type Avx512 = avx512::F64x8;
}

impl SimdElement for i64 {
    type Scalar = scalar::Lanes<i64>;
    #[cfg(target_arch = "x86_64")]
    type Avx2 = scalar::Lanes<i64>;
    #[cfg(target_arch = "x86_64")]
    type Avx512 = scalar::Lanes<i64>;
}

/// Defines a kernel once, generic over `T` and its vector type `V`, and the public function of the
/// same name that runs it with the instruction set [`Isa::detect`] picked, compiled for that set.
///
/// ```ignore
/// simd_kernel! {
///     /// Doc comment.
///     pub fn scale<T, V>(out: &mut [T], k: T) { /* uses V::load, V::mul_add, ... */ }
/// }
/// ```
///
/// `T` may carry one more bound (`fn mean<T: WindowSum, V>`), and a kernel of plain loops may
/// leave `V` unused: compiled for each set, the compiler vectorises them for it.
macro_rules! simd_kernel {
    (
        $(#[$meta:meta])*
        $vis:vis fn $name:ident <$T:ident $(: $extra:path)?, $V:ident> ( $($arg:ident : $ty:ty),* $(,)? ) $(-> $ret:ty)? $body:block
    ) => {
        $(#[$meta])*
        #[allow(clippy::too_many_arguments)]
        $vis fn $name<$T: $crate::cpu::simd::SimdElement $(+ $extra)?>($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            // A kernel may leave `V` unused and let the compiler vectorise its loops for the set.
            #[allow(clippy::too_many_arguments, clippy::extra_unused_type_parameters)]
            fn generic<$T: $crate::cpu::simd::SimdElement $(+ $extra)?, $V: $crate::cpu::simd::Vector<$T>>(
                $($arg: $ty),*
            ) $(-> $ret)? $body

            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f,avx2,fma")]
            #[allow(clippy::too_many_arguments)]
            unsafe fn avx512<$T: $crate::cpu::simd::SimdElement $(+ $extra)?>($($arg: $ty),*) $(-> $ret)? {
                generic::<$T, <$T as $crate::cpu::simd::SimdElement>::Avx512>($($arg),*)
            }

            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            #[allow(clippy::too_many_arguments)]
            unsafe fn avx2<$T: $crate::cpu::simd::SimdElement $(+ $extra)?>($($arg: $ty),*) $(-> $ret)? {
                generic::<$T, <$T as $crate::cpu::simd::SimdElement>::Avx2>($($arg),*)
            }

            match $crate::cpu::simd::Isa::detect() {
                // SAFETY: Isa::detect only reports a level whose instructions this CPU executes.
                #[cfg(target_arch = "x86_64")]
                $crate::cpu::simd::Isa::Avx512 => unsafe { avx512::<$T>($($arg),*) },
                // SAFETY: as above.
                #[cfg(target_arch = "x86_64")]
                $crate::cpu::simd::Isa::Avx2 => unsafe { avx2::<$T>($($arg),*) },
                _ => generic::<$T, <$T as $crate::cpu::simd::SimdElement>::Scalar>($($arg),*),
            }
        }
    };
}
pub(crate) use simd_kernel;
