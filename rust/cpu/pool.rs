//! Pooling kernels with torch's semantics, forward and backward: max and min pooling (with or
//! without the argmax indices), average pooling, max-unpooling and adaptive average pooling.
//!
//! Every kernel works on [`Planes`]: `count` contiguous planes of `h x w` (the batch and channel
//! axes flattened, NCHW order). 1-D pooling is a plane of height 1 with the identity window
//! ([`PoolAxis::identity`]) along the height. Indices are flat positions in an input plane,
//! `ih * w + iw`, as torch's `return_indices` gives them.
//!
//! Threads: forward kernels split the output into chunks of whole rows (rayon, `par_chunks_mut`),
//! backward kernels into whole planes, each chunk owned by one task.

use crate::cpu::pool_simd::{nan_max, nan_min, PairElement, PairOp};
use crate::cpu::threads;
use crate::element::Real;
use crate::error::{value_error, Result};
use crate::params::{adaptive_range, PoolAxis, PoolParams};
use rayon::prelude::*;

/// `count` contiguous planes of `h` rows of `w` samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planes {
    /// Number of planes (batch times channels).
    pub count: usize,
    /// Rows per plane.
    pub h: usize,
    /// Samples per row.
    pub w: usize,
}

impl Planes {
    /// Samples per plane.
    pub fn plane_len(&self) -> usize {
        self.h * self.w
    }
    /// Samples in all planes.
    pub fn len(&self) -> usize {
        self.count * self.h * self.w
    }
    /// Whether there is no sample at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Which extreme a pool keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extreme {
    /// max_pool.
    Max,
    /// min_pool.
    Min,
}

fn check_len(what: &str, got: usize, want: usize) -> Result<()> {
    if got != want {
        return value_error!("{what} holds {got} samples where {want} are needed");
    }
    Ok(())
}

/// The checks of a pooling forward pass (shared with the GPU kernels): `x` holds `planes`, `out`
/// (and `indices`, when given) the planes of `p.out_shape`, which is returned.
pub(crate) fn check_forward(
    x_len: usize,
    planes: Planes,
    p: &PoolParams,
    out_len: usize,
    indices_len: Option<usize>,
) -> Result<(usize, usize)> {
    check_len("input", x_len, planes.len())?;
    let (oh, ow) = p.out_shape(planes.h, planes.w)?;
    check_len("output", out_len, planes.count * oh * ow)?;
    if let Some(n) = indices_len {
        check_len("indices", n, out_len)?;
    }
    Ok((oh, ow))
}

/// The checks of a max/min pooling gradient (shared with the GPU kernel): the lengths, and every
/// index inside its input plane.
pub(crate) fn check_extreme_backward(
    grad_output_len: usize,
    indices: &[i64],
    out_plane_len: usize,
    input: Planes,
    grad_input_len: usize,
) -> Result<()> {
    check_len("grad_input", grad_input_len, input.len())?;
    check_len("grad_output", grad_output_len, input.count * out_plane_len)?;
    check_len("indices", indices.len(), grad_output_len)?;
    let n = input.plane_len();
    if let Some(&i) = indices.iter().find(|&&i| i < 0 || i as usize >= n) {
        return value_error!(
            "indices holds {i}, outside an input plane of {} x {} samples",
            input.h,
            input.w
        );
    }
    Ok(())
}

/// Average pooling has no dilation and a non-zero divisor.
fn check_avg_params(p: &PoolParams, divisor: Option<usize>) -> Result<()> {
    if p.h.dilation != 1 || p.w.dilation != 1 {
        return value_error!("average pooling has no dilation");
    }
    if divisor == Some(0) {
        return value_error!("divisor_override must be non-zero; got 0");
    }
    Ok(())
}

/// The checks of average pooling (shared with the GPU kernel): its parameters and the lengths of
/// [`check_forward`]; returns the output plane's shape.
pub(crate) fn check_avg(
    x_len: usize,
    planes: Planes,
    p: &PoolParams,
    divisor: Option<usize>,
    out_len: usize,
) -> Result<(usize, usize)> {
    check_avg_params(p, divisor)?;
    check_forward(x_len, planes, p, out_len, None)
}

/// The checks of the average pooling gradient (shared with the GPU kernel); returns the output
/// plane's shape.
pub(crate) fn check_avg_backward(
    grad_output_len: usize,
    input: Planes,
    p: &PoolParams,
    divisor: Option<usize>,
    grad_input_len: usize,
) -> Result<(usize, usize)> {
    check_avg_params(p, divisor)?;
    check_len("grad_input", grad_input_len, input.len())?;
    let (oh, ow) = p.out_shape(input.h, input.w)?;
    check_len("grad_output", grad_output_len, input.count * oh * ow)?;
    Ok((oh, ow))
}

/// [`for_rows`] over two outputs with the same rows (values and indices).
fn for_rows2<A: Send, B: Send>(
    a: &mut [A],
    b: &mut [B],
    row_len: usize,
    work: usize,
    f: impl Fn(usize, &mut [A], &mut [B]) + Sync,
) {
    if a.is_empty() || row_len == 0 {
        return;
    }
    let rows = a.len() / row_len;
    if !threads::parallel(work) || rows < 2 {
        return f(0, a, b);
    }
    let per = rows.div_ceil(threads::current_threads() * 8).max(1);
    a.par_chunks_mut(per * row_len)
        .zip(b.par_chunks_mut(per * row_len))
        .enumerate()
        .for_each(|(i, (ca, cb))| f(i * per, ca, cb));
}

/// [`for_rows`] with a fallible body: the first error is returned.
fn try_for_planes<T: Send>(
    out: &mut [T],
    plane_len: usize,
    work: usize,
    f: impl Fn(usize, &mut [T]) -> Result<()> + Sync,
) -> Result<()> {
    if out.is_empty() || plane_len == 0 {
        return Ok(());
    }
    let planes = out.len() / plane_len;
    if !threads::parallel(work) || planes < 2 {
        return out
            .chunks_mut(plane_len)
            .enumerate()
            .try_for_each(|(p, c)| f(p, c));
    }
    out.par_chunks_mut(plane_len)
        .enumerate()
        .try_for_each(|(p, c)| f(p, c))
}

/// The taps `start + j * dilation` of one window axis that fall inside `0..n`, as a range of `j`.
#[inline]
fn valid_taps(start: isize, ax: &PoolAxis, n: usize) -> std::ops::Range<usize> {
    let d = ax.dilation as isize;
    let first = if start < 0 { (-start + d - 1) / d } else { 0 };
    let last = if start >= n as isize {
        0
    } else {
        // taps j with start + j d <= n - 1
        (((n as isize - 1 - start) / d) + 1).min(ax.kernel as isize)
    };
    first as usize..(last.max(first)) as usize
}

/// The valid taps of every output sample along an axis of `n` samples: `(first input index,
/// number of taps)`, the taps stepping by the dilation. Computed once per call, so that the inner
/// loops divide nothing.
fn tap_table(ax: &PoolAxis, n: usize, n_out: usize) -> Vec<(usize, usize)> {
    (0..n_out)
        .map(|o| {
            let start = ax.start(o);
            let taps = valid_taps(start, ax, n);
            let first = start + (taps.start * ax.dilation) as isize;
            (first.max(0) as usize, taps.len())
        })
        .collect()
}

/// The range of outputs whose every tap lies inside the axis (a tap table is monotone, so they
/// are contiguous), first window starting at or after 0.
fn interior_columns(ax: &PoolAxis, taps: &[(usize, usize)]) -> (usize, usize) {
    let full = |o: usize| taps[o].1 == ax.kernel && ax.start(o) >= 0;
    let lo = (0..taps.len()).find(|&o| full(o)).unwrap_or(taps.len());
    let hi = (lo..taps.len()).find(|&o| !full(o)).unwrap_or(taps.len());
    (lo, hi)
}

/// Whether `ax` is the kernel 2, stride 2 window without padding or dilation.
fn is_k2s2(ax: &PoolAxis) -> bool {
    ax.kernel == 2 && ax.stride == 2 && ax.padding == 0 && ax.dilation == 1
}

/// Max or min pooling without indices: `out` (planes of `oh x ow`, from `p.out_shape`) gets the
/// extreme of each window; NaN wins as in torch. Separable: each output row first reduces its
/// window's input rows into one row, then each window across that row.
pub fn extreme_pool<T: Real + PairElement>(
    x: &[T],
    planes: Planes,
    p: &PoolParams,
    kind: Extreme,
    out: &mut [T],
) -> Result<()> {
    let (oh, ow) = check_forward(x.len(), planes, p, out.len(), None)?;
    match kind {
        Extreme::Max => extreme_pool_impl::<T, true>(x, planes, p, (oh, ow), out),
        Extreme::Min => extreme_pool_impl::<T, false>(x, planes, p, (oh, ow), out),
    }
    Ok(())
}

/// NaN-propagating max (`MAX`) or min.
#[inline(always)]
fn pick<T: Real, const MAX: bool>(acc: T, v: T) -> T {
    if MAX {
        nan_max(acc, v)
    } else {
        nan_min(acc, v)
    }
}

fn extreme_pool_impl<T: Real + PairElement, const MAX: bool>(
    x: &[T],
    planes: Planes,
    p: &PoolParams,
    (oh, ow): (usize, usize),
    out: &mut [T],
) {
    let (h, w) = (planes.h, planes.w);
    let op = if MAX { PairOp::Max } else { PairOp::Min };
    let init = if MAX {
        T::neg_infinity()
    } else {
        T::infinity()
    };
    let work = planes.len() * p.h.kernel + planes.count * oh * ow * p.w.kernel;
    let fast_w = is_k2s2(&p.w);
    let (ty, tx) = (tap_table(&p.h, h, oh), tap_table(&p.w, w, ow));
    threads::for_rows(out, ow, work, |first, chunk| {
        let mut col = vec![init; w];
        for (r, orow) in chunk.chunks_mut(ow).enumerate() {
            let (plane, oy) = ((first + r) / oh, (first + r) % oh);
            let xp = &x[plane * h * w..(plane + 1) * h * w];
            let (iy0, ny) = ty[oy];
            let taps = 0..ny;
            let row = |j: usize| {
                let iy = iy0 + j * p.h.dilation;
                &xp[iy * w..(iy + 1) * w]
            };
            // Kernel-2 stride-2 windows over one or two rows: the SIMD row.
            let from = if fast_w && (1..=2).contains(&taps.len()) {
                let n_fast = (w / 2).min(ow);
                let r0 = row(taps.start);
                let r1 = if taps.len() == 2 {
                    row(taps.start + 1)
                } else {
                    r0
                };
                T::pair_rows(r0, r1, &mut orow[..n_fast], op, T::one());
                n_fast
            } else {
                0
            };
            if from == ow {
                continue;
            }
            // The reduced row: the row itself for one tap, else the extreme down the window.
            let src: &[T] = if taps.len() == 1 {
                row(taps.start)
            } else {
                col.fill(init);
                for j in taps.clone() {
                    for (c, &v) in col.iter_mut().zip(row(j)) {
                        *c = pick::<T, MAX>(*c, v);
                    }
                }
                &col
            };
            for (o, &(ix0, nx)) in orow.iter_mut().zip(&tx).skip(from) {
                let mut acc = init;
                for j in 0..nx {
                    acc = pick::<T, MAX>(acc, src[ix0 + j * p.w.dilation]);
                }
                *o = acc;
            }
        }
    });
}

/// Max or min pooling with torch's indices: each window is scanned row by row, a sample replaces
/// the best so far when it is strictly better or NaN (so ties keep the first, NaN the last); the
/// index of an all-(-inf) window is its first valid sample.
pub fn extreme_pool_indices<T: Real + PairElement>(
    x: &[T],
    planes: Planes,
    p: &PoolParams,
    kind: Extreme,
    out: &mut [T],
    indices: &mut [i64],
) -> Result<()> {
    let (oh, ow) = check_forward(x.len(), planes, p, out.len(), Some(indices.len()))?;
    match kind {
        Extreme::Max => extreme_pool_indices_impl::<T, true>(x, planes, p, (oh, ow), out, indices),
        Extreme::Min => extreme_pool_indices_impl::<T, false>(x, planes, p, (oh, ow), out, indices),
    }
    Ok(())
}

fn extreme_pool_indices_impl<T: Real + PairElement, const MAX: bool>(
    x: &[T],
    planes: Planes,
    p: &PoolParams,
    (oh, ow): (usize, usize),
    out: &mut [T],
    indices: &mut [i64],
) {
    let (h, w) = (planes.h, planes.w);
    let max = MAX;
    let op = if max { PairOp::Max } else { PairOp::Min };
    let work = planes.count * oh * ow * p.h.kernel * p.w.kernel;
    let (ty, tx) = (tap_table(&p.h, h, oh), tap_table(&p.w, w, ow));
    let (dy, dx) = (p.h.dilation, p.w.dilation);
    let fast = is_k2s2(&p.w);
    let interior = interior_columns(&p.w, &tx);
    for_rows2(out, indices, ow, work, |first, chunk, ichunk| {
        for (r, (orow, irow)) in chunk.chunks_mut(ow).zip(ichunk.chunks_mut(ow)).enumerate() {
            let (plane, oy) = ((first + r) / oh, (first + r) % oh);
            let xp = &x[plane * h * w..(plane + 1) * h * w];
            let (iy0, ny) = ty[oy];
            // Kernel-2 stride-2 windows over two rows: the branch-free row.
            let from = if fast && ny == 2 {
                let n_fast = (w / 2).min(ow);
                let (y0, y1) = (iy0, iy0 + dy);
                T::pair_rows_indices(
                    &xp[y0 * w..(y0 + 1) * w],
                    &xp[y1 * w..(y1 + 1) * w],
                    (y0 * w) as i64,
                    (y1 * w) as i64,
                    &mut orow[..n_fast],
                    &mut irow[..n_fast],
                    op,
                );
                n_fast
            } else {
                0
            };
            // Interior columns (every tap inside the row): taps outermost, columns innermost, so
            // that the columns' compare chains run side by side.
            let (c0, c1) = (interior.0.max(from), interior.1.max(from));
            if c0 < c1 {
                let (sx, px) = (p.w.stride, p.w.padding);
                for ox in c0..c1 {
                    orow[ox] = if max {
                        T::neg_infinity()
                    } else {
                        T::infinity()
                    };
                    irow[ox] = (iy0 * w + ox * sx - px) as i64;
                }
                for a in 0..ny {
                    let iy = iy0 + a * dy;
                    let xr = &xp[iy * w..(iy + 1) * w];
                    for b in 0..p.w.kernel {
                        let off = b * dx;
                        for ox in c0..c1 {
                            let ix = ox * sx - px + off;
                            let v = xr[ix];
                            let best = orow[ox];
                            let take = if max { v > best } else { v < best } || v.is_nan();
                            orow[ox] = if take { v } else { best };
                            irow[ox] = if take { (iy * w + ix) as i64 } else { irow[ox] };
                        }
                    }
                }
            }
            let edges = (from..c0.max(from)).chain(c1.max(from)..ow);
            for ox in edges {
                let (ix0, nx) = tx[ox];
                let mut best = if max {
                    T::neg_infinity()
                } else {
                    T::infinity()
                };
                let mut best_i = (iy0 * w + ix0) as i64;
                for a in 0..ny {
                    let iy = iy0 + a * dy;
                    let xr = &xp[iy * w..(iy + 1) * w];
                    let base = (iy * w + ix0) as i64;
                    for (b, &v) in xr[ix0..].iter().step_by(dx).take(nx).enumerate() {
                        let take = if max { v > best } else { v < best } || v.is_nan();
                        best = if take { v } else { best };
                        best_i = if take { base + (b * dx) as i64 } else { best_i };
                    }
                }
                orow[ox] = best;
                irow[ox] = best_i;
            }
        }
    });
}

/// Gradient of max or min pooling: `grad_input` (planes of `input`) gets each output's gradient
/// added at its index. Errors on an index outside the plane.
pub fn extreme_pool_backward<T: Real>(
    grad_output: &[T],
    indices: &[i64],
    out_plane_len: usize,
    input: Planes,
    grad_input: &mut [T],
) -> Result<()> {
    check_extreme_backward(
        grad_output.len(),
        indices,
        out_plane_len,
        input,
        grad_input.len(),
    )?;
    try_for_planes(
        grad_input,
        input.plane_len(),
        grad_output.len(),
        |plane, gi| {
            gi.fill(T::zero());
            let range = plane * out_plane_len..(plane + 1) * out_plane_len;
            for (&g, &i) in grad_output[range.clone()].iter().zip(&indices[range]) {
                gi[i as usize] = gi[i as usize] + g;
            }
            Ok(())
        },
    )
}

/// The rows or columns one average-pool window covers along an axis: the valid range and the
/// window length counted with padding (torch: the window clipped to `n + padding`).
#[inline]
fn avg_span(start: isize, ax: &PoolAxis, n: usize) -> (usize, usize, usize) {
    let end = (start + ax.kernel as isize).min((n + ax.padding) as isize);
    let with_pad = (end - start).max(0) as usize;
    let lo = start.max(0) as usize;
    let hi = end.min(n as isize).max(0) as usize;
    (lo, hi.max(lo), with_pad)
}

/// The divisor of an average-pool window: `divisor_override`, else the window counted with or
/// without its padding.
#[inline]
fn avg_divisor(
    with_pad: usize,
    valid: usize,
    count_include_pad: bool,
    divisor: Option<usize>,
) -> usize {
    divisor.unwrap_or(if count_include_pad { with_pad } else { valid })
}

/// Average pooling (torch's avg_pool2d; no dilation): the mean of each window, in row order,
/// divided by `divisor` if given, else by the window size with its padding (`count_include_pad`)
/// or without it. A window with no valid sample gives 0.
pub fn avg_pool<T: Real + PairElement>(
    x: &[T],
    planes: Planes,
    p: &PoolParams,
    count_include_pad: bool,
    divisor: Option<usize>,
    out: &mut [T],
) -> Result<()> {
    let (oh, ow) = check_avg(x.len(), planes, p, divisor, out.len())?;
    let (h, w) = (planes.h, planes.w);
    let work = planes.count * oh * ow * p.h.kernel * p.w.kernel;
    let fast = is_k2s2(&p.w) && is_k2s2(&p.h);
    threads::for_rows(out, ow, work, |first, chunk| {
        for (r, orow) in chunk.chunks_mut(ow).enumerate() {
            let (plane, oy) = ((first + r) / oh, (first + r) % oh);
            let xp = &x[plane * h * w..(plane + 1) * h * w];
            let (y0, y1, ph) = avg_span(p.h.start(oy), &p.h, h);
            let mut from = 0;
            if fast && y1 - y0 == 2 {
                let n_fast = (w / 2).min(ow);
                let div = T::from(avg_divisor(4, 4, count_include_pad, divisor)).unwrap();
                let (r0, r1) = (&xp[y0 * w..(y0 + 1) * w], &xp[(y0 + 1) * w..(y0 + 2) * w]);
                T::pair_rows(r0, r1, &mut orow[..n_fast], PairOp::Mean, div);
                from = n_fast;
            }
            for (ox, o) in orow.iter_mut().enumerate().skip(from) {
                let (x0, x1, pw) = avg_span(p.w.start(ox), &p.w, w);
                if y0 >= y1 || x0 >= x1 {
                    *o = T::zero();
                    continue;
                }
                let mut sum = T::zero();
                for iy in y0..y1 {
                    for &v in &xp[iy * w + x0..iy * w + x1] {
                        sum = sum + v;
                    }
                }
                let div = avg_divisor(ph * pw, (y1 - y0) * (x1 - x0), count_include_pad, divisor);
                *o = sum / T::from(div).unwrap();
            }
        }
    });
    Ok(())
}

/// Gradient of [`avg_pool`]: each output's gradient divided by its window's divisor, added to
/// every valid sample of the window.
pub fn avg_pool_backward<T: Real>(
    grad_output: &[T],
    input: Planes,
    p: &PoolParams,
    count_include_pad: bool,
    divisor: Option<usize>,
    grad_input: &mut [T],
) -> Result<()> {
    let (oh, ow) = check_avg_backward(grad_output.len(), input, p, divisor, grad_input.len())?;
    let (h, w) = (input.h, input.w);
    let work = grad_output.len() * p.h.kernel * p.w.kernel;
    try_for_planes(grad_input, h * w, work, |plane, gi| {
        gi.fill(T::zero());
        let go = &grad_output[plane * oh * ow..(plane + 1) * oh * ow];
        for oy in 0..oh {
            let (y0, y1, ph) = avg_span(p.h.start(oy), &p.h, h);
            for ox in 0..ow {
                let (x0, x1, pw) = avg_span(p.w.start(ox), &p.w, w);
                if y0 >= y1 || x0 >= x1 {
                    continue;
                }
                let div = avg_divisor(ph * pw, (y1 - y0) * (x1 - x0), count_include_pad, divisor);
                let g = go[oy * ow + ox] / T::from(div).unwrap();
                for iy in y0..y1 {
                    for v in &mut gi[iy * w + x0..iy * w + x1] {
                        *v = *v + g;
                    }
                }
            }
        }
        Ok(())
    })
}

/// Max-unpooling: each plane of `out` (`out_h x out_w`) is zero except at the indices, which get
/// the input values (a repeated index keeps the last). Errors on an index outside the plane.
pub fn max_unpool<T: Real>(
    x: &[T],
    indices: &[i64],
    planes: Planes,
    out_h: usize,
    out_w: usize,
    out: &mut [T],
) -> Result<()> {
    check_len("input", x.len(), planes.len())?;
    check_len("indices", indices.len(), x.len())?;
    let n = out_h * out_w;
    check_len("output", out.len(), planes.count * n)?;
    let m = planes.plane_len();
    try_for_planes(out, n, x.len(), |plane, o| {
        o.fill(T::zero());
        let range = plane * m..(plane + 1) * m;
        for (&v, &i) in x[range.clone()].iter().zip(&indices[range]) {
            if i < 0 || i as usize >= n {
                return value_error!(
                    "indices holds {i}, outside an output plane of {out_h} x {out_w} samples"
                );
            }
            o[i as usize] = v;
        }
        Ok(())
    })
}

/// Gradient of [`max_unpool`]: `grad_input[i] = grad_output[indices[i]]` in each plane.
pub fn max_unpool_backward<T: Real>(
    grad_output: &[T],
    indices: &[i64],
    out_plane_len: usize,
    input: Planes,
    grad_input: &mut [T],
) -> Result<()> {
    check_len("grad_input", grad_input.len(), input.len())?;
    check_len("indices", indices.len(), input.len())?;
    check_len(
        "grad_output",
        grad_output.len(),
        input.count * out_plane_len,
    )?;
    let m = input.plane_len();
    try_for_planes(grad_input, m, input.len(), |plane, gi| {
        let go = &grad_output[plane * out_plane_len..(plane + 1) * out_plane_len];
        for (g, &i) in gi.iter_mut().zip(&indices[plane * m..(plane + 1) * m]) {
            if i < 0 || i as usize >= out_plane_len {
                return value_error!(
                    "indices holds {i}, outside a grad_output plane of {out_plane_len} samples"
                );
            }
            *g = go[i as usize];
        }
        Ok(())
    })
}

/// Adaptive average pooling to `out_h x out_w` (torch): output `(oy, ox)` averages the input rows
/// [`adaptive_range`]`(oy, h, out_h)` and columns `adaptive_range(ox, w, out_w)`.
pub fn adaptive_avg_pool<T: Real>(
    x: &[T],
    planes: Planes,
    out_h: usize,
    out_w: usize,
    out: &mut [T],
) -> Result<()> {
    check_len("input", x.len(), planes.len())?;
    check_len("output", out.len(), planes.count * out_h * out_w)?;
    let (h, w) = (planes.h, planes.w);
    if (h == 0 || w == 0) && !out.is_empty() {
        return value_error!("adaptive pooling needs a non-empty input plane; got {h} x {w}");
    }
    let work = planes.len() + out.len();
    threads::for_rows(out, out_w, work, |first, chunk| {
        for (r, orow) in chunk.chunks_mut(out_w).enumerate() {
            let (plane, oy) = ((first + r) / out_h, (first + r) % out_h);
            let xp = &x[plane * h * w..(plane + 1) * h * w];
            let (y0, y1) = adaptive_range(oy, h, out_h);
            for (ox, o) in orow.iter_mut().enumerate() {
                let (x0, x1) = adaptive_range(ox, w, out_w);
                let mut sum = T::zero();
                for iy in y0..y1 {
                    for &v in &xp[iy * w + x0..iy * w + x1] {
                        sum = sum + v;
                    }
                }
                *o = sum / T::from((y1 - y0) * (x1 - x0)).unwrap();
            }
        }
    });
    Ok(())
}

/// Gradient of [`adaptive_avg_pool`]: each output's gradient divided by its window size, added to
/// the window.
pub fn adaptive_avg_pool_backward<T: Real>(
    grad_output: &[T],
    input: Planes,
    out_h: usize,
    out_w: usize,
    grad_input: &mut [T],
) -> Result<()> {
    check_len("grad_input", grad_input.len(), input.len())?;
    check_len(
        "grad_output",
        grad_output.len(),
        input.count * out_h * out_w,
    )?;
    let (h, w) = (input.h, input.w);
    let work = input.len() + grad_output.len();
    try_for_planes(grad_input, h * w, work, |plane, gi| {
        gi.fill(T::zero());
        let go = &grad_output[plane * out_h * out_w..(plane + 1) * out_h * out_w];
        for oy in 0..out_h {
            let (y0, y1) = adaptive_range(oy, h, out_h);
            for ox in 0..out_w {
                let (x0, x1) = adaptive_range(ox, w, out_w);
                let g = go[oy * out_w + ox] / T::from((y1 - y0) * (x1 - x0)).unwrap();
                for iy in y0..y1 {
                    for v in &mut gi[iy * w + x0..iy * w + x1] {
                        *v = *v + g;
                    }
                }
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_taps_clip_to_the_input() {
        let ax = PoolAxis::new(3, 1, 1, 2, false).unwrap();
        // taps at -1, 1, 3 of an input of 3: only j = 1
        assert_eq!(valid_taps(-1, &ax, 3), 1..2);
        assert_eq!(valid_taps(0, &ax, 5), 0..3);
        assert_eq!(valid_taps(4, &ax, 5), 0..1);
        assert_eq!(valid_taps(5, &ax, 5), 0..0);
    }
}
