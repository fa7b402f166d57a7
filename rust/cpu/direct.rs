//! Direct correlation: SIMD sliding dot products over blocks of output rows, threaded with rayon.
//!
//! Everything is reduced to one inner kernel, [`correlate_rows`]: given `nrows + kh - 1` input rows
//! that already carry their padding, it computes `nrows` output rows of a 2-D correlation. The
//! drivers around it only gather rows:
//!
//! * 2-D: each rayon task owns a block of output rows; it gathers the `block + kh - 1` input rows the
//!   block reads into a per-thread buffer, applying the boundary (fill, wrap, symm) on both axes, so
//!   the inner kernel never tests an index. No padded copy of the whole input is ever made.
//! * 1-D: each task owns a segment of the output; interior segments read the input in place, the
//!   two edge segments are gathered with their padding.
//! * N-d: a sum of 2-D correlations of planes, accumulated into each output plane.
//!
//! The inner kernel is register-blocked: four output rows × several SIMD vectors of accumulators;
//! every input vector loaded is used by up to four output rows, so it is not bound by loads.

use crate::cpu::rows::{fill_value, gather_row};
use crate::cpu::simd::{simd_kernel, SimdElement, Vector};
use crate::cpu::{reference, threads};
use crate::params::Boundary;
use ndarray::{ArrayD, ArrayView1, ArrayView2, ArrayViewD, Axis, Ix2, IxDyn};
use rayon::prelude::*;

/// Element types the direct kernels run on.
pub trait DirectElement: SimdElement {}
impl DirectElement for f32 {}
impl DirectElement for f64 {}
impl DirectElement for i64 {}

/// `out[o] = sum_m ext(x)[o + start + m] * kernel[m]`, where `ext` applies `boundary` outside `x`
/// (see [`reference::correlate`], which this matches up to rounding).
pub fn correlate<T: DirectElement>(
    x: ArrayViewD<T>,
    kernel: ArrayViewD<T>,
    start: &[isize],
    out_shape: &[usize],
    boundary: Boundary<T>,
) -> ArrayD<T> {
    // vec! of a zero element allocates zeroed pages lazily (calloc).
    let mut out = vec![T::ZERO; out_shape.iter().product()];
    correlate_into(x, kernel, start, &mut out, out_shape, boundary);
    ArrayD::from_shape_vec(IxDyn(out_shape), out).expect("shape matches length")
}

/// [`correlate`] into `out`, a row-major buffer of `out_shape`. The previous contents of `out` are
/// never read, so it may come straight from an allocator.
pub fn correlate_into<T: DirectElement>(
    x: ArrayViewD<T>,
    kernel: ArrayViewD<T>,
    start: &[isize],
    out: &mut [T],
    out_shape: &[usize],
    boundary: Boundary<T>,
) {
    let ndim = out_shape.len();
    assert_eq!(
        out.len(),
        out_shape.iter().product::<usize>(),
        "output buffer size"
    );
    if out.is_empty() {
        return;
    }
    if ndim == 0 {
        out[0] = reference::correlate(x, kernel, start, out_shape, boundary)[IxDyn(&[])];
        return;
    }
    if kernel.is_empty() {
        out.fill(T::ZERO);
        return;
    }
    // With no samples to extend, every read is the fill value (zero for wrap and symm).
    let boundary = if x.is_empty() {
        Boundary::Fill(match boundary {
            Boundary::Fill(v) => v,
            _ => T::ZERO,
        })
    } else {
        boundary
    };
    // Axes where input, kernel and output all have length 1 carry nothing: drop them, so that a
    // (1, n) signal runs the threaded 1-D path rather than one long 2-D row.
    let keep: Vec<usize> = (0..ndim)
        .filter(|&d| !(x.shape()[d] == 1 && kernel.shape()[d] == 1 && out_shape[d] == 1))
        .collect();
    if !keep.is_empty() && keep.len() < ndim {
        let start_k: Vec<isize> = keep.iter().map(|&d| start[d]).collect();
        let shape_k: Vec<usize> = keep.iter().map(|&d| out_shape[d]).collect();
        let (x, kernel) = (only_axes(x, &keep), only_axes(kernel, &keep));
        return correlate_into(x, kernel, &start_k, out, &shape_k, boundary);
    }
    let taps: Vec<T> = kernel.iter().copied().collect();
    match ndim {
        1 => correlate_1d(
            x.into_dimensionality().expect("1-D"),
            &taps,
            start[0],
            out,
            boundary,
        ),
        _ => {
            let plane = Plane {
                kh: kernel.shape()[ndim - 2],
                kw: kernel.shape()[ndim - 1],
                start: [start[ndim - 2], start[ndim - 1]],
                out_w: out_shape[ndim - 1],
                boundary,
            };
            if ndim == 2 {
                let x2 = x.into_dimensionality::<Ix2>().expect("2-D");
                plane.correlate(x2, &taps, out, false, true);
            } else {
                correlate_nd(x, kernel.shape(), &taps, start, out_shape, &plane, out);
            }
        }
    }
}

/// 1-D correlation of `x` with `taps`, output sample `o` reading `x[o + start ..]`.
fn correlate_1d<T: DirectElement>(
    x: ArrayView1<T>,
    taps: &[T],
    start: isize,
    out: &mut [T],
    boundary: Boundary<T>,
) {
    let kw = taps.len();
    let work = out.len() * kw;
    let parallel = threads::parallel(work);
    // Segments read the input in place; only the two at the edges gather a padded copy, which stays
    // small. In parallel, enough segments to balance the threads, each long enough to amortise its
    // edges.
    let segment = if parallel {
        out.len().div_ceil(8 * threads::current_threads()).max(4096)
    } else {
        16384
    };
    let contiguous = x.as_slice();
    let run = |buf: &mut Vec<T>, (s, seg): (usize, &mut [T])| {
        let lo = (s * segment) as isize + start;
        let hi = lo + (seg.len() + kw - 1) as isize;
        let row: &[T] = match contiguous {
            Some(xs) if lo >= 0 && hi <= xs.len() as isize => &xs[lo as usize..hi as usize],
            _ => {
                buf.resize(seg.len() + kw - 1, T::ZERO);
                gather_row(buf, x, lo, boundary);
                buf
            }
        };
        let len = seg.len();
        correlate_rows(seg, len, len, 1, &[row], taps, kw, false);
    };
    if parallel {
        out.par_chunks_mut(segment)
            .enumerate()
            .for_each_init(Vec::new, run);
    } else {
        let mut buf = Vec::new();
        out.chunks_mut(segment)
            .enumerate()
            .for_each(|item| run(&mut buf, item));
    }
}

/// Geometry of one 2-D correlation of planes.
struct Plane<T> {
    kh: usize,
    kw: usize,
    /// Offsets (rows, columns) of the first input sample output (0, 0) reads.
    start: [isize; 2],
    out_w: usize,
    boundary: Boundary<T>,
}

impl<T: DirectElement> Plane<T> {
    /// Writes (or with `accumulate`, adds) the correlation of `x` with `taps` (kh × kw, row-major)
    /// into `out` (rows of `out_w`). With `allow_parallel`, row blocks run as rayon tasks.
    ///
    /// Output columns whose window lies inside the input read its rows in place (rows above and
    /// below map onto input rows by the boundary rule, or onto one row of the fill value); only the
    /// strips at the left and right edges are gathered with their padding. Inputs whose rows are
    /// not contiguous are gathered whole.
    fn correlate(
        &self,
        x: ArrayView2<T>,
        taps: &[T],
        out: &mut [T],
        accumulate: bool,
        allow_parallel: bool,
    ) {
        let (kh, kw, out_w) = (self.kh, self.kw, self.out_w);
        let out_h = out.len() / out_w;
        let parallel = allow_parallel && threads::parallel(out.len() * taps.len());
        let block_rows = if parallel {
            (out_h / (4 * threads::current_threads())).clamp(4, 64) / 4 * 4
        } else {
            64
        };
        // Output columns lo..hi read input columns lo + start .. hi + start + kw - 1, all inside.
        let n = x.ncols() as isize;
        let lo = (-self.start[1]).clamp(0, out_w as isize) as usize;
        let hi =
            (n - (kw as isize - 1) - self.start[1]).clamp(lo as isize, out_w as isize) as usize;
        let in_place = hi > lo && x.nrows() > 0 && x.row(0).as_slice().is_some();
        let (lo, hi) = if in_place { (lo, hi) } else { (0, 0) };
        let fill_row = vec![fill_value(self.boundary); if in_place { x.ncols() } else { 0 }];
        let run = |buf: &mut Vec<T>, (b, block): (usize, &mut [T])| {
            let nrows = block.len() / out_w;
            let in_rows = nrows + kh - 1;
            let y0 = (b * block_rows) as isize + self.start[0];
            let source = |r: usize| self.boundary.source_index(y0 + r as isize, x.nrows());
            // The edge strips (all of the width when nothing is read in place), gathered.
            for (c0, c1) in [(0, lo), (hi, out_w)] {
                if c0 == c1 {
                    continue;
                }
                let padded_w = c1 - c0 + kw - 1;
                buf.resize(in_rows * padded_w, T::ZERO);
                let at = c0 as isize + self.start[1];
                for (r, dst) in buf.chunks_exact_mut(padded_w).enumerate() {
                    match source(r) {
                        Some(src) => gather_row(dst, x.row(src), at, self.boundary),
                        None => dst.fill(fill_value(self.boundary)),
                    }
                }
                let rows: Vec<&[T]> = buf.chunks_exact(padded_w).collect();
                let out_part = &mut block[c0..];
                correlate_rows(out_part, out_w, c1 - c0, nrows, &rows, taps, kw, accumulate);
            }
            if hi > lo {
                let at = (lo as isize + self.start[1]) as usize;
                let rows: Vec<&[T]> = (0..in_rows)
                    .map(|r| {
                        let row = match source(r) {
                            Some(src) => x.row(src).to_slice().expect("rows are contiguous"),
                            None => &fill_row[..],
                        };
                        &row[at..]
                    })
                    .collect();
                let out_part = &mut block[lo..];
                correlate_rows(out_part, out_w, hi - lo, nrows, &rows, taps, kw, accumulate);
            }
        };
        if parallel {
            out.par_chunks_mut(block_rows * out_w)
                .enumerate()
                .for_each_init(Vec::new, run);
        } else {
            let mut buf = Vec::new();
            out.chunks_mut(block_rows * out_w)
                .enumerate()
                .for_each(|item| run(&mut buf, item));
        }
    }
}

/// N-d correlation (N >= 3) as a sum over the kernel's leading indices of 2-D plane correlations.
fn correlate_nd<T: DirectElement>(
    x: ArrayViewD<T>,
    k_shape: &[usize],
    taps: &[T],
    start: &[isize],
    out_shape: &[usize],
    plane: &Plane<T>,
    out: &mut [T],
) {
    let lead = out_shape.len() - 2;
    let plane_len = out_shape[lead] * out_shape[lead + 1];
    let kplane_len = plane.kh * plane.kw;
    let k_lead: Vec<usize> = k_shape[..lead].to_vec();
    let out_lead: Vec<usize> = out_shape[..lead].to_vec();
    let n_planes = out.len() / plane_len;
    let per_plane = |p: usize, out_plane: &mut [T], allow_parallel: bool| {
        out_plane.fill(T::ZERO);
        let o = unravel(p, &out_lead);
        for (q, kplane) in taps.chunks_exact(kplane_len).enumerate() {
            let m = unravel(q, &k_lead);
            let mut view = x.view();
            let mut inside = true;
            for d in 0..lead {
                let i = o[d] as isize + start[d] + m[d] as isize;
                match plane.boundary.source_index(i, x.shape()[d]) {
                    // Index the leading axes away one by one: what remains is the input plane.
                    Some(s) => view.index_axis_inplace(Axis(0), s),
                    None => inside = false,
                }
            }
            if inside {
                let x2 = view.into_dimensionality::<Ix2>().expect("two axes remain");
                plane.correlate(x2, kplane, out_plane, true, allow_parallel);
            } else {
                // A plane entirely outside the input reads the fill value everywhere.
                let fill = fill_value(plane.boundary);
                let k_sum = kplane.iter().fold(T::ZERO, |acc, &w| acc.mul_add(fill, w));
                if k_sum != T::ZERO {
                    out_plane.iter_mut().for_each(|v| *v = v.add(k_sum));
                }
            }
        }
    };
    if n_planes >= 2 * threads::current_threads() && threads::parallel(out.len() * taps.len()) {
        out.par_chunks_mut(plane_len)
            .enumerate()
            .for_each(|(p, op)| per_plane(p, op, false));
    } else {
        out.chunks_mut(plane_len)
            .enumerate()
            .for_each(|(p, op)| per_plane(p, op, true));
    }
}

/// The view with every axis not in `keep` (each of length 1) removed.
fn only_axes<'a, T>(mut v: ArrayViewD<'a, T>, keep: &[usize]) -> ArrayViewD<'a, T> {
    for d in (0..v.ndim()).rev().filter(|d| !keep.contains(d)) {
        v.index_axis_inplace(Axis(d), 0);
    }
    v
}

/// Index tuple of flat index `i` in a row-major array of `shape`.
fn unravel(mut i: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for d in (0..shape.len()).rev() {
        idx[d] = i % shape[d];
        i /= shape[d];
    }
    idx
}

simd_kernel! {
    /// `out[y][x] (+)= sum_i sum_j rows[y + i][x + j] * k[i * kw + j]` for `y < nrows`, `x < out_w`:
    /// `rows` holds `nrows + kh - 1` input rows of at least `out_w + kw - 1` samples, `k` is
    /// `kh × kw` row-major, output row `y` starts at `out[y * out_stride]`. With `accumulate` the
    /// result is added to `out`, otherwise it overwrites it.
    pub fn correlate_rows<T, V>(
        out: &mut [T],
        out_stride: usize,
        out_w: usize,
        nrows: usize,
        rows: &[&[T]],
        k: &[T],
        kw: usize,
        accumulate: bool,
    ) {
        let kh = k.len() / kw;
        assert!(rows.len() == nrows + kh - 1, "correlate_rows: row count does not match kernel");
        assert!(rows.iter().all(|r| r.len() + 1 >= out_w + kw), "correlate_rows: short row");
        assert!(nrows == 0 || out.len() >= (nrows - 1) * out_stride + out_w, "correlate_rows: short out");
        let g = Geometry { out_stride, out_w, kh, kw, accumulate };
        // AVX-512 has 32 registers: 4 rows x 4 vectors of accumulators; otherwise 4 x 2.
        if size_of::<V>() >= 64 {
            blocked::<T, V, 4, 8>(out, rows, k, &g, nrows);
        } else {
            blocked::<T, V, 2, 4>(out, rows, k, &g, nrows);
        }
    }
}

/// Shape of one [`correlate_rows`] call.
struct Geometry {
    out_stride: usize,
    out_w: usize,
    kh: usize,
    kw: usize,
    accumulate: bool,
}

/// Rows of the output in blocks of four, columns in strips that keep the rows they read in L1.
/// `CX4`: vectors per row when four rows share the loads; `CX1`: vectors for single rows.
#[inline(always)]
fn blocked<T: SimdElement, V: Vector<T>, const CX4: usize, const CX1: usize>(
    out: &mut [T],
    rows: &[&[T]],
    k: &[T],
    g: &Geometry,
    nrows: usize,
) {
    let lanes = V::LANES;
    let l1_elems = 24 * 1024 / size_of::<T>();
    let strip = (l1_elems / (4 + g.kh - 1))
        .saturating_sub(g.kw - 1)
        .max(CX1 * lanes)
        / lanes
        * lanes;
    let mut xs = 0;
    while xs < g.out_w {
        let xe = (xs + strip).min(g.out_w);
        let mut y = 0;
        while y + 4 <= nrows {
            columns::<T, V, 4, CX4>(out, rows, k, g, y, xs, xe);
            y += 4;
        }
        while y < nrows {
            columns::<T, V, 1, CX1>(out, rows, k, g, y, xs, xe);
            y += 1;
        }
        xs = xe;
    }
}

/// Output rows `y0 .. y0 + RY`, columns `xs .. xe`: wide vector blocks, then single vectors, then
/// single samples.
#[inline(always)]
fn columns<T: SimdElement, V: Vector<T>, const RY: usize, const CX: usize>(
    out: &mut [T],
    rows: &[&[T]],
    k: &[T],
    g: &Geometry,
    y0: usize,
    xs: usize,
    xe: usize,
) {
    let lanes = V::LANES;
    let mut x = xs;
    while x + CX * lanes <= xe {
        // SAFETY: x + CX * lanes <= out_w, so every load stays inside rows of out_w + kw - 1
        // samples and every store inside output rows y0 .. y0 + RY (checked in correlate_rows).
        unsafe { micro::<T, V, RY, CX>(out, rows, k, g, y0, x) };
        x += CX * lanes;
    }
    while x + lanes <= xe {
        // SAFETY: as above with one vector.
        unsafe { micro::<T, V, RY, 1>(out, rows, k, g, y0, x) };
        x += lanes;
    }
    for x in x..xe {
        for y in y0..y0 + RY {
            let mut acc = if g.accumulate {
                out[y * g.out_stride + x]
            } else {
                T::ZERO
            };
            for i in 0..g.kh {
                let row = &rows[y + i][x..x + g.kw];
                for (&v, &w) in row.iter().zip(&k[i * g.kw..(i + 1) * g.kw]) {
                    acc = V::lane_mul_add(acc, v, w);
                }
            }
            out[y * g.out_stride + x] = acc;
        }
    }
}

/// The register block: `RY` output rows × `CX` vectors at column `x`.
///
/// Input row `r` (of `RY + kh - 1`) feeds output row `y` with kernel row `r - y`; the rows it feeds
/// form the range `lo ..= hi`, dispatched to a loop whose bounds are constants so the accumulators
/// stay in registers.
///
/// # Safety
/// `x + CX * LANES <= out_w`, `y0 + RY <= nrows`, with the buffer sizes checked in [`correlate_rows`].
#[inline(always)]
unsafe fn micro<T: SimdElement, V: Vector<T>, const RY: usize, const CX: usize>(
    out: &mut [T],
    rows: &[&[T]],
    k: &[T],
    g: &Geometry,
    y0: usize,
    x: usize,
) {
    let lanes = V::LANES;
    // SAFETY (whole body): pointer offsets stay inside the slices as stated in the contract.
    unsafe {
        let mut acc = [[V::zero(); CX]; RY];
        if g.accumulate {
            for (y, acc_row) in acc.iter_mut().enumerate() {
                let p = out.as_ptr().add((y0 + y) * g.out_stride + x);
                for (c, a) in acc_row.iter_mut().enumerate() {
                    *a = V::load(p.add(c * lanes));
                }
            }
        }
        let kp = k.as_ptr();
        for r in 0..RY + g.kh - 1 {
            let prow = rows[y0 + r].as_ptr().add(x);
            let lo = (r + 1).saturating_sub(g.kh);
            let hi = r.min(RY - 1);
            macro_rules! arm {
                ($lo:literal, $hi:literal) => {
                    taps::<T, V, RY, CX, $lo, $hi>(&mut acc, prow, kp, g.kw, r)
                };
            }
            match (lo, hi) {
                (0, 0) => arm!(0, 0),
                (0, 1) => arm!(0, 1),
                (0, 2) => arm!(0, 2),
                (0, 3) => arm!(0, 3),
                (1, 1) => arm!(1, 1),
                (1, 2) => arm!(1, 2),
                (1, 3) => arm!(1, 3),
                (2, 2) => arm!(2, 2),
                (2, 3) => arm!(2, 3),
                (3, 3) => arm!(3, 3),
                _ => unreachable!("RY is at most 4"),
            }
        }
        for (y, acc_row) in acc.iter().enumerate() {
            let p = out.as_mut_ptr().add((y0 + y) * g.out_stride + x);
            for (c, a) in acc_row.iter().enumerate() {
                a.store(p.add(c * lanes));
            }
        }
    }
}

/// One input row's contribution: for every tap `j`, `CX` vectors loaded once, multiplied into the
/// accumulators of output rows `LO ..= HI` with kernel row `r - y`.
///
/// # Safety
/// `prow` has `kw - 1 + CX * LANES` readable samples; `kp` points at the `kh × kw` kernel and
/// `r - y < kh` for `y` in `LO ..= HI`.
#[inline(always)]
unsafe fn taps<
    T: SimdElement,
    V: Vector<T>,
    const RY: usize,
    const CX: usize,
    const LO: usize,
    const HI: usize,
>(
    acc: &mut [[V; CX]; RY],
    prow: *const T,
    kp: *const T,
    kw: usize,
    r: usize,
) {
    let lanes = V::LANES;
    // SAFETY (whole body): offsets within the bounds stated in the contract.
    unsafe {
        for j in 0..kw {
            let mut v = [V::zero(); CX];
            for (c, vc) in v.iter_mut().enumerate() {
                *vc = V::load(prow.add(j + c * lanes));
            }
            #[allow(clippy::needless_range_loop)]
            // constant bounds: the loop unrolls, acc stays in registers
            for y in LO..=HI {
                if y < RY {
                    let w = V::splat(*kp.add((r - y) * kw + j));
                    for c in 0..CX {
                        acc[y][c] = acc[y][c].mul_add(v[c], w);
                    }
                }
            }
        }
    }
}
