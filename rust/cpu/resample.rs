//! Resampling kernels with torch's `interpolate` semantics, forward and backward: nearest,
//! nearest-exact, linear / bilinear (with or without `align_corners`) and bed of nails
//! (zero-insertion upsampling).
//!
//! Planes as in [`crate::cpu::pool`]: 1-D resampling is a plane of height 1 whose height axis is
//! left alone (`two_d = false`). Each axis gets a table of source indices and weights, computed
//! as torch computes them ([`nearest_table`], [`linear_table`]); 2-D linear is separable, with
//! each output row blending two horizontally interpolated input rows, in torch's order.

use crate::cpu::pool::Planes;
use crate::cpu::threads;
use crate::element::Real;
use crate::error::{value_error, Result};
use rayon::prelude::*;

/// The interpolation of `interpolate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interp {
    /// torch's 'nearest': source `floor(dst * scale)`.
    Nearest,
    /// torch's 'nearest-exact': source `floor((dst + 0.5) * scale)`.
    NearestExact,
    /// torch's 'linear' / 'bilinear'.
    Linear {
        /// Map the corner samples onto each other instead of the corner areas.
        align_corners: bool,
    },
    /// Zero insertion: output `o` is input `o / f` where `f` divides `o`, zero elsewhere; the
    /// output length must be a multiple `f` of the input length.
    BedOfNails,
}

/// One axis of a resampling: lengths and the user's scale factor (torch uses `1 / scale` when one
/// was given, else `n_in / n_out`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResampleAxis {
    /// Input length.
    pub n_in: usize,
    /// Output length.
    pub n_out: usize,
    /// The scale factor given by the user, if any.
    pub scale: Option<f64>,
}

/// torch's `compute_scales_value`: `1 / scale` where a positive scale was given, else
/// `n_in / n_out`, in `T`.
fn scale_value<T: Real>(ax: &ResampleAxis) -> T {
    match ax.scale {
        Some(s) if s > 0.0 => T::from(1.0 / s).unwrap(),
        _ => T::from(ax.n_in).unwrap() / T::from(ax.n_out).unwrap(),
    }
}

/// Source index of every output sample for `Nearest` (or `NearestExact` with `exact`), in
/// float32 as torch computes it.
pub fn nearest_table(ax: &ResampleAxis, exact: bool) -> Vec<usize> {
    let last = ax.n_in.saturating_sub(1);
    if !exact && ax.n_out == ax.n_in {
        return (0..ax.n_out).collect();
    }
    if !exact && ax.n_out == 2 * ax.n_in {
        return (0..ax.n_out).map(|o| o >> 1).collect();
    }
    let scale: f32 = scale_value(ax);
    (0..ax.n_out)
        .map(|o| {
            let pos = if exact {
                (o as f32 + 0.5) * scale
            } else {
                o as f32 * scale
            };
            (pos.floor().max(0.0) as usize).min(last)
        })
        .collect()
}

/// The two source samples and weights of every output sample for linear interpolation.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearTable<T> {
    /// First source index.
    pub i0: Vec<usize>,
    /// Second source index (`i0 + 1`, or `i0` at the last sample).
    pub i1: Vec<usize>,
    /// Weight of `i0`.
    pub w0: Vec<T>,
    /// Weight of `i1`.
    pub w1: Vec<T>,
}

/// torch's linear indices and weights (`area_pixel_compute_source_index`, computed in `T`):
/// with `align_corners` the source is `dst (n_in - 1) / (n_out - 1)`, else
/// `max(0, scale (dst + 0.5) - 0.5)`.
pub fn linear_table<T: Real>(ax: &ResampleAxis, align_corners: bool) -> LinearTable<T> {
    let scale: T = if align_corners {
        if ax.n_out > 1 {
            T::from(ax.n_in - 1).unwrap() / T::from(ax.n_out - 1).unwrap()
        } else {
            T::zero()
        }
    } else {
        scale_value(ax)
    };
    let half = T::from(0.5).unwrap();
    let mut t = LinearTable {
        i0: Vec::with_capacity(ax.n_out),
        i1: Vec::with_capacity(ax.n_out),
        w0: Vec::with_capacity(ax.n_out),
        w1: Vec::with_capacity(ax.n_out),
    };
    let last = ax.n_in.saturating_sub(1);
    for o in 0..ax.n_out {
        let d = T::from(o).unwrap();
        let src = if align_corners {
            scale * d
        } else {
            (scale * (d + half) - half).max(T::zero())
        };
        let i0 = (src.floor().to_usize().unwrap_or(0)).min(last);
        let lambda = (src - T::from(i0).unwrap()).max(T::zero()).min(T::one());
        t.i0.push(i0);
        t.i1.push(if i0 < last { i0 + 1 } else { i0 });
        t.w0.push(T::one() - lambda);
        t.w1.push(lambda);
    }
    t
}

fn check_len(what: &str, got: usize, want: usize) -> Result<()> {
    if got != want {
        return value_error!("{what} holds {got} samples where {want} are needed");
    }
    Ok(())
}

fn factor(ax: &ResampleAxis) -> Result<usize> {
    if ax.n_in == 0 || !ax.n_out.is_multiple_of(ax.n_in) {
        return value_error!(
            "bed_of_nails needs an output size that is a whole multiple of the input size; got \
             {} from {}",
            ax.n_out,
            ax.n_in
        );
    }
    Ok(ax.n_out / ax.n_in)
}

/// Runs `f(plane, chunk)` over whole planes of `out` (threads when `work` pays).
fn for_planes<T: Send>(
    out: &mut [T],
    plane_len: usize,
    work: usize,
    f: impl Fn(usize, &mut [T]) + Sync,
) {
    if out.is_empty() || plane_len == 0 {
        return;
    }
    if !threads::parallel(work) || out.len() / plane_len < 2 {
        return out
            .chunks_mut(plane_len)
            .enumerate()
            .for_each(|(p, c)| f(p, c));
    }
    out.par_chunks_mut(plane_len)
        .enumerate()
        .for_each(|(p, c)| f(p, c));
}

/// `row[o] = src[i0[o]] w0[o] + src[i1[o]] w1[o]`.
#[inline]
fn lerp_row<T: Real>(src: &[T], t: &LinearTable<T>, row: &mut [T]) {
    for (o, r) in row.iter_mut().enumerate() {
        *r = src[t.i0[o]] * t.w0[o] + src[t.i1[o]] * t.w1[o];
    }
}

/// Resamples each `h x w` plane of `x` to `hy.n_out x wx.n_out` (`hy` ignored unless `two_d`).
pub fn interpolate<T: Real>(
    x: &[T],
    planes: Planes,
    hy: ResampleAxis,
    wx: ResampleAxis,
    mode: Interp,
    two_d: bool,
    out: &mut [T],
) -> Result<()> {
    check_len("input", x.len(), planes.len())?;
    let hy = if two_d {
        hy
    } else {
        ResampleAxis {
            n_in: planes.h,
            n_out: planes.h,
            scale: None,
        }
    };
    if hy.n_in != planes.h || wx.n_in != planes.w {
        return value_error!("the axes' input lengths do not match the planes");
    }
    let (h, w, oh, ow) = (planes.h, planes.w, hy.n_out, wx.n_out);
    check_len("output", out.len(), planes.count * oh * ow)?;
    if (h == 0 || w == 0) && !out.is_empty() {
        return value_error!("interpolate needs a non-empty input plane; got {h} x {w}");
    }
    let work = out.len() * 4;
    match mode {
        Interp::Nearest | Interp::NearestExact => {
            let exact = mode == Interp::NearestExact;
            let (sy, sx) = (nearest_table(&hy, exact), nearest_table(&wx, exact));
            threads::for_rows(out, ow, work, |first, chunk| {
                for (r, orow) in chunk.chunks_mut(ow).enumerate() {
                    let (plane, oy) = ((first + r) / oh, (first + r) % oh);
                    let src = &x[(plane * h + sy[oy]) * w..][..w];
                    for (o, &s) in orow.iter_mut().zip(&sx) {
                        *o = src[s];
                    }
                }
            });
        }
        Interp::BedOfNails => {
            let (fy, fx) = (factor(&hy)?, factor(&wx)?);
            threads::for_rows(out, ow, work, |first, chunk| {
                for (r, orow) in chunk.chunks_mut(ow).enumerate() {
                    let (plane, oy) = ((first + r) / oh, (first + r) % oh);
                    orow.fill(T::zero());
                    if oy.is_multiple_of(fy) {
                        let src = &x[(plane * h + oy / fy) * w..][..w];
                        for (o, &v) in orow.iter_mut().step_by(fx).zip(src) {
                            *o = v;
                        }
                    }
                }
            });
        }
        Interp::Linear { align_corners } => {
            let tx = linear_table::<T>(&wx, align_corners);
            if !two_d {
                threads::for_rows(out, ow, work, |first, chunk| {
                    for (r, orow) in chunk.chunks_mut(ow).enumerate() {
                        lerp_row(&x[(first + r) * w..][..w], &tx, orow);
                    }
                });
                return Ok(());
            }
            let ty = linear_table::<T>(&hy, align_corners);
            threads::for_rows(out, ow, work, |first, chunk| {
                // The two horizontally interpolated input rows, kept while consecutive output
                // rows read them: (plane, input row) and the row.
                let mut cache: [(usize, Vec<T>); 2] = [
                    (usize::MAX, vec![T::zero(); ow]),
                    (usize::MAX, vec![T::zero(); ow]),
                ];
                for (r, orow) in chunk.chunks_mut(ow).enumerate() {
                    let (plane, oy) = ((first + r) / oh, (first + r) % oh);
                    let keys = [plane * h + ty.i0[oy], plane * h + ty.i1[oy]];
                    if cache[0].0 != keys[0] && cache[1].0 == keys[0] {
                        cache.swap(0, 1);
                    }
                    for (slot, &key) in keys.iter().enumerate() {
                        if cache[slot].0 != key {
                            lerp_row(&x[key * w..][..w], &tx, &mut cache[slot].1);
                            cache[slot].0 = key;
                        }
                    }
                    let (a, b) = (ty.w0[oy], ty.w1[oy]);
                    for ((o, &r0), &r1) in orow.iter_mut().zip(&cache[0].1).zip(&cache[1].1) {
                        *o = r0 * a + r1 * b;
                    }
                }
            });
        }
    }
    Ok(())
}

/// Gradient of [`interpolate`]: each output gradient is added back to the input samples it was
/// taken from, with the same weights. `grad_input` has the planes of the input.
pub fn interpolate_backward<T: Real>(
    grad_output: &[T],
    input: Planes,
    hy: ResampleAxis,
    wx: ResampleAxis,
    mode: Interp,
    two_d: bool,
    grad_input: &mut [T],
) -> Result<()> {
    check_len("grad_input", grad_input.len(), input.len())?;
    let hy = if two_d {
        hy
    } else {
        ResampleAxis {
            n_in: input.h,
            n_out: input.h,
            scale: None,
        }
    };
    if hy.n_in != input.h || wx.n_in != input.w {
        return value_error!("the axes' input lengths do not match the planes");
    }
    let (h, w, oh, ow) = (input.h, input.w, hy.n_out, wx.n_out);
    check_len("grad_output", grad_output.len(), input.count * oh * ow)?;
    let work = grad_output.len() * 4;
    let go_plane = |p: usize| &grad_output[p * oh * ow..(p + 1) * oh * ow];
    match mode {
        Interp::Nearest | Interp::NearestExact => {
            let exact = mode == Interp::NearestExact;
            let (sy, sx) = (nearest_table(&hy, exact), nearest_table(&wx, exact));
            for_planes(grad_input, h * w, work, |p, gi| {
                gi.fill(T::zero());
                for (oy, grow) in go_plane(p).chunks(ow).enumerate() {
                    let dst = &mut gi[sy[oy] * w..][..w];
                    for (&g, &s) in grow.iter().zip(&sx) {
                        dst[s] = dst[s] + g;
                    }
                }
            });
        }
        Interp::BedOfNails => {
            let (fy, fx) = (factor(&hy)?, factor(&wx)?);
            for_planes(grad_input, h * w, work, |p, gi| {
                let go = go_plane(p);
                for (iy, dst) in gi.chunks_mut(w).enumerate() {
                    let grow = &go[iy * fy * ow..][..ow];
                    for (d, &g) in dst.iter_mut().zip(grow.iter().step_by(fx)) {
                        *d = g;
                    }
                }
            });
        }
        Interp::Linear { align_corners } => {
            let tx = linear_table::<T>(&wx, align_corners);
            let ty = if two_d {
                linear_table::<T>(&hy, align_corners)
            } else {
                LinearTable {
                    i0: vec![0],
                    i1: vec![0],
                    w0: vec![T::one()],
                    w1: vec![T::zero()],
                }
            };
            for_planes(grad_input, h * w, work, |p, gi| {
                gi.fill(T::zero());
                for (oy, grow) in go_plane(p).chunks(ow).enumerate() {
                    let (y0, y1) = (ty.i0[oy], ty.i1[oy]);
                    for (ox, &g) in grow.iter().enumerate() {
                        let (x0, x1) = (tx.i0[ox], tx.i1[ox]);
                        let (a, b) = (tx.w0[ox], tx.w1[ox]);
                        if two_d {
                            let (c, d) = (ty.w0[oy], ty.w1[oy]);
                            gi[y0 * w + x0] = gi[y0 * w + x0] + c * a * g;
                            gi[y0 * w + x1] = gi[y0 * w + x1] + c * b * g;
                            gi[y1 * w + x0] = gi[y1 * w + x0] + d * a * g;
                            gi[y1 * w + x1] = gi[y1 * w + x1] + d * b * g;
                        } else {
                            gi[x0] = gi[x0] + a * g;
                            gi[x1] = gi[x1] + b * g;
                        }
                    }
                }
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_tables_match_torch() {
        let ax = |n_in, n_out, scale| ResampleAxis { n_in, n_out, scale };
        // torch.nn.functional.interpolate(torch.arange(5.)[None, None], size=3).flatten()
        //   -> [0, 1, 3]
        assert_eq!(nearest_table(&ax(5, 3, None), false), vec![0, 1, 3]);
        assert_eq!(
            nearest_table(&ax(3, 6, None), false),
            vec![0, 0, 1, 1, 2, 2]
        );
        // mode='nearest-exact', size=3 -> [0, 2, 4]
        assert_eq!(nearest_table(&ax(5, 3, None), true), vec![0, 2, 4]);
    }

    #[test]
    fn linear_tables_match_torch() {
        let ax = ResampleAxis {
            n_in: 2,
            n_out: 4,
            scale: None,
        };
        // source positions 0 (clamped), 0.25, 0.75, 1.25: the last reads sample 1 twice
        let t = linear_table::<f64>(&ax, false);
        assert_eq!(t.i0, vec![0, 0, 0, 1]);
        assert_eq!(t.w1, vec![0.0, 0.25, 0.75, 0.25]);
        let t = linear_table::<f64>(&ax, true);
        assert_eq!(t.i0, vec![0, 0, 0, 1]);
        assert!((t.w1[1] - 1.0 / 3.0).abs() < 1e-15);
    }
}
