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
use crate::params::Boundary;
use ndarray::ArrayView1;
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};

/// Windows above this length use the O(1)-per-sample algorithms (running sums, van Herk/Gil-Werman)
/// rather than the direct taps.
pub const DIRECT_MAX: usize = 12;

/// Output rows per block of a running-sum mean along an axis but the last ([`rows_pass`]) and of
/// the vertical pass of [`pass_2d_rows`]. A running sum ([`WindowSum`]) is exact for samples of
/// comparable magnitudes; where it is not, it carries the rounding of every row since its block
/// began, so these blocks have a fixed size and start at multiples of it, whatever the threads:
/// the result is the same for every worker count, and rows computed alone equal those of the
/// whole result, whatever the samples.
const RUNNING_ROWS: usize = 64;
const RUNNING_ROWS_2D: usize = 32;

/// Whether `op` is a running-sum mean (whose rounding may depend on where its block starts).
fn running_sum<T>(op: &Op<'_, T>) -> bool {
    matches!(op, Op::Mean(k) if *k > DIRECT_MAX)
}

/// Rows `rows` of every one of `lines` lines (`inner` samples a row) computed as rows
/// `start..rows.end` by `compute` (into a buffer of that many rows a line), then kept: a running
/// sum started at `start`, a block boundary, gives the whole result's rows.
fn from_block_start<T: PassElement>(
    lines: usize,
    inner: usize,
    rows: std::ops::Range<usize>,
    start: usize,
    out: &mut [T],
    compute: impl FnOnce(std::ops::Range<usize>, &mut [T]),
) {
    let (len, skip) = (rows.end - start, rows.start - start);
    let mut wide = vec![T::ZERO; lines * len * inner];
    compute(start..rows.end, &mut wide);
    for (o, w) in out
        .chunks_exact_mut(rows.len() * inner)
        .zip(wide.chunks_exact(len * inner))
    {
        o.copy_from_slice(&w[skip * inner..(skip + rows.len()) * inner]);
    }
}

/// `(outer, n, inner)` of `shape` around `axis`.
pub fn split_axis(shape: &[usize], axis: usize) -> (usize, usize, usize) {
    let outer = shape[..axis].iter().product();
    let inner = shape[axis + 1..].iter().product();
    (outer, shape[axis], inner)
}

/// What one pass computes over each window.
#[derive(Debug, Clone, Copy)]
pub enum Op<'a, T> {
    /// `sum_m w[m] * window[m]`, a window of `w.len()`.
    Correlate(&'a [T]),
    /// `sum(window) / k`.
    Mean(usize),
    /// `min(window)` over `k` samples.
    Min(usize),
    /// `max(window)` over `k` samples.
    Max(usize),
}

impl<T> Op<'_, T> {
    /// The window length.
    pub fn len(&self) -> usize {
        match self {
            Op::Correlate(w) => w.len(),
            Op::Mean(k) | Op::Min(k) | Op::Max(k) => *k,
        }
    }

    /// Whether the window is empty (never valid).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One pass along an axis: the op, the offset of window sample 0, the boundary.
#[derive(Debug, Clone, Copy)]
pub struct AxisOp<'a, T> {
    /// What each window gives.
    pub op: Op<'a, T>,
    /// Offset of window sample 0 from its output sample.
    pub start: isize,
    /// Samples outside the input.
    pub boundary: Boundary<T>,
}

/// The element types passes run on, with the kernels of each op in both layouts. Floats run
/// every op; integers (i64) min and max only.
pub trait PassElement: SimdElement {
    /// `nrows` contiguous output rows of `width` from `rows` (`nrows + k - 1` rows of `width`).
    fn rows_op(op: Op<Self>, rows: &[&[Self]], out: &mut [Self], width: usize, nrows: usize);
    /// One output line from its gathered, padded input line (`out.len() + k - 1` samples).
    fn line_op(op: Op<Self>, line: &[Self], out: &mut [Self]);
}

fn extreme_rows_op<T: SimdElement>(
    k: usize,
    is_max: bool,
    rows: &[&[T]],
    out: &mut [T],
    width: usize,
    nrows: usize,
) {
    if k > DIRECT_MAX {
        van_herk_rows(out, width, nrows, rows, k, is_max)
    } else {
        extreme_rows(out, width, width, nrows, rows, k, is_max)
    }
}

fn extreme_line_op<T: SimdElement>(k: usize, is_max: bool, line: &[T], out: &mut [T]) {
    let n = out.len();
    if k > DIRECT_MAX {
        van_herk_line(out, line, k, is_max)
    } else {
        // Output i reads line[i + m]: the shifted views are the k input "rows".
        let shifted: Vec<&[T]> = (0..k).map(|m| &line[m..m + n]).collect();
        extreme_rows(out, n, n, 1, &shifted, k, is_max)
    }
}

macro_rules! float_pass {
    ($t:ty) => {
        impl PassElement for $t {
            fn rows_op(
                op: Op<Self>,
                rows: &[&[Self]],
                out: &mut [Self],
                width: usize,
                nrows: usize,
            ) {
                match op {
                    Op::Correlate(w) => correlate_rows(out, width, width, nrows, rows, w, 1, false),
                    Op::Mean(k) if k <= DIRECT_MAX => {
                        let taps = short_mean_taps::<$t>(k);
                        correlate_rows(out, width, width, nrows, rows, &taps, 1, false);
                        short_mean_divide(&mut out[..width * nrows], k);
                    }
                    Op::Mean(k) => mean_rows(out, width, nrows, rows, k),
                    Op::Min(k) => extreme_rows_op(k, false, rows, out, width, nrows),
                    Op::Max(k) => extreme_rows_op(k, true, rows, out, width, nrows),
                }
            }
            fn line_op(op: Op<Self>, line: &[Self], out: &mut [Self]) {
                let n = out.len();
                match op {
                    Op::Correlate(w) => {
                        let shifted: Vec<&[Self]> = (0..w.len()).map(|m| &line[m..m + n]).collect();
                        correlate_rows(out, n, n, 1, &shifted, w, 1, false)
                    }
                    Op::Mean(k) if k <= DIRECT_MAX => {
                        let taps = short_mean_taps::<$t>(k);
                        let shifted: Vec<&[Self]> = (0..k).map(|m| &line[m..m + n]).collect();
                        correlate_rows(out, n, n, 1, &shifted, &taps, 1, false);
                        short_mean_divide(out, k);
                    }
                    Op::Mean(k) => mean_line(out, line, k),
                    Op::Min(k) => extreme_line_op(k, false, line, out),
                    Op::Max(k) => extreme_line_op(k, true, line, out),
                }
            }
        }
    };
}
float_pass!(f32);
float_pass!(f64);

impl PassElement for i64 {
    fn rows_op(op: Op<Self>, rows: &[&[Self]], out: &mut [Self], width: usize, nrows: usize) {
        match op {
            Op::Min(k) => extreme_rows_op(k, false, rows, out, width, nrows),
            Op::Max(k) => extreme_rows_op(k, true, rows, out, width, nrows),
            _ => unreachable!("integers run min and max only"),
        }
    }
    fn line_op(op: Op<Self>, line: &[Self], out: &mut [Self]) {
        match op {
            Op::Min(k) => extreme_line_op(k, false, line, out),
            Op::Max(k) => extreme_line_op(k, true, line, out),
            _ => unreachable!("integers run min and max only"),
        }
    }
}

/// Box windows up to [`DIRECT_MAX`] run as direct taps. float32 multiplies by `1 / k`; float64
/// (the type integers are filtered in) sums the window in order with taps of one and then divides
/// ([`short_mean_divide`]), as scipy does, so that integer results truncate alike. Either way an
/// output depends on its window alone, not on where the line starts, as a running sum's would (it
/// carries the rounding of every sample before it): a chunk of a line with its halo gives the
/// line's values bit for bit, which the dask path relies on.
fn short_mean_taps<T: num_traits::Float>(k: usize) -> Vec<T> {
    let tap = if size_of::<T>() == 4 {
        T::one() / T::from(k).expect("window length")
    } else {
        T::one()
    };
    vec![tap; k]
}

/// The float64 half of [`short_mean_taps`]: the window sums in `out` divided by `k`.
fn short_mean_divide<T: num_traits::Float>(out: &mut [T], k: usize) {
    if size_of::<T>() != 4 {
        let k = T::from(k).expect("window length");
        out.iter_mut().for_each(|o| *o = *o / k);
    }
}

/// One pass along `axis` of the C-ordered array `x` of `shape` into `out`.
pub fn pass<T: PassElement>(x: &[T], shape: &[usize], axis: usize, p: AxisOp<T>, out: &mut [T]) {
    let k = p.op.len();
    assert_eq!(x.len(), shape.iter().product::<usize>(), "input size");
    assert_eq!(out.len(), x.len(), "output size");
    assert!(k >= 1, "window of at least one sample");
    if out.is_empty() {
        return;
    }
    let (_, n, inner) = split_axis(shape, axis);
    let work = out.len() * if k > DIRECT_MAX { 4 } else { k };
    let parallel = threads::parallel(work);
    if inner > 1 {
        rows_pass(x, n, inner, p, 0..n, parallel, out);
    } else {
        // The last axis: lines gathered with their boundary.
        let lines_per_task = if parallel {
            (out.len() / n / (4 * threads::current_threads())).clamp(1, 16)
        } else {
            16
        };
        let run = |buf: &mut Vec<T>, (t, block): (usize, &mut [T])| {
            buf.resize(n + k - 1, T::ZERO);
            for (l, out_line) in block.chunks_exact_mut(n).enumerate() {
                let line = t * lines_per_task + l;
                let src = ArrayView1::from(&x[line * n..(line + 1) * n]);
                gather_row(buf, src, p.start, p.boundary);
                T::line_op(p.op, buf, out_line);
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

/// Output rows `rows` of a pass along axis 0 of the C-ordered `x` of `shape` (`out` holds
/// `rows.len()` of them): the rows of [`pass`]'s result, each computed from the same input rows
/// and with the same arithmetic, the others not computed.
pub fn pass_rows<T: PassElement>(
    x: &[T],
    shape: &[usize],
    p: AxisOp<T>,
    rows: std::ops::Range<usize>,
    out: &mut [T],
) {
    let (_, n, inner) = split_axis(shape, 0);
    assert!(rows.end <= n, "rows within the axis");
    assert_eq!(out.len(), rows.len() * inner, "output size");
    if out.is_empty() {
        return;
    }
    if inner == 1 {
        // A 1-D array: its one line, gathered with its boundary, then the rows kept.
        let mut whole = vec![T::ZERO; n];
        pass(x, shape, 0, p, &mut whole);
        out.copy_from_slice(&whole[rows]);
        return;
    }
    let k = p.op.len();
    let parallel = threads::parallel(out.len() * if k > DIRECT_MAX { 4 } else { k });
    let start = rows.start - rows.start % RUNNING_ROWS;
    if running_sum(&p.op) && start != rows.start {
        let lines = x.len() / (n * inner);
        from_block_start(lines, inner, rows, start, out, |wide_rows, wide| {
            rows_pass(x, n, inner, p, wide_rows, parallel, wide)
        });
        return;
    }
    rows_pass(x, n, inner, p, rows, parallel, out);
}

/// The `inner > 1` layout of [`pass`]: rows of `inner` samples combined element-wise, in blocks of
/// output rows within one line. Each line of `x` has `n` rows; `out` holds rows `rows` of every
/// line.
fn rows_pass<T: PassElement>(
    x: &[T],
    n: usize,
    inner: usize,
    p: AxisOp<T>,
    rows: std::ops::Range<usize>,
    parallel: bool,
    out: &mut [T],
) {
    let k = p.op.len();
    let out_n = rows.len();
    let fill_row = vec![fill_value(p.boundary); inner];
    let block_rows = if running_sum(&p.op) {
        RUNNING_ROWS
    } else if parallel {
        (out.len() / inner / (4 * threads::current_threads())).clamp(1, 64)
    } else {
        64
    }
    .min(out_n);
    let per_line = out_n.div_ceil(block_rows);
    let run = |(b, block): (usize, &mut [T])| {
        let (o, i0) = (b / per_line, rows.start + (b % per_line) * block_rows);
        let nrows = block.len() / inner;
        let line = &x[o * n * inner..(o + 1) * n * inner];
        let lo = i0 as isize + p.start;
        let src = source_rows(line, inner, n, lo, nrows + k - 1, p.boundary, &fill_row);
        T::rows_op(p.op, &src, block, inner, nrows);
    };
    // Chunk each line separately so that blocks align with lines.
    let chunks = out
        .chunks_mut(out_n * inner)
        .flat_map(|line| line.chunks_mut(block_rows * inner));
    if parallel {
        chunks.enumerate().par_bridge().for_each(run);
    } else {
        chunks.enumerate().for_each(run);
    }
}

/// The `count` input rows (of `width`) read from padded position `lo` on: rows of `line` (`n`
/// rows) through the boundary, or the fill row.
fn source_rows<'a, T>(
    line: &'a [T],
    width: usize,
    n: usize,
    lo: isize,
    count: usize,
    boundary: Boundary<T>,
    fill_row: &'a [T],
) -> Vec<&'a [T]> {
    (0..count)
        .map(|r| match boundary.source_index(lo + r as isize, n) {
            Some(s) => &line[s * width..(s + 1) * width],
            None => fill_row,
        })
        .collect()
}

/// Two passes fused: `vertical` along the second-to-last axis, then `horizontal` along the last,
/// over every plane, block of rows by block of rows: the intermediate block stays in cache and
/// the array is read and written once. With `probe`, also reports whether the input may hold NaN
/// (true for any NaN; an infinity may also say true).
pub fn pass_2d<T: PassElement>(
    x: &[T],
    shape: &[usize],
    vertical: AxisOp<T>,
    horizontal: AxisOp<T>,
    probe: bool,
    out: &mut [T],
) -> bool {
    assert_eq!(out.len(), x.len(), "output size");
    let h = if shape.len() >= 2 {
        shape[shape.len() - 2]
    } else {
        0
    };
    pass_2d_rows(x, shape, vertical, horizontal, probe, 0..h, out)
}

/// [`pass_2d`] for rows `rows` (along the second-to-last axis) of every plane only: `out` holds
/// those rows, each computed from the same input rows and with the same arithmetic as there.
pub fn pass_2d_rows<T: PassElement>(
    x: &[T],
    shape: &[usize],
    vertical: AxisOp<T>,
    horizontal: AxisOp<T>,
    probe: bool,
    rows: std::ops::Range<usize>,
    out: &mut [T],
) -> bool {
    let nd = shape.len();
    assert!(nd >= 2, "two axes");
    assert_eq!(x.len(), shape.iter().product::<usize>(), "input size");
    let (h, w) = (shape[nd - 2], shape[nd - 1]);
    assert!(rows.end <= h, "rows within the axis");
    let out_h = rows.len();
    let (kv, kh) = (vertical.op.len(), horizontal.op.len());
    assert!(kv >= 1 && kh >= 1, "windows of at least one sample");
    if out.is_empty() || x.is_empty() {
        return false;
    }
    let planes = x.len() / (h * w);
    assert_eq!(out.len(), planes * out_h * w, "output size");
    let start = rows.start - rows.start % RUNNING_ROWS_2D;
    if running_sum(&vertical.op) && start != rows.start {
        let mut saw_nan = false;
        from_block_start(planes, w, rows, start, out, |wide_rows, wide| {
            saw_nan = pass_2d_rows(x, shape, vertical, horizontal, probe, wide_rows, wide)
        });
        return saw_nan;
    }
    let cost = |k: usize| if k > DIRECT_MAX { 4 } else { k };
    let parallel = threads::parallel(out.len() * (cost(kv) + cost(kh)));
    let block_rows = if running_sum(&vertical.op) {
        RUNNING_ROWS_2D
    } else if parallel {
        (planes * out_h / (4 * threads::current_threads())).clamp(1, 32)
    } else {
        32
    }
    .min(out_h);
    let per_plane = out_h.div_ceil(block_rows);
    let fill_row = vec![fill_value(vertical.boundary); w];
    let saw_nan = AtomicBool::new(false);
    let run = |bufs: &mut (Vec<T>, Vec<T>), (b, block): (usize, &mut [T])| {
        let (tmp, line) = bufs;
        let (p, y0) = (b / per_plane, rows.start + (b % per_plane) * block_rows);
        let nrows = block.len() / w;
        let plane = &x[p * h * w..(p + 1) * h * w];
        if probe && may_hold_nan(&plane[y0 * w..(y0 + nrows) * w]) {
            saw_nan.store(true, AtomicOrdering::Relaxed);
        }
        let lo = y0 as isize + vertical.start;
        let src = source_rows(
            plane,
            w,
            h,
            lo,
            nrows + kv - 1,
            vertical.boundary,
            &fill_row,
        );
        tmp.resize(nrows * w, T::ZERO);
        T::rows_op(vertical.op, &src, tmp, w, nrows);
        line.resize(w + kh - 1, T::ZERO);
        for (t, o) in tmp.chunks_exact(w).zip(block.chunks_exact_mut(w)) {
            gather_row(
                line,
                ArrayView1::from(t),
                horizontal.start,
                horizontal.boundary,
            );
            T::line_op(horizontal.op, line, o);
        }
    };
    // Blocks never straddle two planes.
    let chunks = out
        .chunks_mut(out_h * w)
        .flat_map(|plane| plane.chunks_mut(block_rows * w));
    if parallel {
        chunks
            .enumerate()
            .par_bridge()
            .for_each_init(|| (Vec::new(), Vec::new()), run);
    } else {
        let mut bufs = (Vec::new(), Vec::new());
        chunks.enumerate().for_each(|item| run(&mut bufs, item));
    }
    saw_nan.into_inner()
}

simd_kernel! {
    /// Whether `data` may hold a NaN: true whenever it does (a running SIMD sum turns NaN), and
    /// possibly for infinities of both signs or sums that overflow; never for integers.
    pub fn may_hold_nan<T, V>(data: &[T]) -> bool {
        let lanes = V::LANES;
        // SAFETY: only where V's instruction set runs (simd_kernel dispatches).
        let mut acc = unsafe { V::zero() };
        let mut i = 0;
        while i + lanes <= data.len() {
            // SAFETY: i + lanes <= data.len().
            acc = unsafe { acc.add(V::load(data.as_ptr().add(i))) };
            i += lanes;
        }
        let mut lanes_out = [T::ZERO; 16];
        // SAFETY: LANES <= 16 on every instruction set.
        unsafe { acc.store(lanes_out.as_mut_ptr()) };
        #[allow(clippy::eq_op)]
        let nan = lanes_out[..lanes].iter().chain(&data[i..]).any(|&v| v != v);
        nan
    }
}

/// The running window sum of a mean longer than [`DIRECT_MAX`], carried from sample to sample as
/// `hi + lo`. It holds the window's sum exactly unless the samples' magnitudes lie far apart, so a
/// mean does not depend on where its line began: a chunk of a line gives the whole line's means
/// bit for bit. Exact while `k * max|x| / min|x|` stays below 2^30 for float32 (`hi` holds every
/// partial sum), and `steps * k * max|x| / min|x|` below about 2^53 for float64 (`lo` holds every
/// sum of errors): a range of about 2^30 for windows of 30 and lines of 10^4.
pub trait WindowSum: SimdElement {
    /// `add - sub` as a pair `(hi, lo)` of equal sum.
    fn step(add: Self, sub: Self) -> (f64, f64);
    /// `sum + step`.
    fn accumulate(hi: &mut f64, lo: &mut f64, step: (f64, f64));
    /// `sum / k`, from the sum rounded to nearest.
    fn mean(hi: f64, lo: f64, k: usize) -> Self;
}

/// Float32 samples add and cancel exactly in a float64 `hi`; `lo` stays zero.
impl WindowSum for f32 {
    #[inline(always)]
    fn step(add: f32, sub: f32) -> (f64, f64) {
        (add as f64 - sub as f64, 0.0)
    }
    #[inline(always)]
    fn accumulate(hi: &mut f64, _: &mut f64, step: (f64, f64)) {
        *hi += step.0;
    }
    #[inline(always)]
    fn mean(hi: f64, _: f64, k: usize) -> f32 {
        (hi / k as f64) as f32
    }
}

/// `(a + b, error)`: the rounded sum and its exact rounding error (Knuth's TwoSum).
#[inline(always)]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let b_part = s - a;
    (s, (a - (s - b_part)) + (b - b_part))
}

/// Float64 samples: a double-double. Each step is exact by TwoSum; its addition into `hi` is
/// rounded and the error, exact by TwoSum again, collects in `lo`.
impl WindowSum for f64 {
    #[inline(always)]
    fn step(add: f64, sub: f64) -> (f64, f64) {
        two_sum(add, -sub)
    }
    #[inline(always)]
    fn accumulate(hi: &mut f64, lo: &mut f64, step: (f64, f64)) {
        let (s, err) = two_sum(*hi, step.0);
        (*hi, *lo) = (s, *lo + (err + step.1));
    }
    #[inline(always)]
    fn mean(hi: f64, lo: f64, k: usize) -> f64 {
        // One addition rounds hi + lo to nearest: the same for every pair of the same value.
        // An infinite `hi` leaves NaN in `lo` (inf - inf in TwoSum): the window's sum is `hi`.
        let sum = if hi.is_finite() { hi + lo } else { hi };
        sum / k as f64
    }
}

simd_kernel! {
    /// A running mean along one gathered line (`line` has `out.len() + k - 1` samples).
    fn mean_line<T: WindowSum, V>(out: &mut [T], line: &[T], k: usize) {
        let (mut hi, mut lo) = (0.0, 0.0);
        for &v in &line[..k] {
            T::accumulate(&mut hi, &mut lo, T::step(v, T::ZERO));
        }
        let n = out.len();
        out[0] = T::mean(hi, lo, k);
        let slides = line[k..k + n - 1].iter().zip(&line[..n - 1]);
        for (o, (&add, &sub)) in out[1..].iter_mut().zip(slides) {
            T::accumulate(&mut hi, &mut lo, T::step(add, sub));
            *o = T::mean(hi, lo, k);
        }
    }
}

simd_kernel! {
    /// `out[y][c] = sum(rows[y .. y + k][c]) / k` for `y < nrows`, `c < width`, with running sums
    /// ([`WindowSum`]; rows of `width` samples, output rows contiguous).
    fn mean_rows<T: WindowSum, V>(
        out: &mut [T],
        width: usize,
        nrows: usize,
        rows: &[&[T]],
        k: usize,
    ) {
        const CW: usize = 512;
        let (mut hi, mut lo) = ([0.0f64; CW], [0.0f64; CW]);
        for c0 in (0..width).step_by(CW) {
            let cw = CW.min(width - c0);
            let (hi, lo) = (&mut hi[..cw], &mut lo[..cw]);
            hi.fill(0.0);
            lo.fill(0.0);
            for row in &rows[..k] {
                for ((h, l), &v) in hi.iter_mut().zip(lo.iter_mut()).zip(&row[c0..c0 + cw]) {
                    T::accumulate(h, l, T::step(v, T::ZERO));
                }
            }
            for y in 0..nrows {
                if y > 0 {
                    let (add, sub) = (&rows[y + k - 1][c0..c0 + cw], &rows[y - 1][c0..c0 + cw]);
                    let sums = hi.iter_mut().zip(lo.iter_mut());
                    for ((h, l), (&p, &m)) in sums.zip(add.iter().zip(sub)) {
                        T::accumulate(h, l, T::step(p, m));
                    }
                }
                let o = &mut out[y * width + c0..y * width + c0 + cw];
                for ((d, &h), &l) in o.iter_mut().zip(hi.iter()).zip(lo.iter()) {
                    *d = T::mean(h, l, k);
                }
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
