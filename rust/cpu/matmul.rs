//! Batched matrix products and the linear layer, on the GEMM of [`super::gemm`].

use crate::cpu::gemm::{gemm, GemmElement, Mat};
use crate::cpu::threads;
use rayon::prelude::*;

/// The shape of a batched product: `batch` products of `(m x k) @ (k x n)`; an operand whose
/// batch is 1 is broadcast. `ta`/`tb`: the operand is stored transposed (`k x m`, `n x k`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatmulShape {
    /// Products.
    pub batch: usize,
    /// Rows of the result.
    pub m: usize,
    /// The summed dimension.
    pub k: usize,
    /// Columns of the result.
    pub n: usize,
    /// Whether `a` has a batch axis (else it is broadcast).
    pub a_batched: bool,
    /// Whether `b` has a batch axis (else it is broadcast).
    pub b_batched: bool,
    /// `a` is stored as `k x m`.
    pub ta: bool,
    /// `b` is stored as `n x k`.
    pub tb: bool,
}

/// `out[i] = a[i] @ b[i]` for every product of the batch; all three contiguous.
pub fn matmul<T: GemmElement>(a: &[T], b: &[T], s: &MatmulShape, out: &mut [T]) {
    let (m, k, n) = (s.m, s.k, s.n);
    let (a_n, b_n, o_n) = (m * k, k * n, m * n);
    assert_eq!(
        a.len(),
        if s.a_batched { s.batch * a_n } else { a_n },
        "matmul: a length"
    );
    assert_eq!(
        b.len(),
        if s.b_batched { s.batch * b_n } else { b_n },
        "matmul: b length"
    );
    assert_eq!(out.len(), s.batch * o_n, "matmul: out length");
    if o_n == 0 {
        return;
    }
    let one = |i: usize, o: &mut [T], inner: usize| {
        let ai = if s.a_batched {
            &a[i * a_n..(i + 1) * a_n]
        } else {
            a
        };
        let bi = if s.b_batched {
            &b[i * b_n..(i + 1) * b_n]
        } else {
            b
        };
        let am = if s.ta {
            Mat::rows(ai, k, m, m).t()
        } else {
            Mat::rows(ai, m, k, k)
        };
        let bm = if s.tb {
            Mat::rows(bi, n, k, k).t()
        } else {
            Mat::rows(bi, k, n, n)
        };
        gemm(o, n, false, am, bm, inner);
    };
    let threads = threads::current_threads();
    let work = s.batch * m * k * n;
    if !threads::parallel(work) || threads == 1 {
        out.chunks_mut(o_n)
            .enumerate()
            .for_each(|(i, o)| one(i, o, 1));
    } else if s.batch >= 2 * threads || (s.batch >= threads && m * n * k < 1 << 18) {
        out.par_chunks_mut(o_n)
            .enumerate()
            .for_each(|(i, o)| one(i, o, 1));
    } else {
        out.chunks_mut(o_n)
            .enumerate()
            .for_each(|(i, o)| one(i, o, threads));
    }
}

/// `out[j] = sum over rows i of x[i, j]` for a contiguous `rows x cols` matrix.
pub fn sum_rows<T: GemmElement>(x: &[T], rows: usize, cols: usize, out: &mut [T]) {
    assert_eq!(x.len(), rows * cols, "sum_rows: length");
    assert_eq!(out.len(), cols, "sum_rows: out length");
    out.fill(T::ZERO);
    if cols == 0 {
        return;
    }
    for row in x.chunks_exact(cols) {
        out.iter_mut().zip(row).for_each(|(o, &v)| *o = *o + v);
    }
}

/// `out[i, :] += bias` for every row of a contiguous matrix with `bias.len()` columns.
pub fn add_bias_rows<T: GemmElement>(out: &mut [T], bias: &[T]) {
    if bias.is_empty() {
        return;
    }
    for row in out.chunks_exact_mut(bias.len()) {
        row.iter_mut().zip(bias).for_each(|(o, &b)| *o = *o + b);
    }
}
