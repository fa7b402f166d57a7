//! Rank filters: the median (and any rank) over a footprint, with every ndimage boundary.
//!
//! * Small rectangular windows (1, 3, 5 or 7 rows × 1, 3, 5 or 7 columns) of the last two axes:
//!   SIMD across output pixels with min/max networks ([`median_planes`]). Each column of the
//!   window is sorted once per output row and shared by the outputs that read it (stage A), then
//!   a pruned network per output vector finds the median of the sorted columns (stage B, see
//!   `scripts/gen_median_networks.py`, which generated `median_networks.rs` and checked it).
//! * Anything else ([`rank_generic`]): per output, the footprint's samples are gathered and the
//!   rank selected (`select_nth_unstable`, O(footprint) on average), rows in parallel; a window
//!   containing NaN gives NaN.

use crate::cpu::median_networks as nets;
use crate::cpu::rows::{fill_value, gather_row};
use crate::cpu::separable::may_hold_nan;
use crate::cpu::simd::{simd_kernel, SimdElement};
use crate::cpu::threads;
use crate::element::Element;
use crate::params::Boundary;
use ndarray::ArrayView1;
use rayon::prelude::*;
use std::cmp::Ordering;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};

/// Whether [`median_planes`] has a network for a window of `kh` rows × `kw` columns.
pub fn has_network(kh: usize, kw: usize) -> bool {
    nets::SIZES.contains(&(kh, kw))
}

/// Median (rank `kh * kw / 2`) of every `kh × kw` window of each of the `planes` C-ordered
/// `h × w` planes of `x`: `out[p][y][x] = median(ext(x[p])[y + start[0] + i][x + start[1] + j])`.
/// Needs [`has_network`]`(kh, kw)`. Returns whether `x` may hold NaN (see
/// [`may_hold_nan`]), which the networks do not propagate.
#[allow(clippy::too_many_arguments)]
pub fn median_planes<T: SimdElement>(
    x: &[T],
    planes: usize,
    (h, w): (usize, usize),
    (kh, kw): (usize, usize),
    start: [isize; 2],
    boundary: Boundary<T>,
    out: &mut [T],
) -> bool {
    assert!(has_network(kh, kw), "no median network for {kh}x{kw}");
    assert_eq!(x.len(), planes * h * w, "input size");
    assert_eq!(out.len(), x.len(), "output size");
    if out.is_empty() {
        return false;
    }
    let saw_nan = AtomicBool::new(false);
    let parallel = threads::parallel(out.len() * kh * kw * 2);
    let block_rows = if parallel {
        (planes * h / (4 * threads::current_threads())).clamp(1, 32)
    } else {
        32
    }
    .min(h);
    // Padded rows with 16 samples of slack so that whole vectors never read past them.
    let stride = w + kw - 1 + 16;
    let per_plane = h.div_ceil(block_rows);
    let run = |buf: &mut Vec<T>, (b, block): (usize, &mut [T])| {
        let (p, y0) = (b / per_plane, (b % per_plane) * block_rows);
        let nrows = block.len() / w;
        let plane = &x[p * h * w..(p + 1) * h * w];
        if may_hold_nan(&plane[y0 * w..(y0 + nrows) * w]) {
            saw_nan.store(true, AtomicOrdering::Relaxed);
        }
        let in_rows = nrows + kh - 1;
        buf.resize((in_rows + kh) * stride + w + 16, T::ZERO);
        let (gathered, rest) = buf.split_at_mut(in_rows * stride);
        for (r, dst) in gathered.chunks_exact_mut(stride).enumerate() {
            let dst = &mut dst[..w + kw - 1];
            match boundary.source_index(y0 as isize + start[0] + r as isize, h) {
                Some(s) => gather_row(
                    dst,
                    ArrayView1::from(&plane[s * w..(s + 1) * w]),
                    start[1],
                    boundary,
                ),
                None => dst.fill(fill_value(boundary)),
            }
        }
        median_rows(block, w, nrows, gathered, stride, kh, kw, rest);
    };
    // Blocks never straddle two planes.
    let chunks = out
        .chunks_mut(h * w)
        .flat_map(|plane| plane.chunks_mut(block_rows * w));
    if parallel {
        chunks.enumerate().par_bridge().for_each_init(Vec::new, run);
    } else {
        let mut buf = Vec::new();
        chunks.enumerate().for_each(|item| run(&mut buf, item));
    }
    saw_nan.into_inner()
}

simd_kernel! {
    /// `nrows` output rows of `w` (contiguous in `out`) from `nrows + kh - 1` padded rows of
    /// `gathered` (each `stride` long, `w + kw - 1` of them real), with `scratch` of at least
    /// `kh * stride + w + 16` samples.
    fn median_rows<T, V>(
        out: &mut [T],
        w: usize,
        nrows: usize,
        gathered: &[T],
        stride: usize,
        kh: usize,
        kw: usize,
        scratch: &mut [T],
    ) {
        let lanes = V::LANES;
        assert!(lanes <= 16 && stride >= w + kw - 1 + 16);
        assert!(gathered.len() >= (nrows + kh - 1) * stride);
        assert!(scratch.len() >= kh * stride + w + 16 && out.len() >= nrows * w);
        let (sorted, row_out) = scratch.split_at_mut(kh * stride);
        // Whole vectors over the padded width (the slack absorbs the last partial one).
        let padded = (w + kw - 1).div_ceil(lanes) * lanes;
        for y in 0..nrows {
            let src = |r: usize| &gathered[(y + r) * stride..(y + r + 1) * stride];
            // Stage A: sort each column of kh samples (rank r of column c into sorted[r][c]).
            macro_rules! sort_columns {
                ($k:literal, $sort:path) => {{
                    let mut c = 0;
                    while c < padded {
                        // SAFETY: c + lanes <= padded <= stride: inside every row.
                        unsafe {
                            let v: [V; $k] = std::array::from_fn(|r| V::load(src(r).as_ptr().add(c)));
                            let s = $sort(v);
                            for (r, sv) in s.iter().enumerate() {
                                sv.store(sorted.as_mut_ptr().add(r * stride + c));
                            }
                        }
                        c += lanes;
                    }
                }};
            }
            match kh {
                1 => sorted[..stride].copy_from_slice(src(0)),
                3 => sort_columns!(3, nets::sort3::<T, V>),
                5 => sort_columns!(5, nets::sort5::<T, V>),
                7 => sort_columns!(7, nets::sort7::<T, V>),
                _ => unreachable!("checked by has_network"),
            }
            let s: Vec<&[T]> = sorted.chunks_exact(stride).collect();
            // Stage B: one network call per output vector.
            macro_rules! outputs {
                ($net:path) => {{
                    let mut x = 0;
                    while x < w {
                        // SAFETY: x < w, so x + kw - 1 + lanes <= w + kw - 1 + 16 <= stride; the
                        // store lands in row_out, which has w + 16 samples.
                        unsafe {
                            let v: V = $net(&s, x);
                            v.store(row_out.as_mut_ptr().add(x));
                        }
                        x += lanes;
                    }
                }};
            }
            match (kh, kw) {
                (1, 3) => outputs!(nets::median_1x3::<T, V>),
                (1, 5) => outputs!(nets::median_1x5::<T, V>),
                (1, 7) => outputs!(nets::median_1x7::<T, V>),
                (3, 1) => outputs!(nets::median_3x1::<T, V>),
                (3, 3) => outputs!(nets::median_3x3::<T, V>),
                (3, 5) => outputs!(nets::median_3x5::<T, V>),
                (3, 7) => outputs!(nets::median_3x7::<T, V>),
                (5, 1) => outputs!(nets::median_5x1::<T, V>),
                (5, 3) => outputs!(nets::median_5x3::<T, V>),
                (5, 5) => outputs!(nets::median_5x5::<T, V>),
                (5, 7) => outputs!(nets::median_5x7::<T, V>),
                (7, 1) => outputs!(nets::median_7x1::<T, V>),
                (7, 3) => outputs!(nets::median_7x3::<T, V>),
                (7, 5) => outputs!(nets::median_7x5::<T, V>),
                (7, 7) => outputs!(nets::median_7x7::<T, V>),
                _ => unreachable!("checked by has_network"),
            }
            out[y * w..(y + 1) * w].copy_from_slice(&row_out[..w]);
        }
    }
}

/// Rank `rank` (0 = minimum) of the samples under `footprint` (C-ordered, shape `fshape`, same
/// number of axes as `shape`) at every output position: `out[o] = rank of ext(x)[o + start + f]`
/// for the `f` where the footprint is true. A window containing NaN gives NaN.
#[allow(clippy::too_many_arguments)]
pub fn rank_generic<T: Element>(
    x: &[T],
    shape: &[usize],
    footprint: &[bool],
    fshape: &[usize],
    rank: usize,
    start: &[isize],
    boundary: Boundary<T>,
    out: &mut [T],
) {
    let nd = shape.len();
    assert!(
        nd >= 1 && fshape.len() == nd && start.len() == nd,
        "one value per axis"
    );
    assert_eq!(
        footprint.len(),
        fshape.iter().product::<usize>(),
        "footprint size"
    );
    assert_eq!(x.len(), shape.iter().product::<usize>(), "input size");
    assert_eq!(out.len(), x.len(), "output size");
    let offsets: Vec<Vec<usize>> = footprint
        .iter()
        .enumerate()
        .filter(|(_, &f)| f)
        .map(|(i, _)| unravel(i, fshape))
        .collect();
    let count = offsets.len();
    assert!(rank < count, "rank inside the footprint");
    if out.is_empty() {
        return;
    }
    let w = shape[nd - 1];
    let lead = &shape[..nd - 1];
    let fill = fill_value(boundary);
    let parallel = threads::parallel(out.len() * count * 4);
    let run = |bufs: &mut (Vec<Option<usize>>, Vec<T>), (row, out_row): (usize, &mut [T])| {
        let (bases, vals) = bufs;
        let o_lead = unravel(row, lead);
        // The input row (flat start) each footprint entry reads on the leading axes, or None.
        bases.clear();
        bases.extend(offsets.iter().map(|f| {
            let mut flat = 0;
            for d in 0..nd - 1 {
                let i = o_lead[d] as isize + start[d] + f[d] as isize;
                flat = flat * shape[d] + boundary.source_index(i, shape[d])?;
            }
            Some(flat * w)
        }));
        for (ox, o) in out_row.iter_mut().enumerate() {
            vals.clear();
            vals.extend(
                offsets
                    .iter()
                    .zip(bases.iter())
                    .map(|(f, base)| match base {
                        Some(b) => {
                            let col = ox as isize + start[nd - 1] + f[nd - 1] as isize;
                            match boundary.source_index(col, w) {
                                Some(c) => x[b + c],
                                None => fill,
                            }
                        }
                        None => fill,
                    }),
            );
            *o = select(vals, rank);
        }
    };
    if parallel {
        out.par_chunks_mut(w)
            .enumerate()
            .for_each_init(|| (Vec::new(), Vec::new()), run);
    } else {
        let mut bufs = (Vec::new(), Vec::new());
        out.chunks_mut(w)
            .enumerate()
            .for_each(|item| run(&mut bufs, item));
    }
}

/// Rank `rank` of `vals` (reordered); NaN when one of them is NaN.
fn select<T: Element>(vals: &mut [T], rank: usize) -> T {
    #[allow(clippy::eq_op)]
    if let Some(&nan) = vals.iter().find(|&&v| v != v) {
        return nan;
    }
    let by = |a: &T, b: &T| a.partial_cmp(b).unwrap_or(Ordering::Equal);
    if rank == 0 {
        return *vals.iter().min_by(|a, b| by(a, b)).expect("non-empty");
    }
    if rank == vals.len() - 1 {
        return *vals.iter().max_by(|a, b| by(a, b)).expect("non-empty");
    }
    *vals.select_nth_unstable_by(rank, by).1
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
