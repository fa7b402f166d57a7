//! Matrix products on strided matrices, through the `gemm` crate (packed, cache-blocked, AVX-512 /
//! AVX2 / FMA microkernels chosen at run time, its own rayon threading).
//!
//! [`gemm`] is the one place that calls into the crate: it checks that every matrix lies inside its
//! slice, so the kernels above it stay safe code.

use crate::element::Real;

/// A matrix inside a slice: element `(i, j)` is `data[i * rs + j * cs]`.
#[derive(Clone, Copy, Debug)]
pub struct Mat<'a, T> {
    /// The elements.
    pub data: &'a [T],
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// Row stride.
    pub rs: usize,
    /// Column stride.
    pub cs: usize,
}

impl<'a, T> Mat<'a, T> {
    /// A row-major matrix with row stride `rs`.
    pub fn rows(data: &'a [T], rows: usize, cols: usize, rs: usize) -> Self {
        Mat {
            data,
            rows,
            cols,
            rs,
            cs: 1,
        }
    }

    /// The transpose (a view, no copy).
    pub fn t(self) -> Self {
        Mat {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
        }
    }

    fn fits(&self, len: usize) -> bool {
        self.rows == 0
            || self.cols == 0
            || (self.rows - 1) * self.rs + (self.cols - 1) * self.cs < len
    }
}

/// The element types the `gemm` crate multiplies.
pub trait GemmElement: Real {}
impl GemmElement for f32 {}
impl GemmElement for f64 {}

/// `dst = a @ b` (or `dst += a @ b` with `accumulate`), `dst` row-major with row stride `dst_rs`,
/// on `threads` threads of the current rayon pool (1: the calling thread only).
///
/// # Panics
/// If a matrix does not lie inside its slice or the shapes disagree (a bug in the caller, never
/// user input: the entry points check shapes first).
pub fn gemm<T: GemmElement>(
    dst: &mut [T],
    dst_rs: usize,
    accumulate: bool,
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    threads: usize,
) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(b.rows, k, "gemm: inner dimensions differ");
    let d = Mat::rows(&*dst, m, n, dst_rs);
    assert!(d.fits(dst.len()) && a.fits(a.data.len()) && b.fits(b.data.len()));
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                dst[i * dst_rs..i * dst_rs + n].fill(T::ZERO);
            }
        }
        return;
    }
    let parallelism = if threads > 1 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    let one = T::one();
    // SAFETY: the asserts above keep every element the product reads or writes inside its slice;
    // `dst` is borrowed mutably and cannot alias `a` or `b`; T is f32 or f64 (GemmElement), which
    // the crate dispatches on. gemm computes dst := alpha dst + beta a b (alpha read only when
    // read_dst is true).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            dst_rs as isize,
            accumulate,
            a.data.as_ptr(),
            a.cs as isize,
            a.rs as isize,
            b.data.as_ptr(),
            b.cs as isize,
            b.rs as isize,
            one,
            one,
            false,
            false,
            false,
            parallelism,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(a: Mat<'_, f64>, b: Mat<'_, f64>) -> Vec<f64> {
        let mut out = vec![0.0; a.rows * b.cols];
        for i in 0..a.rows {
            for j in 0..b.cols {
                for l in 0..a.cols {
                    out[i * b.cols + j] +=
                        a.data[i * a.rs + l * a.cs] * b.data[l * b.rs + j * b.cs];
                }
            }
        }
        out
    }

    #[test]
    fn strided_products_match_loops() {
        for &(m, k, n) in &[(1, 1, 1), (3, 5, 7), (17, 33, 9), (64, 20, 130), (5, 0, 4)] {
            let a: Vec<f64> = (0..m * k).map(|i| ((i * 7) % 11) as f64 - 5.0).collect();
            let b: Vec<f64> = (0..k * n).map(|i| ((i * 3) % 13) as f64 - 6.0).collect();
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let am = if ta {
                    Mat::rows(&a, k, m, m).t()
                } else {
                    Mat::rows(&a, m, k, k)
                };
                let bm = if tb {
                    Mat::rows(&b, n, k, k).t()
                } else {
                    Mat::rows(&b, k, n, n)
                };
                let want = reference(am, bm);
                let mut got = vec![1.0; m * n];
                gemm(&mut got, n, false, am, bm, 1);
                assert_eq!(got, want, "{m}x{k}x{n} {ta} {tb}");
                gemm(&mut got, n, true, am, bm, 2);
                let twice: Vec<f64> = want.iter().map(|v| 2.0 * v).collect();
                assert_eq!(got, twice);
            }
        }
    }
}
