//! SIMD rows of the commonest pooling window, kernel 2 and stride 2 without padding: each output
//! sample reduces two adjacent samples of one or two input rows. The even and odd samples are
//! separated with shuffles, so one vector of output costs two loads per input row.
//!
//! Max and min propagate NaN as torch does (a window holding NaN gives NaN); the mean adds in
//! torch's order, `((r0[2j] + r0[2j+1]) + r1[2j]) + r1[2j+1]`, then divides.

use crate::cpu::simd::Isa;

/// The reduction of a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairOp {
    /// Largest sample (NaN if any is NaN).
    Max,
    /// Smallest sample (NaN if any is NaN).
    Min,
    /// Sum divided by the given divisor.
    Mean,
}

/// Element types with SIMD kernel-2 stride-2 rows.
pub trait PairElement: crate::element::Real {
    /// `out[j] = op(r0[2j], r0[2j+1], r1[2j], r1[2j+1])` (divided by `div` for the mean) for every
    /// `j < out.len()`; `r0` and `r1` hold at least `2 * out.len()` samples. Pass the same row
    /// twice for a window of one row (not for the mean, which would count it twice).
    fn pair_rows(r0: &[Self], r1: &[Self], out: &mut [Self], op: PairOp, div: Self);

    /// Max or min of `r0[2j], r0[2j+1], r1[2j], r1[2j+1]` with torch's index (strictly better or
    /// NaN replaces, in that order), the indices counted from `base0` and `base1` for the rows.
    #[allow(clippy::too_many_arguments)]
    fn pair_rows_indices(
        r0: &[Self],
        r1: &[Self],
        base0: i64,
        base1: i64,
        out: &mut [Self],
        idx: &mut [i64],
        op: PairOp,
    );
}

/// Branch-free body of [`PairElement::pair_rows_indices`], inlined into each instruction set's
/// function so that the compiler vectorises it there.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn pair_rows_indices_body<T: crate::element::Real>(
    r0: &[T],
    r1: &[T],
    base0: i64,
    base1: i64,
    out: &mut [T],
    idx: &mut [i64],
    op: PairOp,
) {
    let n = out.len().min(idx.len());
    let (r0, r1) = (&r0[..2 * n], &r1[..2 * n]);
    let max = op == PairOp::Max;
    for j in 0..n {
        let cands = [r0[2 * j], r0[2 * j + 1], r1[2 * j], r1[2 * j + 1]];
        let at = [
            base0 + 2 * j as i64,
            base0 + 2 * j as i64 + 1,
            base1 + 2 * j as i64,
            base1 + 2 * j as i64 + 1,
        ];
        let (mut best, mut bi) = (cands[0], at[0]);
        for k in 1..4 {
            let v = cands[k];
            let take = if max { v > best } else { v < best } || v.is_nan();
            best = if take { v } else { best };
            bi = if take { at[k] } else { bi };
        }
        out[j] = best;
        idx[j] = bi;
    }
}

/// Max that returns NaN when either operand is NaN.
#[inline(always)]
pub fn nan_max<T: crate::element::Real>(acc: T, v: T) -> T {
    if v > acc || v.is_nan() {
        v
    } else {
        acc
    }
}

/// Min that returns NaN when either operand is NaN.
#[inline(always)]
pub fn nan_min<T: crate::element::Real>(acc: T, v: T) -> T {
    if v < acc || v.is_nan() {
        v
    } else {
        acc
    }
}

fn pair_rows_scalar<T: crate::element::Real>(
    r0: &[T],
    r1: &[T],
    out: &mut [T],
    op: PairOp,
    div: T,
) {
    let (r0, r1) = (&r0[..2 * out.len()], &r1[..2 * out.len()]);
    for (j, o) in out.iter_mut().enumerate() {
        let (a, b, c, d) = (r0[2 * j], r0[2 * j + 1], r1[2 * j], r1[2 * j + 1]);
        *o = match op {
            PairOp::Max => nan_max(nan_max(nan_max(a, b), c), d),
            PairOp::Min => nan_min(nan_min(nan_min(a, b), c), d),
            PairOp::Mean => (((a + b) + c) + d) / div,
        };
    }
}

/// The few vector operations the rows need, on one register type.
#[cfg(target_arch = "x86_64")]
trait PairVec<T>: Copy {
    const LANES: usize;
    unsafe fn load(p: *const T) -> Self;
    unsafe fn store(self, p: *mut T);
    unsafe fn splat(x: T) -> Self;
    /// NaN-propagating max / min, plain add and divide.
    unsafe fn max(a: Self, b: Self) -> Self;
    unsafe fn min(a: Self, b: Self) -> Self;
    unsafe fn add(a: Self, b: Self) -> Self;
    unsafe fn div(a: Self, b: Self) -> Self;
    /// The even and the odd lanes of the `2 * LANES` samples `a, b`, each in order.
    unsafe fn split(a: Self, b: Self) -> (Self, Self);
}

/// The generic row, inlined into each instruction set's function.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn pair_rows_vec<T: crate::element::Real, V: PairVec<T>>(
    r0: &[T],
    r1: &[T],
    out: &mut [T],
    op: PairOp,
    div: T,
) {
    let n = out.len();
    assert!(r0.len() >= 2 * n && r1.len() >= 2 * n);
    let l = V::LANES;
    let full = n / l * l;
    let (p0, p1, po) = (r0.as_ptr(), r1.as_ptr(), out.as_mut_ptr());
    // SAFETY: splat only needs the instruction set, which the caller's target_feature provides.
    let vdiv = unsafe { V::splat(div) };
    let mut j = 0;
    while j < full {
        // SAFETY: j + l <= n, so 2j + 2l <= 2n samples of each row and j + l outputs are in bounds.
        unsafe {
            let (a0, a1) = (V::load(p0.add(2 * j)), V::load(p0.add(2 * j + l)));
            let (b0, b1) = (V::load(p1.add(2 * j)), V::load(p1.add(2 * j + l)));
            let v = match op {
                PairOp::Max => {
                    let (e, o) = V::split(V::max(a0, b0), V::max(a1, b1));
                    V::max(e, o)
                }
                PairOp::Min => {
                    let (e, o) = V::split(V::min(a0, b0), V::min(a1, b1));
                    V::min(e, o)
                }
                PairOp::Mean => {
                    let (ea, oa) = V::split(a0, a1);
                    let (eb, ob) = V::split(b0, b1);
                    V::div(V::add(V::add(V::add(ea, oa), eb), ob), vdiv)
                }
            };
            v.store(po.add(j));
        }
        j += l;
    }
    pair_rows_scalar(&r0[2 * full..], &r1[2 * full..], &mut out[full..], op, div);
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::PairVec;
    use std::arch::x86_64::*;

    // SAFETY (all impls below): used only inside functions compiled with the matching
    // target_feature, called after Isa::detect reported it; load/store touch LANES elements.
    impl PairVec<f32> for __m256 {
        const LANES: usize = 8;
        #[inline(always)]
        unsafe fn load(p: *const f32) -> Self {
            // SAFETY: the caller guarantees 8 readable elements.
            unsafe { _mm256_loadu_ps(p) }
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f32) {
            // SAFETY: the caller guarantees 8 writable elements.
            unsafe { _mm256_storeu_ps(p, self) }
        }
        #[inline(always)]
        unsafe fn splat(x: f32) -> Self {
            _mm256_set1_ps(x)
        }
        #[inline(always)]
        unsafe fn max(a: Self, b: Self) -> Self {
            // maxps returns its second operand when either is NaN: b's NaN survives, a's is put back.
            _mm256_blendv_ps(_mm256_max_ps(a, b), a, _mm256_cmp_ps::<_CMP_UNORD_Q>(a, a))
        }
        #[inline(always)]
        unsafe fn min(a: Self, b: Self) -> Self {
            _mm256_blendv_ps(_mm256_min_ps(a, b), a, _mm256_cmp_ps::<_CMP_UNORD_Q>(a, a))
        }
        #[inline(always)]
        unsafe fn add(a: Self, b: Self) -> Self {
            _mm256_add_ps(a, b)
        }
        #[inline(always)]
        unsafe fn div(a: Self, b: Self) -> Self {
            _mm256_div_ps(a, b)
        }
        #[inline(always)]
        unsafe fn split(a: Self, b: Self) -> (Self, Self) {
            // Per 128-bit lane: [a0 a2 b0 b2], [a1 a3 b1 b3]; then 64-bit chunks reordered 0, 2, 1, 3.
            let e = _mm256_shuffle_ps::<0x88>(a, b);
            let o = _mm256_shuffle_ps::<0xDD>(a, b);
            let fix =
                |v: __m256| _mm256_castpd_ps(_mm256_permute4x64_pd::<0xD8>(_mm256_castps_pd(v)));
            (fix(e), fix(o))
        }
    }

    impl PairVec<f64> for __m256d {
        const LANES: usize = 4;
        #[inline(always)]
        unsafe fn load(p: *const f64) -> Self {
            // SAFETY: the caller guarantees 4 readable elements.
            unsafe { _mm256_loadu_pd(p) }
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f64) {
            // SAFETY: the caller guarantees 4 writable elements.
            unsafe { _mm256_storeu_pd(p, self) }
        }
        #[inline(always)]
        unsafe fn splat(x: f64) -> Self {
            _mm256_set1_pd(x)
        }
        #[inline(always)]
        unsafe fn max(a: Self, b: Self) -> Self {
            _mm256_blendv_pd(_mm256_max_pd(a, b), a, _mm256_cmp_pd::<_CMP_UNORD_Q>(a, a))
        }
        #[inline(always)]
        unsafe fn min(a: Self, b: Self) -> Self {
            _mm256_blendv_pd(_mm256_min_pd(a, b), a, _mm256_cmp_pd::<_CMP_UNORD_Q>(a, a))
        }
        #[inline(always)]
        unsafe fn add(a: Self, b: Self) -> Self {
            _mm256_add_pd(a, b)
        }
        #[inline(always)]
        unsafe fn div(a: Self, b: Self) -> Self {
            _mm256_div_pd(a, b)
        }
        #[inline(always)]
        unsafe fn split(a: Self, b: Self) -> (Self, Self) {
            // [a0 b0 a2 b2], [a1 b1 a3 b3]; then lanes reordered 0, 2, 1, 3.
            let e = _mm256_unpacklo_pd(a, b);
            let o = _mm256_unpackhi_pd(a, b);
            (
                _mm256_permute4x64_pd::<0xD8>(e),
                _mm256_permute4x64_pd::<0xD8>(o),
            )
        }
    }

    impl PairVec<f32> for __m512 {
        const LANES: usize = 16;
        #[inline(always)]
        unsafe fn load(p: *const f32) -> Self {
            // SAFETY: the caller guarantees 16 readable elements.
            unsafe { _mm512_loadu_ps(p) }
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f32) {
            // SAFETY: the caller guarantees 16 writable elements.
            unsafe { _mm512_storeu_ps(p, self) }
        }
        #[inline(always)]
        unsafe fn splat(x: f32) -> Self {
            _mm512_set1_ps(x)
        }
        #[inline(always)]
        unsafe fn max(a: Self, b: Self) -> Self {
            _mm512_mask_mov_ps(
                _mm512_max_ps(a, b),
                _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(a, a),
                a,
            )
        }
        #[inline(always)]
        unsafe fn min(a: Self, b: Self) -> Self {
            _mm512_mask_mov_ps(
                _mm512_min_ps(a, b),
                _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(a, a),
                a,
            )
        }
        #[inline(always)]
        unsafe fn add(a: Self, b: Self) -> Self {
            _mm512_add_ps(a, b)
        }
        #[inline(always)]
        unsafe fn div(a: Self, b: Self) -> Self {
            _mm512_div_ps(a, b)
        }
        #[inline(always)]
        unsafe fn split(a: Self, b: Self) -> (Self, Self) {
            let even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            let odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
            (
                _mm512_permutex2var_ps(a, even, b),
                _mm512_permutex2var_ps(a, odd, b),
            )
        }
    }

    impl PairVec<f64> for __m512d {
        const LANES: usize = 8;
        #[inline(always)]
        unsafe fn load(p: *const f64) -> Self {
            // SAFETY: the caller guarantees 8 readable elements.
            unsafe { _mm512_loadu_pd(p) }
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f64) {
            // SAFETY: the caller guarantees 8 writable elements.
            unsafe { _mm512_storeu_pd(p, self) }
        }
        #[inline(always)]
        unsafe fn splat(x: f64) -> Self {
            _mm512_set1_pd(x)
        }
        #[inline(always)]
        unsafe fn max(a: Self, b: Self) -> Self {
            _mm512_mask_mov_pd(
                _mm512_max_pd(a, b),
                _mm512_cmp_pd_mask::<_CMP_UNORD_Q>(a, a),
                a,
            )
        }
        #[inline(always)]
        unsafe fn min(a: Self, b: Self) -> Self {
            _mm512_mask_mov_pd(
                _mm512_min_pd(a, b),
                _mm512_cmp_pd_mask::<_CMP_UNORD_Q>(a, a),
                a,
            )
        }
        #[inline(always)]
        unsafe fn add(a: Self, b: Self) -> Self {
            _mm512_add_pd(a, b)
        }
        #[inline(always)]
        unsafe fn div(a: Self, b: Self) -> Self {
            _mm512_div_pd(a, b)
        }
        #[inline(always)]
        unsafe fn split(a: Self, b: Self) -> (Self, Self) {
            let even = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
            let odd = _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15);
            (
                _mm512_permutex2var_pd(a, even, b),
                _mm512_permutex2var_pd(a, odd, b),
            )
        }
    }
}

macro_rules! pair_element {
    ($t:ty, $v2:ty, $v512:ty) => {
        impl PairElement for $t {
            fn pair_rows(r0: &[$t], r1: &[$t], out: &mut [$t], op: PairOp, div: $t) {
                #[cfg(target_arch = "x86_64")]
                {
                    #[target_feature(enable = "avx512f,avx2,fma")]
                    unsafe fn avx512(r0: &[$t], r1: &[$t], out: &mut [$t], op: PairOp, div: $t) {
                        // SAFETY: compiled for AVX-512, called only where the CPU has it.
                        unsafe { pair_rows_vec::<$t, $v512>(r0, r1, out, op, div) }
                    }
                    #[target_feature(enable = "avx2,fma")]
                    unsafe fn avx2(r0: &[$t], r1: &[$t], out: &mut [$t], op: PairOp, div: $t) {
                        // SAFETY: compiled for AVX2, called only where the CPU has it.
                        unsafe { pair_rows_vec::<$t, $v2>(r0, r1, out, op, div) }
                    }
                    match Isa::detect() {
                        // SAFETY: Isa::detect reports only levels this CPU executes.
                        Isa::Avx512 => return unsafe { avx512(r0, r1, out, op, div) },
                        // SAFETY: as above.
                        Isa::Avx2 => return unsafe { avx2(r0, r1, out, op, div) },
                        Isa::Scalar => {}
                    }
                }
                pair_rows_scalar(r0, r1, out, op, div)
            }

            fn pair_rows_indices(
                r0: &[$t],
                r1: &[$t],
                base0: i64,
                base1: i64,
                out: &mut [$t],
                idx: &mut [i64],
                op: PairOp,
            ) {
                #[cfg(target_arch = "x86_64")]
                {
                    #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
                    unsafe fn avx512(
                        r0: &[$t],
                        r1: &[$t],
                        b0: i64,
                        b1: i64,
                        o: &mut [$t],
                        i: &mut [i64],
                        op: PairOp,
                    ) {
                        pair_rows_indices_body(r0, r1, b0, b1, o, i, op)
                    }
                    #[target_feature(enable = "avx2,fma")]
                    unsafe fn avx2(
                        r0: &[$t],
                        r1: &[$t],
                        b0: i64,
                        b1: i64,
                        o: &mut [$t],
                        i: &mut [i64],
                        op: PairOp,
                    ) {
                        pair_rows_indices_body(r0, r1, b0, b1, o, i, op)
                    }
                    match Isa::detect() {
                        // SAFETY: Isa::detect reports only levels this CPU executes.
                        Isa::Avx512 => {
                            return unsafe { avx512(r0, r1, base0, base1, out, idx, op) }
                        }
                        // SAFETY: as above.
                        Isa::Avx2 => return unsafe { avx2(r0, r1, base0, base1, out, idx, op) },
                        Isa::Scalar => {}
                    }
                }
                pair_rows_indices_body(r0, r1, base0, base1, out, idx, op)
            }
        }
    };
}

#[cfg(target_arch = "x86_64")]
pair_element!(f32, std::arch::x86_64::__m256, std::arch::x86_64::__m512);
#[cfg(target_arch = "x86_64")]
pair_element!(f64, std::arch::x86_64::__m256d, std::arch::x86_64::__m512d);

#[cfg(not(target_arch = "x86_64"))]
macro_rules! portable_pair_element {
    ($t:ty) => {
        impl PairElement for $t {
            fn pair_rows(r0: &[$t], r1: &[$t], out: &mut [$t], op: PairOp, div: $t) {
                pair_rows_scalar(r0, r1, out, op, div)
            }
            fn pair_rows_indices(
                r0: &[$t],
                r1: &[$t],
                base0: i64,
                base1: i64,
                out: &mut [$t],
                idx: &mut [i64],
                op: PairOp,
            ) {
                pair_rows_indices_body(r0, r1, base0, base1, out, idx, op)
            }
        }
    };
}
#[cfg(not(target_arch = "x86_64"))]
portable_pair_element!(f32);
#[cfg(not(target_arch = "x86_64"))]
portable_pair_element!(f64);

#[cfg(test)]
mod tests {
    use super::*;

    fn check<T: PairElement>(nan_at: Option<usize>) {
        for n in 0..70 {
            let mut r0: Vec<T> = (0..2 * n + 1)
                .map(|i| T::from((i * 7919 % 31) as f64 - 15.0).unwrap())
                .collect();
            let r1: Vec<T> = (0..2 * n + 1)
                .map(|i| T::from((i * 104729 % 37) as f64 - 18.0).unwrap())
                .collect();
            if let Some(k) = nan_at {
                if k < r0.len() {
                    r0[k] = T::nan();
                }
            }
            for op in [PairOp::Max, PairOp::Min, PairOp::Mean] {
                let div = T::from(4.0).unwrap();
                let mut want = vec![T::zero(); n];
                pair_rows_scalar(&r0, &r1, &mut want, op, div);
                for isa in [Isa::Scalar, Isa::Avx2, Isa::Avx512] {
                    Isa::set_cap(isa);
                    let mut got = vec![T::zero(); n];
                    T::pair_rows(&r0, &r1, &mut got, op, div);
                    for (g, w) in got.iter().zip(&want) {
                        assert!(g == w || (g.is_nan() && w.is_nan()), "{op:?} {isa:?} n={n}");
                    }
                }
                Isa::set_cap(Isa::Avx512);
            }
        }
    }

    #[test]
    fn simd_rows_match_scalar() {
        check::<f32>(None);
        check::<f64>(None);
        for k in [0, 1, 5, 17, 40] {
            check::<f32>(Some(k));
            check::<f64>(Some(k));
        }
    }
}
