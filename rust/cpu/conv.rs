//! Convolution layers in NCHW layout (1-D runs as 2-D with a unit height): forward, backward-data
//! and backward-weight, each as im2col tiles times a GEMM.
//!
//! For one sample and one group, with `patch = cin_g * kh * kw` and `P = oh * ow`:
//!
//! * forward: `Y (cout_g x P) = W (cout_g x patch) @ col (patch x P)`,
//! * backward-data: `dcol = W^T @ dY`, then `dcol` is scattered back onto `dX` (col2im),
//! * backward-weight: `dW += dY @ col^T`, summed over the batch.
//!
//! `col` is built a tile of output columns at a time into a per-thread buffer that is reused from
//! call to call, sized to stay in the L2 cache; a 1x1 kernel with stride 1 and no padding reads the
//! input in place. Threads: whole samples per thread when the batch has enough of them (each
//! thread owns its output samples; backward-weight sums one partial gradient per thread), else the
//! GEMM itself is threaded.

use crate::cpu::gemm::{gemm, GemmElement, Mat};
use crate::cpu::threads;
use crate::params::ConvParams;
use rayon::prelude::*;
use std::cell::RefCell;
use std::thread::LocalKey;

/// Element types with a per-thread im2col buffer.
pub trait ConvElement: GemmElement {
    /// This thread's reusable scratch buffer.
    fn scratch() -> &'static LocalKey<RefCell<Vec<Self>>>;
}

thread_local! {
    static SCRATCH_F32: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    static SCRATCH_F64: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

impl ConvElement for f32 {
    fn scratch() -> &'static LocalKey<RefCell<Vec<f32>>> {
        &SCRATCH_F32
    }
}
impl ConvElement for f64 {
    fn scratch() -> &'static LocalKey<RefCell<Vec<f64>>> {
        &SCRATCH_F64
    }
}

/// Runs `f` on this thread's scratch buffer of at least `len` elements (contents unspecified).
/// The buffer is taken out of its slot for the call, so a nested call (rayon may run another task
/// on this thread while a threaded GEMM waits) gets its own.
fn with_scratch<T: ConvElement, R>(len: usize, f: impl FnOnce(&mut [T]) -> R) -> R {
    let mut buf = T::scratch().with(|slot| slot.take());
    if buf.len() < len {
        buf.resize(len, T::ZERO);
    }
    let result = f(&mut buf[..len]);
    T::scratch().with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot.len() < buf.len() {
            *slot = buf;
        }
    });
    result
}

/// Output columns per im2col tile: the tile (`patch x cols`) fills about `TILE_BYTES`.
fn tile_cols<T>(p: &ConvParams) -> usize {
    const TILE_BYTES: usize = 384 << 10;
    let per_col = p.patch() * std::mem::size_of::<T>();
    let cols = (TILE_BYTES / per_col.max(1)).max(64) / 16 * 16;
    cols.min(p.out_plane()).max(1)
}

/// Whether `col` is the input itself (1x1 kernel, stride 1, no padding).
fn col_is_input(p: &ConvParams) -> bool {
    let unit = |a: &crate::params::ConvAxis| {
        a.kernel == 1 && a.stride == 1 && a.pad_lo == 0 && a.output == a.input
    };
    unit(&p.h) && unit(&p.w)
}

/// Calls `f(row, tap_h, tap_w, segment_offset, oh, ow0, ow1)` for each (kernel-row, output-row
/// segment) of the tile `p0..p1` of one input channel: the im2col row `row` holds, at
/// `segment_offset..`, the outputs `(oh, ow0..ow1)`.
#[inline(always)]
fn for_each_segment(
    p: &ConvParams,
    p0: usize,
    p1: usize,
    mut f: impl FnMut(usize, usize, usize, usize, usize, usize, usize),
) {
    let ow_n = p.w.output;
    let mut row = 0;
    for a in 0..p.h.kernel {
        for b in 0..p.w.kernel {
            let (mut pos, mut off) = (p0, 0);
            while pos < p1 {
                let (oh, ow0) = (pos / ow_n, pos % ow_n);
                let ow1 = ow_n.min(ow0 + (p1 - pos));
                f(row, a, b, off, oh, ow0, ow1);
                off += ow1 - ow0;
                pos += ow1 - ow0;
            }
            row += 1;
        }
    }
}

/// [`im2col`] of whole output planes: the bounds of each kernel tap are worked out once per tap
/// instead of once per output row (small planes spend most of their time here).
fn im2col_planes<T: GemmElement>(x: &[T], p: &ConvParams, col: &mut [T], ld: usize) {
    let (h, w) = (p.h, p.w);
    let (ow_n, taps) = (w.output, h.kernel * w.kernel);
    for (ci, plane) in x.chunks_exact(p.in_plane()).take(p.cin_g()).enumerate() {
        for a in 0..h.kernel {
            let (oh_lo, oh_hi) = h.valid_outputs(a);
            for b in 0..w.kernel {
                let r = ci * taps + a * w.kernel + b;
                let row = &mut col[r * ld..r * ld + h.output * ow_n];
                let (lo, hi) = w.valid_outputs(b);
                row[..oh_lo * ow_n].fill(T::ZERO);
                row[oh_hi.max(oh_lo) * ow_n..].fill(T::ZERO);
                for oh in oh_lo..oh_hi {
                    let ih = h.source(oh, a) as usize;
                    let src = &plane[ih * w.input..(ih + 1) * w.input];
                    let seg = &mut row[oh * ow_n..(oh + 1) * ow_n];
                    seg[..lo].fill(T::ZERO);
                    seg[hi.max(lo)..].fill(T::ZERO);
                    if lo < hi {
                        let s0 = w.source(lo, b) as usize;
                        if w.stride == 1 {
                            seg[lo..hi].copy_from_slice(&src[s0..s0 + (hi - lo)]);
                        } else {
                            let it = src[s0..].iter().step_by(w.stride);
                            seg[lo..hi].iter_mut().zip(it).for_each(|(d, s)| *d = *s);
                        }
                    }
                }
            }
        }
    }
}

/// `col[r * ld + c] = x[ci, ih, iw]` (zero in the padding) for the output columns `p0..p1` of one
/// group: `x` holds the group's `cin_g` input planes, `col` has `patch` rows of stride `ld`.
fn im2col<T: GemmElement>(x: &[T], p: &ConvParams, p0: usize, p1: usize, col: &mut [T], ld: usize) {
    let (h, w) = (p.h, p.w);
    let taps = h.kernel * w.kernel;
    if p0 == 0 && p1 == p.out_plane() {
        return im2col_planes(x, p, col, ld);
    }
    for (ci, plane) in x.chunks_exact(p.in_plane()).take(p.cin_g()).enumerate() {
        let rows = &mut col[ci * taps * ld..];
        for_each_segment(p, p0, p1, |r, a, b, off, oh, ow0, ow1| {
            let seg = &mut rows[r * ld + off..r * ld + off + (ow1 - ow0)];
            let ih = h.source(oh, a);
            if ih < 0 || ih as usize >= h.input {
                seg.fill(T::ZERO);
                return;
            }
            let src = &plane[ih as usize * w.input..(ih as usize + 1) * w.input];
            let (lo, hi) = w.valid_outputs(b);
            let (lo, hi) = (
                lo.clamp(ow0, ow1),
                hi.clamp(ow0, ow1).max(lo.clamp(ow0, ow1)),
            );
            seg[..lo - ow0].fill(T::ZERO);
            seg[hi - ow0..].fill(T::ZERO);
            if lo < hi {
                let s0 = w.source(lo, b) as usize;
                let dst = &mut seg[lo - ow0..hi - ow0];
                if w.stride == 1 {
                    dst.copy_from_slice(&src[s0..s0 + (hi - lo)]);
                } else {
                    for (d, s) in dst.iter_mut().zip(src[s0..].iter().step_by(w.stride)) {
                        *d = *s;
                    }
                }
            }
        });
    }
}

/// [`col2im`] of whole output planes (see [`im2col_planes`]).
fn col2im_planes<T: GemmElement>(dcol: &[T], p: &ConvParams, dx: &mut [T], ld: usize) {
    let (h, w) = (p.h, p.w);
    let (ow_n, taps) = (w.output, h.kernel * w.kernel);
    for (ci, plane) in dx
        .chunks_exact_mut(p.in_plane())
        .take(p.cin_g())
        .enumerate()
    {
        for a in 0..h.kernel {
            let (oh_lo, oh_hi) = h.valid_outputs(a);
            for b in 0..w.kernel {
                let r = ci * taps + a * w.kernel + b;
                let row = &dcol[r * ld..r * ld + h.output * ow_n];
                let (lo, hi) = w.valid_outputs(b);
                if lo >= hi {
                    continue;
                }
                let s0 = w.source(lo, b) as usize;
                for oh in oh_lo..oh_hi {
                    let ih = h.source(oh, a) as usize;
                    let dst = &mut plane[ih * w.input..(ih + 1) * w.input];
                    let seg = &row[oh * ow_n + lo..oh * ow_n + hi];
                    if w.stride == 1 {
                        dst[s0..s0 + (hi - lo)]
                            .iter_mut()
                            .zip(seg)
                            .for_each(|(d, s)| *d = *d + *s);
                    } else {
                        let it = dst[s0..].iter_mut().step_by(w.stride);
                        it.zip(seg).for_each(|(d, s)| *d = *d + *s);
                    }
                }
            }
        }
    }
}

/// The adjoint of [`im2col`]: `dx[ci, ih, iw] += dcol[r * ld + c]`.
fn col2im<T: GemmElement>(
    dcol: &[T],
    p: &ConvParams,
    p0: usize,
    p1: usize,
    dx: &mut [T],
    ld: usize,
) {
    if p0 == 0 && p1 == p.out_plane() {
        return col2im_planes(dcol, p, dx, ld);
    }
    let (h, w) = (p.h, p.w);
    let taps = h.kernel * w.kernel;
    for (ci, plane) in dx
        .chunks_exact_mut(p.in_plane())
        .take(p.cin_g())
        .enumerate()
    {
        let rows = &dcol[ci * taps * ld..];
        for_each_segment(p, p0, p1, |r, a, b, off, oh, ow0, ow1| {
            let ih = h.source(oh, a);
            if ih < 0 || ih as usize >= h.input {
                return;
            }
            let seg = &rows[r * ld + off..r * ld + off + (ow1 - ow0)];
            let dst = &mut plane[ih as usize * w.input..(ih as usize + 1) * w.input];
            let (lo, hi) = w.valid_outputs(b);
            let (lo, hi) = (lo.clamp(ow0, ow1), hi.clamp(ow0, ow1));
            if lo < hi {
                let s0 = w.source(lo, b) as usize;
                let src = &seg[lo - ow0..hi - ow0];
                if w.stride == 1 {
                    for (d, s) in dst[s0..s0 + (hi - lo)].iter_mut().zip(src) {
                        *d = *d + *s;
                    }
                } else {
                    for (d, s) in dst[s0..].iter_mut().step_by(w.stride).zip(src) {
                        *d = *d + *s;
                    }
                }
            }
        });
    }
}

/// Samples whose columns share one im2col tile: planes smaller than a tile are batched so that
/// each GEMM has enough columns to run at full speed.
fn samples_per_tile<T>(p: &ConvParams) -> usize {
    let op = p.out_plane().max(1);
    let cols = tile_cols::<T>(p);
    if op >= cols / 2 || col_is_input(p) {
        1
    } else {
        (cols / op).clamp(1, p.batch.max(1))
    }
}

/// How a batched call is threaded: whether chunks of `per` samples run in parallel, and the
/// threads each GEMM may use.
fn plan(p: &ConvParams, per: usize) -> (bool, usize) {
    let threads = threads::current_threads();
    if !threads::parallel(p.macs()) || threads == 1 {
        (false, 1)
    } else if p.batch.div_ceil(per) >= threads {
        (true, 1)
    } else {
        (false, threads)
    }
}

/// Checks the slice lengths against the geometry (a bug in the caller if they differ).
fn check_lengths(p: &ConvParams, x: usize, w: usize, y: usize) {
    let prod = |s: [usize; 4]| s.iter().product::<usize>();
    assert_eq!(x, prod(p.input_shape()), "conv: input length");
    assert_eq!(w, prod(p.weight_shape()), "conv: weight length");
    assert_eq!(y, prod(p.output_shape()), "conv: output length");
}

/// Runs `f(a_chunk, b_chunk, inner_threads)` over matching chunks of `per` samples.
fn over_samples<T: ConvElement>(
    p: &ConvParams,
    per: usize,
    (a, a_n): (&mut [T], usize),
    (b, b_n): (&[T], usize),
    f: impl Fn(&mut [T], &[T], usize) + Sync,
) {
    if a_n == 0 {
        return;
    }
    match plan(p, per) {
        (true, inner) => a
            .par_chunks_mut(per * a_n)
            .zip(b.par_chunks((per * b_n).max(1)))
            .for_each(|(ac, bc)| f(ac, bc, inner)),
        (false, inner) => a
            .chunks_mut(per * a_n)
            .zip(b.chunks((per * b_n).max(1)))
            .for_each(|(ac, bc)| f(ac, bc, inner)),
    }
}

/// Forward convolution: `y = conv(x, w) + bias`, `x`, `w`, `y` contiguous NCHW / OIHW / NCHW.
pub fn forward<T: ConvElement>(x: &[T], w: &[T], bias: Option<&[T]>, p: &ConvParams, y: &mut [T]) {
    check_lengths(p, x.len(), w.len(), y.len());
    if let Some(b) = bias {
        assert_eq!(b.len(), p.out_channels, "conv: bias length");
    }
    let (x_n, y_n) = (p.in_channels * p.in_plane(), p.out_channels * p.out_plane());
    let per = samples_per_tile::<T>(p);
    over_samples(p, per, (y, y_n), (x, x_n), |ys, xs, inner| {
        if per == 1 {
            forward_sample(xs, w, p, ys, inner);
        } else {
            forward_samples(xs, w, p, ys, inner);
        }
        if let Some(b) = bias {
            add_channel_bias(ys, b, p.out_plane());
        }
    });
}

/// `dst[c, i * plane ..] = src[i, g * rows + c, :]` for the samples `i` of a chunk (`(N, channels,
/// plane)` to a `rows x (N * plane)` matrix).
fn gather_planes<T: Copy>(
    src: &[T],
    dst: &mut [T],
    (g, rows, channels, plane): (usize, usize, usize, usize),
) {
    let samples = src.len() / (channels * plane);
    let ld = samples * plane;
    for i in 0..samples {
        for c in 0..rows {
            dst[c * ld + i * plane..][..plane]
                .copy_from_slice(&src[(i * channels + g * rows + c) * plane..][..plane]);
        }
    }
}

/// The inverse of [`gather_planes`].
fn scatter_planes<T: Copy>(
    src: &[T],
    dst: &mut [T],
    (g, rows, channels, plane): (usize, usize, usize, usize),
) {
    let samples = dst.len() / (channels * plane);
    let ld = samples * plane;
    for i in 0..samples {
        for c in 0..rows {
            dst[(i * channels + g * rows + c) * plane..][..plane]
                .copy_from_slice(&src[c * ld + i * plane..][..plane]);
        }
    }
}

/// [`forward`] of a chunk of samples whose planes share one tile.
fn forward_samples<T: ConvElement>(xs: &[T], w: &[T], p: &ConvParams, ys: &mut [T], inner: usize) {
    let (patch, cout_g, op) = (p.patch(), p.cout_g(), p.out_plane());
    let (x_n, xg_len) = (p.in_channels * p.in_plane(), p.cin_g() * p.in_plane());
    let samples = xs.len() / x_n;
    let cols = samples * op;
    with_scratch(patch * cols + cout_g * cols, |buf: &mut [T]| {
        let (col, tmp) = buf.split_at_mut(patch * cols);
        for g in 0..p.groups {
            for i in 0..samples {
                let xg = &xs[i * x_n + g * xg_len..][..xg_len];
                im2col(xg, p, 0, op, &mut col[i * op..], cols);
            }
            let wg = Mat::rows(
                &w[g * cout_g * patch..(g + 1) * cout_g * patch],
                cout_g,
                patch,
                patch,
            );
            gemm(
                tmp,
                cols,
                false,
                wg,
                Mat::rows(&*col, patch, cols, cols),
                inner,
            );
            scatter_planes(tmp, ys, (g, cout_g, p.out_channels, op));
        }
    });
}

fn forward_sample<T: ConvElement>(xs: &[T], w: &[T], p: &ConvParams, ys: &mut [T], inner: usize) {
    let (patch, cout_g, op) = (p.patch(), p.cout_g(), p.out_plane());
    let xg_len = p.cin_g() * p.in_plane();
    for g in 0..p.groups {
        let xg = &xs[g * xg_len..(g + 1) * xg_len];
        let wg = Mat::rows(
            &w[g * cout_g * patch..(g + 1) * cout_g * patch],
            cout_g,
            patch,
            patch,
        );
        let yg = &mut ys[g * cout_g * op..(g + 1) * cout_g * op];
        if col_is_input(p) {
            gemm(
                yg,
                op,
                false,
                wg,
                Mat::rows(xg, patch, op, p.in_plane()),
                inner,
            );
            continue;
        }
        let tile = tile_cols::<T>(p);
        with_scratch(patch * tile, |buf: &mut [T]| {
            for p0 in (0..op).step_by(tile) {
                let p1 = op.min(p0 + tile);
                let col = &mut buf[..patch * (p1 - p0)];
                im2col(xg, p, p0, p1, col, p1 - p0);
                let colm = Mat::rows(&*col, patch, p1 - p0, p1 - p0);
                gemm(&mut yg[p0..], op, false, wg, colm, inner);
            }
        });
    }
}

/// Gradient of the forward convolution with respect to its input: `dx` from `dy` and `w`.
pub fn backward_data<T: ConvElement>(dy: &[T], w: &[T], p: &ConvParams, dx: &mut [T]) {
    check_lengths(p, dx.len(), w.len(), dy.len());
    let (x_n, y_n) = (p.in_channels * p.in_plane(), p.out_channels * p.out_plane());
    let per = samples_per_tile::<T>(p);
    over_samples(p, per, (dx, x_n), (dy, y_n), |dxs, dys, inner| {
        if per == 1 {
            backward_data_sample(dys, w, p, dxs, inner);
        } else {
            backward_data_samples(dys, w, p, dxs, inner);
        }
    });
}

/// [`backward_data`] of a chunk of samples whose planes share one tile.
fn backward_data_samples<T: ConvElement>(
    dys: &[T],
    w: &[T],
    p: &ConvParams,
    dxs: &mut [T],
    inner: usize,
) {
    let (patch, cout_g, op) = (p.patch(), p.cout_g(), p.out_plane());
    let (x_n, xg_len) = (p.in_channels * p.in_plane(), p.cin_g() * p.in_plane());
    let samples = dxs.len() / x_n;
    let cols = samples * op;
    dxs.fill(T::ZERO);
    with_scratch(patch * cols + cout_g * cols, |buf: &mut [T]| {
        let (dcol, tmp) = buf.split_at_mut(patch * cols);
        for g in 0..p.groups {
            gather_planes(dys, tmp, (g, cout_g, p.out_channels, op));
            let wgt = Mat::rows(
                &w[g * cout_g * patch..(g + 1) * cout_g * patch],
                cout_g,
                patch,
                patch,
            )
            .t();
            gemm(
                dcol,
                cols,
                false,
                wgt,
                Mat::rows(&*tmp, cout_g, cols, cols),
                inner,
            );
            for i in 0..samples {
                let dxg = &mut dxs[i * x_n + g * xg_len..][..xg_len];
                col2im(&dcol[i * op..], p, 0, op, dxg, cols);
            }
        }
    });
}
fn backward_data_sample<T: ConvElement>(
    dys: &[T],
    w: &[T],
    p: &ConvParams,
    dxs: &mut [T],
    inner: usize,
) {
    let (patch, cout_g, op) = (p.patch(), p.cout_g(), p.out_plane());
    let xg_len = p.cin_g() * p.in_plane();
    for g in 0..p.groups {
        let dxg = &mut dxs[g * xg_len..(g + 1) * xg_len];
        let wgt = Mat::rows(
            &w[g * cout_g * patch..(g + 1) * cout_g * patch],
            cout_g,
            patch,
            patch,
        )
        .t();
        let dyg = &dys[g * cout_g * op..(g + 1) * cout_g * op];
        if col_is_input(p) {
            gemm(
                dxg,
                p.in_plane(),
                false,
                wgt,
                Mat::rows(dyg, cout_g, op, op),
                inner,
            );
            continue;
        }
        dxg.fill(T::ZERO);
        if op == 0 {
            continue;
        }
        let tile = tile_cols::<T>(p);
        with_scratch(patch * tile, |buf: &mut [T]| {
            for p0 in (0..op).step_by(tile) {
                let p1 = op.min(p0 + tile);
                let dcol = &mut buf[..patch * (p1 - p0)];
                let dyt = Mat::rows(&dyg[p0..], cout_g, p1 - p0, op);
                gemm(dcol, p1 - p0, false, wgt, dyt, inner);
                col2im(dcol, p, p0, p1, dxg, p1 - p0);
            }
        });
    }
}

/// Gradient of the forward convolution with respect to its weight: `dw` from `dy` and `x`.
pub fn backward_weight<T: ConvElement>(dy: &[T], x: &[T], p: &ConvParams, dw: &mut [T]) {
    check_lengths(p, x.len(), dw.len(), dy.len());
    dw.fill(T::ZERO);
    if p.batch == 0 || p.out_plane() == 0 {
        return;
    }
    let per = samples_per_tile::<T>(p);
    match plan(p, per) {
        (true, inner) => {
            let chunks = threads::current_threads().min(p.batch.div_ceil(per));
            // Whole tiles per thread, so that each thread's GEMMs see full tiles.
            let per_chunk = p.batch.div_ceil(per).div_ceil(chunks) * per;
            let partials: Vec<Vec<T>> = (0..chunks)
                .into_par_iter()
                .map(|c| {
                    let mut part = vec![T::ZERO; dw.len()];
                    let range = (c * per_chunk).min(p.batch)..p.batch.min((c + 1) * per_chunk);
                    backward_weight_samples(dy, x, p, range, per, &mut part, inner);
                    part
                })
                .collect();
            for part in partials {
                dw.iter_mut().zip(part).for_each(|(d, v)| *d = *d + v);
            }
        }
        (false, inner) => backward_weight_samples(dy, x, p, 0..p.batch, per, dw, inner),
    }
}

/// Adds the weight gradient of `samples` to `dw`, `per` samples per tile.
fn backward_weight_samples<T: ConvElement>(
    dy: &[T],
    x: &[T],
    p: &ConvParams,
    samples: std::ops::Range<usize>,
    per: usize,
    dw: &mut [T],
    inner: usize,
) {
    let (patch, cout_g, op) = (p.patch(), p.cout_g(), p.out_plane());
    let (x_n, y_n) = (p.in_channels * p.in_plane(), p.out_channels * p.out_plane());
    let xg_len = p.cin_g() * p.in_plane();
    if per > 1 {
        let cols = per * op;
        with_scratch(patch * cols + cout_g * cols, |buf: &mut [T]| {
            let (col, tmp) = buf.split_at_mut(patch * cols);
            for n0 in samples.clone().step_by(per) {
                let n1 = samples.end.min(n0 + per);
                let cols = (n1 - n0) * op;
                for g in 0..p.groups {
                    for i in n0..n1 {
                        let xg = &x[i * x_n + g * xg_len..][..xg_len];
                        im2col(xg, p, 0, op, &mut col[(i - n0) * op..], cols);
                    }
                    gather_planes(
                        &dy[n0 * y_n..n1 * y_n],
                        tmp,
                        (g, cout_g, p.out_channels, op),
                    );
                    let dwg = &mut dw[g * cout_g * patch..(g + 1) * cout_g * patch];
                    let dym = Mat::rows(&*tmp, cout_g, cols, cols);
                    gemm(
                        dwg,
                        patch,
                        true,
                        dym,
                        Mat::rows(&*col, patch, cols, cols).t(),
                        inner,
                    );
                }
            }
        });
        return;
    }
    let tile = tile_cols::<T>(p);
    with_scratch(patch * tile, |buf: &mut [T]| {
        for n in samples {
            for g in 0..p.groups {
                let xg = &x[n * x_n + g * xg_len..n * x_n + (g + 1) * xg_len];
                let dyg = &dy[n * y_n + g * cout_g * op..n * y_n + (g + 1) * cout_g * op];
                let dwg = &mut dw[g * cout_g * patch..(g + 1) * cout_g * patch];
                if col_is_input(p) {
                    let xt = Mat::rows(xg, patch, op, p.in_plane()).t();
                    gemm(dwg, patch, true, Mat::rows(dyg, cout_g, op, op), xt, inner);
                    continue;
                }
                for p0 in (0..op).step_by(tile) {
                    let p1 = op.min(p0 + tile);
                    let col = &mut buf[..patch * (p1 - p0)];
                    im2col(xg, p, p0, p1, col, p1 - p0);
                    let colt = Mat::rows(&*col, patch, p1 - p0, p1 - p0).t();
                    let dyt = Mat::rows(&dyg[p0..], cout_g, p1 - p0, op);
                    gemm(dwg, patch, true, dyt, colt, inner);
                }
            }
        }
    });
}

/// `y[n, c, ...] += bias[c]` for a contiguous `(N, len(bias), plane)` array.
pub fn add_channel_bias<T: GemmElement>(y: &mut [T], bias: &[T], plane: usize) {
    if plane == 0 {
        return;
    }
    for (i, yc) in y.chunks_exact_mut(plane).enumerate() {
        let b = bias[i % bias.len()];
        yc.iter_mut().for_each(|v| *v = *v + b);
    }
}

/// Gradient of the bias: `db[c] = sum over samples and positions of dy[n, c, ...]`.
pub fn bias_grad<T: GemmElement>(dy: &[T], batch: usize, channels: usize, db: &mut [T]) {
    assert_eq!(db.len(), channels, "bias_grad: length");
    db.fill(T::ZERO);
    if batch == 0 || channels == 0 {
        return;
    }
    let plane = dy.len() / (batch * channels);
    assert_eq!(dy.len(), batch * channels * plane, "bias_grad: dy length");
    for sample in dy.chunks_exact(channels * plane.max(1)).take(batch) {
        for (d, c) in db.iter_mut().zip(sample.chunks_exact(plane.max(1))) {
            *d = *d + sum(c);
        }
    }
}

/// A sum with eight running partial sums (vectorises, and loses less to rounding than one).
pub fn sum<T: GemmElement>(v: &[T]) -> T {
    let mut acc = [T::ZERO; 8];
    let chunks = v.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a = *a + x;
        }
    }
    let head = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    rest.iter().fold(head, |s, &x| s + x)
}
