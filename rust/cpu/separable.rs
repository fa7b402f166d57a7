//! One-dimensional filters along any axis of a C-ordered N-d array: the passes that separable
//! filters (Gaussian, box, min/max with a rectangular window, `correlate1d`) are made of.
//!
//! The array is seen as `(outer, n, inner)` around the filtered axis of length `n`. Output line
//! `i` of a pass reads the window `ext(x)[i + start .. i + start + k]`, `ext` applying the
//! boundary. Two layouts, one kernel each:
//!
//! * `inner > 1` (any axis but the last): output row `(o, i)` (`inner` contiguous samples) is an
//!   element-wise combination of the `k` input rows `(o, ext(i + start + m))`. The rows are read in
//!   place (a fill boundary points at one row of `cval`), and the kernels run SIMD across `inner`,
//!   so the reads stay contiguous and cache-friendly whatever the axis.
//! * `inner == 1` (the last axis): each line is gathered with its boundary into a padded buffer,
//!   and output sample `i` combines `buf[i .. i + k]`, SIMD across `i`.
//!
//! Rayon tasks own blocks of output rows (`par_chunks_mut`); [`threads::parallel`] decides.

use crate::cpu::direct::correlate_rows;
use crate::cpu::rows::{fill_value, gather_row};
use crate::cpu::simd::{simd_kernel, SimdElement, Vector};
use crate::cpu::threads;
use crate::element::Real;
use crate::params::Boundary;
use ndarray::ArrayView1;
use num_traits::AsPrimitive;
use rayon::prelude::*;

/// Windows above this length use the O(1)-per-sample algorithms (running sums, van Herk/Gil-Werman)
/// rather than the direct taps.
pub const DIRECT_MAX: usize = 12;

/// `(outer, n, inner)` of `shape` around `axis`.
pub fn split_axis(shape: &[usize], axis: usize) -> (usize, usize, usize) {
    let outer = shape[..axis].iter().product();
    let inner = shape[axis + 1..].iter().product();
    (outer, shape[axis], inner)
}

/// What one pass computes over each window of `k` samples.
#[derive(Debug, Clone, Copy)]
enum Op<'a, T> {
    /// `sum_m w[m] * window[m]`.
    Correlate(&'a [T]),
    /// `sum(window) / k`.
    Mean,
    /// `min(window)`.
    Min,
    /// `max(window)`.
    Max,
}

/// `out = correlate1d(x, weights)` along `axis`: `out[i] = sum_m ext(x)[i + start + m] * w[m]`.
pub fn correlate_axis<T>(
    x: &[T],
    shape: &[usize],
    axis: usize,
    weights: &[T],
    start: isize,
    boundary: Boundary<T>,
    out: &mut [T],
) where
    T: Real + SimdElement + AsPrimitive<f64>,
    f64: AsPrimitive<T>,
{
    run_pass(
        x,
        shape,
        axis,
        weights.len(),
        start,
        boundary,
        Op::Correlate(weights),
        out,
    );
}

/// `out[i] = mean(ext(x)[i + start .. i + start + size])` along `axis` (uniform_filter1d).
/// float32 short windows use direct taps of `1 / size`; the rest running sums in float64.
pub fn mean_axis<T>(
    x: &[T],
    shape: &[usize],
    axis: usize,
    size: usize,
    start: isize,
    boundary: Boundary<T>,
    out: &mut [T],
) where
    T: Real + SimdElement + AsPrimitive<f64>,
    f64: AsPrimitive<T>,
{
    // float64 (the type integers are filtered in) sums exactly and divides, as scipy does, so
    // that integer results truncate alike; float32 short windows take direct taps of 1 / size.
    if size <= DIRECT_MAX && size_of::<T>() == 4 {
        let w: T = (1.0 / size as f64).as_();
        let taps = vec![w; size];
        run_pass(
            x,
            shape,
            axis,
            size,
            start,
            boundary,
            Op::Correlate(&taps),
            out,
        );
    } else {
        run_pass(x, shape, axis, size, start, boundary, Op::Mean, out);
    }
}

/// `out[i] = min` (or `max` with `is_max`) `of ext(x)[i + start .. i + start + size]` along `axis`.
#[allow(clippy::too_many_arguments)]
pub fn extreme_axis<T: SimdElement>(
    x: &[T],
    shape: &[usize],
    axis: usize,
    size: usize,
    start: isize,
    boundary: Boundary<T>,
    is_max: bool,
    out: &mut [T],
) {
    let op = if is_max { Op::Max } else { Op::Min };
    let unused = |_: Op<T>, _: &[&[T]], _: &mut [T], _: (usize, usize, usize)| {
        unreachable!("no float ops on this path")
    };
    let unused_line = |_: &mut [T], _: &[T], _: usize| unreachable!("no float ops on this path");
    run_pass_generic(
        x,
        shape,
        axis,
        size,
        start,
        boundary,
        op,
        out,
        unused,
        unused_line,
    );
}

#[allow(clippy::too_many_arguments)]
fn run_pass<T>(
    x: &[T],
    shape: &[usize],
    axis: usize,
    k: usize,
    start: isize,
    boundary: Boundary<T>,
    op: Op<T>,
    out: &mut [T],
) where
    T: Real + SimdElement + AsPrimitive<f64>,
    f64: AsPrimitive<T>,
{
    run_pass_generic(
        x,
        shape,
        axis,
        k,
        start,
        boundary,
        op,
        out,
        |op, rows, out, g| match op {
            Op::Correlate(w) => correlate_rows(out, g.0, g.0, g.1, rows, w, 1, false),
            Op::Mean => mean_rows(out, g.0, g.1, rows, g.2),
            _ => unreachable!("min/max run elsewhere"),
        },
        mean_line,
    );
}

/// The pass driver shared by every op: splits the output into row blocks, finds (or gathers) the
/// input rows each block reads, and calls the op's kernel. `float_rows(op, rows, out, (width, runs the float-only ops (correlation, mean) on `nrows` output rows.
#[allow(clippy::too_many_arguments)]
fn run_pass_generic<T: SimdElement>(
    x: &[T],
    shape: &[usize],
    axis: usize,
    k: usize,
    start: isize,
    boundary: Boundary<T>,
    op: Op<T>,
    out: &mut [T],
    float_rows: impl Fn(Op<T>, &[&[T]], &mut [T], (usize, usize, usize)) + Sync,
    float_line: impl Fn(&mut [T], &[T], usize) + Sync,
) {
    assert_eq!(x.len(), shape.iter().product::<usize>(), "input size");
    assert_eq!(out.len(), x.len(), "output size");
    assert!(k >= 1, "window of at least one sample");
    if out.is_empty() {
        return;
    }
    let (_, n, inner) = split_axis(shape, axis);
    let work = out.len() * if k > DIRECT_MAX { 4 } else { k };
    let parallel = threads::parallel(work);
    let rows_op = |rows: &[&[T]], block: &mut [T], width: usize, nrows: usize| match op {
        Op::Min | Op::Max if k > DIRECT_MAX => {
            van_herk_rows(block, width, nrows, rows, k, matches!(op, Op::Max))
        }
        Op::Min | Op::Max => {
            extreme_rows(block, width, width, nrows, rows, k, matches!(op, Op::Max))
        }
        _ => float_rows(op, rows, block, (width, nrows, k)),
    };
    if inner > 1 {
        // Rows of `inner` samples, combined element-wise; blocks of output rows within one line.
        let fill_row = vec![fill_value(boundary); inner];
        let block_rows = if parallel {
            let lines = out.len() / inner;
            (lines / (4 * threads::current_threads())).clamp(1, 64)
        } else {
            64
        }
        .min(n);
        let run = |(b, block): (usize, &mut [T])| {
            // Blocks never straddle two lines: `n` is a multiple of nothing in general, so the
            // block index is taken within the line.
            let per_line = n.div_ceil(block_rows);
            let (o, bi) = (b / per_line, b % per_line);
            let i0 = bi * block_rows;
            let nrows = block.len() / inner;
            let line = &x[o * n * inner..(o + 1) * n * inner];
            let rows: Vec<&[T]> = (0..nrows + k - 1)
                .map(
                    |r| match boundary.source_index(i0 as isize + start + r as isize, n) {
                        Some(s) => &line[s * inner..(s + 1) * inner],
                        None => &fill_row[..],
                    },
                )
                .collect();
            rows_op(&rows, block, inner, nrows);
        };
        // Chunk each line separately so that blocks align with lines.
        let chunks = out
            .chunks_mut(n * inner)
            .flat_map(|line| line.chunks_mut(block_rows * inner));
        if parallel {
            chunks.enumerate().par_bridge().for_each(run);
        } else {
            chunks.enumerate().for_each(run);
        }
    } else {
        // The last axis: lines gathered with their boundary, several per task.
        let lines_per_task = if parallel {
            (out.len() / n / (4 * threads::current_threads())).clamp(1, 16)
        } else {
            16
        };
        let padded = n + k - 1;
        let run = |buf: &mut Vec<T>, (t, block): (usize, &mut [T])| {
            let nlines = block.len() / n;
            buf.resize(nlines * padded, T::ZERO);
            for (l, dst) in buf.chunks_exact_mut(padded).enumerate() {
                let line = t * lines_per_task + l;
                let src = ArrayView1::from(&x[line * n..(line + 1) * n]);
                gather_row(dst, src, start, boundary);
            }
            for (l, out_line) in block.chunks_exact_mut(n).enumerate() {
                let line = &buf[l * padded..(l + 1) * padded];
                match op {
                    Op::Correlate(_) => {
                        // Output i reads line[i + m]: the shifted views are the k input "rows".
                        let shifted: Vec<&[T]> = (0..k).map(|m| &line[m..m + n]).collect();
                        float_rows(op, &shifted, out_line, (n, 1, k))
                    }
                    Op::Mean => float_line(out_line, line, k),
                    Op::Min | Op::Max if k > DIRECT_MAX => {
                        van_herk_line(out_line, line, k, matches!(op, Op::Max))
                    }
                    Op::Min | Op::Max => {
                        // Output i reads line[i + m]: the shifted views are the "rows".
                        let shifted: Vec<&[T]> = (0..k).map(|m| &line[m..m + n]).collect();
                        extreme_rows(out_line, n, n, 1, &shifted, k, matches!(op, Op::Max))
                    }
                }
            }
        };
        if parallel {
            out.par_chunks_mut(lines_per_task * n)
                .enumerate()
                .for_each_init(Vec::new, run);
        } else {
            let mut buf = Vec::new();
            out.chunks_mut(lines_per_task * n)
                .enumerate()
                .for_each(|item| run(&mut buf, item));
        }
    }
}

/// A running mean along one gathered line (`line` has `out.len() + k - 1` samples), summed in
/// float64.
fn mean_line<T>(out: &mut [T], line: &[T], k: usize)
where
    T: Copy + AsPrimitive<f64>,
    f64: AsPrimitive<T>,
{
    let mut acc: f64 = line[..k].iter().map(|&v| v.as_()).sum();
    let div = k as f64;
    for (i, o) in out.iter_mut().enumerate() {
        if i > 0 {
            acc += line[i + k - 1].as_() - line[i - 1].as_();
        }
        *o = (acc / div).as_();
    }
}

/// `out[y][c] = sum(rows[y .. y + k][c]) / k` for `y < nrows`, `c < width`, with running sums in
/// float64 (rows of `width` samples, output rows contiguous).
fn mean_rows<T>(out: &mut [T], width: usize, nrows: usize, rows: &[&[T]], k: usize)
where
    T: Copy + AsPrimitive<f64>,
    f64: AsPrimitive<T>,
{
    const CW: usize = 512;
    let mut acc = [0.0f64; CW];
    let inv = k as f64;
    for c0 in (0..width).step_by(CW) {
        let cw = CW.min(width - c0);
        let acc = &mut acc[..cw];
        acc.fill(0.0);
        for row in &rows[..k] {
            for (a, &v) in acc.iter_mut().zip(&row[c0..c0 + cw]) {
                *a += v.as_();
            }
        }
        for y in 0..nrows {
            if y > 0 {
                let (add, sub) = (&rows[y + k - 1][c0..c0 + cw], &rows[y - 1][c0..c0 + cw]);
                for ((a, &p), &m) in acc.iter_mut().zip(add).zip(sub) {
                    *a += p.as_() - m.as_();
                }
            }
            let o = &mut out[y * width + c0..y * width + c0 + cw];
            for (d, &a) in o.iter_mut().zip(acc.iter()) {
                *d = (a / inv).as_();
            }
        }
    }
}

/// Van Herk/Gil-Werman along one gathered line: `out[i] = ext(line[i .. i + k])` in about three
/// comparisons per sample whatever `k`.
fn van_herk_line<T: SimdElement>(out: &mut [T], line: &[T], k: usize, is_max: bool) {
    let pick = |a: T, b: T| pick(a, b, is_max);
    let n = out.len();
    let len = line.len();
    // suffix[j]: extreme of line[j .. end of j's block]; prefix[j]: from the start of j's block.
    let mut suffix = line.to_vec();
    let mut prefix = line.to_vec();
    for b in (0..len).step_by(k) {
        let e = (b + k).min(len);
        for j in b + 1..e {
            prefix[j] = pick(prefix[j - 1], line[j]);
        }
        for j in (b..e - 1).rev() {
            suffix[j] = pick(line[j], suffix[j + 1]);
        }
    }
    for i in 0..n {
        let j = i + k - 1;
        out[i] = if i % k == 0 {
            suffix[i]
        } else {
            pick(suffix[i], prefix[j])
        };
    }
}

/// `if a < b { a } else { b }` or the max: the same rule as the SIMD `min`/`max`.
#[inline(always)]
fn pick<T: PartialOrd + Copy>(a: T, b: T, is_max: bool) -> T {
    if is_max {
        if a > b {
            a
        } else {
            b
        }
    } else if a < b {
        a
    } else {
        b
    }
}

simd_kernel! {
    /// `out[y][c] = min` (or `max`) `of rows[y + m][c], m < k`, for `y < nrows`, `c < width`;
    /// output row `y` starts at `out[y * stride]`, every row has at least `width` samples.
    pub fn extreme_rows<T, V>(
        out: &mut [T],
        stride: usize,
        width: usize,
        nrows: usize,
        rows: &[&[T]],
        k: usize,
        is_max: bool,
    ) {
        assert!(rows.len() >= nrows + k - 1 && rows.iter().all(|r| r.len() >= width));
        assert!(nrows == 0 || out.len() >= (nrows - 1) * stride + width);
        if is_max {
            extreme_rows_body::<T, V, true>(out, stride, width, nrows, rows, k);
        } else {
            extreme_rows_body::<T, V, false>(out, stride, width, nrows, rows, k);
        }
    }
}

#[inline(always)]
fn extreme_rows_body<T: SimdElement, V: Vector<T>, const MAX: bool>(
    out: &mut [T],
    stride: usize,
    width: usize,
    nrows: usize,
    rows: &[&[T]],
    k: usize,
) {
    let lanes = V::LANES;
    for y in 0..nrows {
        let o = &mut out[y * stride..y * stride + width];
        let mut c = 0;
        while c + 2 * lanes <= width {
            // SAFETY: c + 2 * lanes <= width and every row has width samples (checked above).
            unsafe {
                let mut m0 = V::load(rows[y].as_ptr().add(c));
                let mut m1 = V::load(rows[y].as_ptr().add(c + lanes));
                for row in &rows[y + 1..y + k] {
                    let (v0, v1) = (
                        V::load(row.as_ptr().add(c)),
                        V::load(row.as_ptr().add(c + lanes)),
                    );
                    if MAX {
                        (m0, m1) = (m0.max(v0), m1.max(v1));
                    } else {
                        (m0, m1) = (m0.min(v0), m1.min(v1));
                    }
                }
                m0.store(o.as_mut_ptr().add(c));
                m1.store(o.as_mut_ptr().add(c + lanes));
            }
            c += 2 * lanes;
        }
        while c + lanes <= width {
            // SAFETY: as above with one vector.
            unsafe {
                let mut m = V::load(rows[y].as_ptr().add(c));
                for row in &rows[y + 1..y + k] {
                    let v = V::load(row.as_ptr().add(c));
                    m = if MAX { m.max(v) } else { m.min(v) };
                }
                m.store(o.as_mut_ptr().add(c));
            }
            c += lanes;
        }
        for c in c..width {
            let mut m = rows[y][c];
            for row in &rows[y + 1..y + k] {
                m = pick(m, row[c], MAX);
            }
            o[c] = m;
        }
    }
}

simd_kernel! {
    /// Van Herk/Gil-Werman across rows: the same result as [`extreme_rows`] (contiguous output
    /// rows of `width`) in about three SIMD comparisons per sample whatever `k`.
    pub fn van_herk_rows<T, V>(
        out: &mut [T],
        width: usize,
        nrows: usize,
        rows: &[&[T]],
        k: usize,
        is_max: bool,
    ) {
        assert!(rows.len() >= nrows + k - 1 && rows.iter().all(|r| r.len() >= width));
        assert!(out.len() >= nrows * width);
        if is_max {
            van_herk_rows_body::<T, V, true>(out, width, nrows, rows, k);
        } else {
            van_herk_rows_body::<T, V, false>(out, width, nrows, rows, k);
        }
    }
}

#[inline(always)]
fn van_herk_rows_body<T: SimdElement, V: Vector<T>, const MAX: bool>(
    out: &mut [T],
    width: usize,
    nrows: usize,
    rows: &[&[T]],
    k: usize,
) {
    const CW: usize = 256;
    let cw_max = CW.min(width);
    // suffix[j]: extreme of rows[y + j .. y + k]; prefix[j]: of rows[y + k .. y + k + j + 1].
    let mut suffix = vec![T::ZERO; k * cw_max];
    let mut prefix = vec![T::ZERO; k * cw_max];
    let combine = combine::<T, V, MAX>;
    for c0 in (0..width).step_by(CW) {
        let cw = CW.min(width - c0);
        let mut y = 0;
        while y < nrows {
            let g = k.min(nrows - y);
            // suffix over rows y .. y + k
            suffix[(k - 1) * cw..k * cw].copy_from_slice(&rows[y + k - 1][c0..c0 + cw]);
            for j in (0..k - 1).rev() {
                let (lo, hi) = suffix.split_at_mut((j + 1) * cw);
                combine(&mut lo[j * cw..], &rows[y + j][c0..c0 + cw], &hi[..cw]);
            }
            // prefix over rows y + k .. y + k + g - 1
            if g > 1 {
                prefix[..cw].copy_from_slice(&rows[y + k][c0..c0 + cw]);
                for j in 1..g - 1 {
                    let (lo, hi) = prefix.split_at_mut(j * cw);
                    combine(
                        &mut hi[..cw],
                        &lo[(j - 1) * cw..],
                        &rows[y + k + j][c0..c0 + cw],
                    );
                }
            }
            out[y * width + c0..y * width + c0 + cw].copy_from_slice(&suffix[..cw]);
            for j in 1..g {
                let o = &mut out[(y + j) * width + c0..(y + j) * width + c0 + cw];
                combine(
                    o,
                    &suffix[j * cw..(j + 1) * cw],
                    &prefix[(j - 1) * cw..j * cw],
                );
            }
            y += g;
        }
    }
}

/// `dst[c] = min(a[c], b[c])` (or max) for `c < dst.len()`; `a` and `b` at least as long.
#[inline(always)]
fn combine<T: SimdElement, V: Vector<T>, const MAX: bool>(dst: &mut [T], a: &[T], b: &[T]) {
    let lanes = V::LANES;
    assert!(a.len() >= dst.len() && b.len() >= dst.len());
    let mut c = 0;
    while c + lanes <= dst.len() {
        // SAFETY: c + lanes <= dst.len() <= a.len(), b.len().
        unsafe {
            let (va, vb) = (V::load(a.as_ptr().add(c)), V::load(b.as_ptr().add(c)));
            let m = if MAX { va.max(vb) } else { va.min(vb) };
            m.store(dst.as_mut_ptr().add(c));
        }
        c += lanes;
    }
    for c in c..dst.len() {
        dst[c] = pick(a[c], b[c], MAX);
    }
}
