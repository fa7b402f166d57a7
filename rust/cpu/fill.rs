//! Filling lost samples by normalized convolution, iterated from the rims of the holes inward.
//!
//! A lost sample `p` gets the weighted mean of the valid samples its window reads:
//!
//! ```text
//! value[p] = sum_m w[m] * valid(q_m) * x[q_m]  /  sum_m w[m] * valid(q_m),   q_m = ext(p + start + m)
//! ```
//!
//! (the two sums of normalized convolution), where `ext` applies the boundary rule: a fill boundary
//! reads nothing (outside the array counts as lost), the others read the sample they map to, valid or
//! not. A sample whose window holds no valid sample (denominator 0) waits for a later pass. Each pass
//! reads only the state left by the previous one (Jacobi order), so the result does not depend on the
//! order of evaluation or on the threads; passes repeat until every sample is filled, a pass fills
//! nothing, or `max_iter` passes have run. Valid samples are never written.
//!
//! Work is proportional to the lost samples, not to the array: the first pass evaluates every lost
//! sample; a later pass only those within reach of a sample the previous pass filled (a window box
//! around each; boundary reflections and clamps never reach farther than the box, wrap is followed
//! around), or all remaining lost samples from one scan of the mask when that is cheaper. Passes are
//! threaded with rayon over chunks of the samples they evaluate.

use crate::cpu::direct::{correlate_into, DirectElement};
use crate::cpu::threads;
use crate::element::Real;
use crate::error::{value_error, Result};
use crate::params::Boundary;
use ndarray::{ArrayViewD, IxDyn};
use rayon::prelude::*;

/// Element types filling runs on.
pub trait FillElement: Real + DirectElement {}
impl FillElement for f32 {}
impl FillElement for f64 {}

/// How the first pass evaluates the two sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstPass {
    /// By the cost model: whole-array correlations when lost samples are many and the window large.
    Auto,
    /// Two whole-array SIMD correlations ([`correlate_into`]; per axis when the weights are
    /// separable), read at the lost samples.
    Dense,
    /// The sums at each lost sample, like later passes.
    Sparse,
}

/// State of a sample during filling.
const VALID: u8 = 0;
const LOST: u8 = 1;
/// Lost, and already in the list of samples the next pass evaluates.
const QUEUED: u8 = 2;

/// What [`fill_missing`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FillReport {
    /// Passes run.
    pub iterations: usize,
    /// Lost samples left unfilled (set to NaN).
    pub remaining: usize,
}

/// Geometry of the window: the nonzero taps, where they read relative to the sample, the boundary.
struct Window<T> {
    shape: Vec<usize>,
    strides: Vec<usize>,
    /// Per nonzero tap: its weight and its offset on each axis (`start[d] + m[d]`), for samples near
    /// the edges.
    weights: Vec<T>,
    offsets: Vec<Vec<isize>>,
    /// The kernel as rows along the last axis (zero taps included): each row's flat offset, and the
    /// taps of all rows, `kw` per row. Samples whose window lies inside read these rows in place.
    row_flat: Vec<isize>,
    row_taps: Vec<T>,
    kw: usize,
    /// Per axis: the range of offsets `lo ..= hi` the taps read.
    lo: Vec<isize>,
    hi: Vec<isize>,
    boundary: Boundary<T>,
}

impl<T: Real> Window<T> {
    fn new(
        shape: &[usize],
        weights: &[T],
        k_shape: &[usize],
        start: &[isize],
        boundary: Boundary<T>,
    ) -> Self {
        let ndim = shape.len();
        let mut strides = vec![1usize; ndim];
        for d in (0..ndim.saturating_sub(1)).rev() {
            strides[d] = strides[d + 1] * shape[d + 1];
        }
        let (mut w, mut offsets) = (Vec::new(), Vec::new());
        for (t, &wt) in weights.iter().enumerate() {
            if wt == T::ZERO {
                continue;
            }
            let mut rest = t;
            let mut off = vec![0isize; ndim];
            for d in (0..ndim).rev() {
                off[d] = start[d] + (rest % k_shape[d]) as isize;
                rest /= k_shape[d];
            }
            offsets.push(off);
            w.push(wt);
        }
        let kw = k_shape[ndim - 1];
        let row_flat = (0..weights.len() / kw.max(1))
            .map(|r| {
                let mut rest = r;
                let mut off = start[ndim - 1] * strides[ndim - 1] as isize;
                for d in (0..ndim - 1).rev() {
                    off += (start[d] + (rest % k_shape[d]) as isize) * strides[d] as isize;
                    rest /= k_shape[d];
                }
                off
            })
            .collect();
        // The interior test uses the reach of every tap, zero or not, since rows read them all.
        let lo = (0..ndim).map(|d| start[d]).collect();
        let hi = (0..ndim)
            .map(|d| start[d] + k_shape[d] as isize - 1)
            .collect();
        Window {
            shape: shape.to_vec(),
            strides,
            weights: w,
            offsets,
            row_flat,
            row_taps: weights.to_vec(),
            kw,
            lo,
            hi,
            boundary,
        }
    }

    fn coords(&self, mut p: usize, out: &mut [usize]) {
        for d in (0..self.shape.len()).rev() {
            out[d] = p % self.shape[d];
            p /= self.shape[d];
        }
    }

    /// The weighted mean of the valid samples in the window of `p`, or `None` when there are none.
    /// `values` holds 0 at lost samples and `valid` 1 at valid ones, 0 elsewhere.
    fn evaluate(&self, p: usize, buf: &Buffers<T>, coords: &mut [usize]) -> Option<T> {
        self.coords(p, coords);
        let inside = (0..coords.len()).all(|d| {
            let c = coords[d] as isize;
            c + self.lo[d] >= 0 && c + self.hi[d] < self.shape[d] as isize
        });
        let (mut num, mut den) = (T::ZERO, T::ZERO);
        if inside {
            // Branch-free rows in place: a lost sample adds w * 0 to both sums.
            for (&f, taps) in self
                .row_flat
                .iter()
                .zip(self.row_taps.chunks_exact(self.kw))
            {
                let q = (p as isize + f) as usize;
                let (vals, valid) = (&buf.values[q..q + self.kw], &buf.valid[q..q + self.kw]);
                for ((&w, &v), &m) in taps.iter().zip(vals).zip(valid) {
                    num = num + w * v;
                    den = den + w * m;
                }
            }
        } else {
            'taps: for (&w, off) in self.weights.iter().zip(&self.offsets) {
                let mut q = 0;
                for d in 0..coords.len() {
                    match self
                        .boundary
                        .source_index(coords[d] as isize + off[d], self.shape[d])
                    {
                        Some(s) => q += s * self.strides[d],
                        None => continue 'taps,
                    }
                }
                num = num + w * buf.values[q];
                den = den + w * buf.valid[q];
            }
        }
        (den > T::ZERO).then(|| num / den)
    }

    /// Appends to `out` every lost sample whose window may read `f` (a superset: the box of the
    /// window's reach around `f`), marking each QUEUED so that it is listed once.
    fn queue_neighbours(
        &self,
        f: usize,
        state: &mut [u8],
        out: &mut Vec<usize>,
        scratch: &mut Scratch,
    ) {
        let ndim = self.shape.len();
        self.coords(f, &mut scratch.centre);
        // Samples p with |p - f| <= reach on each axis: reflections and clamps only shorten the
        // distance from p to what it reads; wrap is followed around the axis.
        for d in 0..ndim {
            let reach = self.lo[d].abs().max(self.hi[d].abs());
            scratch.ranges[d] = (-reach, reach);
            scratch.index[d] = -reach;
        }
        let wrap = matches!(self.boundary, Boundary::Wrap);
        let last = ndim - 1;
        let (n_last, c_last) = (self.shape[last] as isize, scratch.centre[last] as isize);
        let (r0, r1) = scratch.ranges[last];
        'rows: loop {
            // the row of the box: every axis but the last
            let mut base = 0usize;
            let mut ok = true;
            for d in 0..last {
                let n = self.shape[d] as isize;
                let mut c = scratch.centre[d] as isize + scratch.index[d];
                if wrap {
                    c = c.rem_euclid(n);
                } else if c < 0 || c >= n {
                    ok = false;
                    break;
                }
                base += c as usize * self.strides[d];
            }
            if ok {
                let mut visit = |c: isize| {
                    let q = base + c as usize;
                    if state[q] == LOST {
                        state[q] = QUEUED;
                        out.push(q);
                    }
                };
                if wrap && (c_last + r0 < 0 || c_last + r1 >= n_last) {
                    for c in c_last + r0..=c_last + r1 {
                        visit(c.rem_euclid(n_last));
                    }
                } else {
                    for c in (c_last + r0).max(0)..=(c_last + r1).min(n_last - 1) {
                        visit(c);
                    }
                }
            }
            // next row of the box
            for d in (0..last).rev() {
                scratch.index[d] += 1;
                if scratch.index[d] <= scratch.ranges[d].1 {
                    continue 'rows;
                }
                scratch.index[d] = scratch.ranges[d].0;
            }
            break;
        }
    }

    fn box_len(&self) -> usize {
        (0..self.shape.len())
            .map(|d| 2 * self.lo[d].abs().max(self.hi[d].abs()) as usize + 1)
            .product()
    }
}

struct Scratch {
    centre: Vec<usize>,
    index: Vec<isize>,
    ranges: Vec<(isize, isize)>,
}

/// The arrays a pass reads: values with 0 at lost samples, validity as 0/1, and each sample's state.
struct Buffers<'a, T> {
    values: &'a mut [T],
    valid: Vec<T>,
    state: Vec<u8>,
}

/// Fills the samples of `values` (row-major, `shape`) where `lost` is true, in place, by iterated
/// normalized convolution with `weights` (row-major, `k_shape`), tap `m` reading `p + start + m`
/// through `boundary` (see the module doc). Samples still lost at the end are set to NaN.
///
/// `factors`: when the weights are separable, one factor per axis whose outer product is `weights`;
/// a dense first pass then correlates axis by axis. `max_iter`: the most passes (`None`: until done).
/// Errors for mismatched shapes, or weights that are negative, not finite, or all zero.
#[allow(clippy::too_many_arguments)]
pub fn fill_missing<T: FillElement>(
    values: &mut [T],
    lost: &[bool],
    shape: &[usize],
    weights: &[T],
    k_shape: &[usize],
    start: &[isize],
    factors: Option<&[Vec<T>]>,
    boundary: Boundary<T>,
    max_iter: Option<usize>,
    first_pass: FirstPass,
) -> Result<FillReport> {
    let n: usize = shape.iter().product();
    if values.len() != n || lost.len() != n {
        return value_error!(
            "values and mask must both have {n} samples (shape {shape:?}); got {} and {}",
            values.len(),
            lost.len()
        );
    }
    if k_shape.len() != shape.len() || start.len() != shape.len() || shape.is_empty() {
        return value_error!(
            "weights and start need one entry per axis ({}); got {} and {}",
            shape.len(),
            k_shape.len(),
            start.len()
        );
    }
    if weights.len() != k_shape.iter().product::<usize>() || weights.is_empty() {
        return value_error!("weights do not fill their shape {k_shape:?}");
    }
    if weights.iter().any(|w| !w.is_finite() || *w < T::ZERO) {
        return value_error!("weights must be finite and non-negative");
    }
    if !weights.iter().any(|w| *w > T::ZERO) {
        return value_error!("weights must have at least one positive entry");
    }
    if let Some(f) = factors {
        if f.len() != k_shape.len() || f.iter().zip(k_shape).any(|(f, &k)| f.len() != k) {
            return value_error!("separable factors must have the lengths {k_shape:?}");
        }
    }
    // The lost samples, listed without a branch per sample (a mask of scattered losses would
    // mispredict every tenth one): write every index, advance over the lost ones.
    let mut candidates: Vec<usize> = vec![0; n + 1];
    let mut count = 0;
    for (p, &l) in lost.iter().enumerate() {
        candidates[count] = p;
        count += l as usize;
    }
    candidates.truncate(count);
    candidates.shrink_to_fit();
    let mut remaining = candidates.len();
    let mut iterations = 0;
    if remaining == 0 {
        return Ok(FillReport {
            iterations,
            remaining,
        });
    }
    let mut buf = Buffers {
        valid: lost
            .iter()
            .map(|&l| if l { T::ZERO } else { T::one() })
            .collect(),
        state: lost.iter().map(|&l| if l { LOST } else { VALID }).collect(),
        values,
    };
    for &p in &candidates {
        buf.values[p] = T::ZERO;
    }
    let window = Window::new(shape, weights, k_shape, start, boundary);
    let box_len = window.box_len();
    let mut scratch = Scratch {
        centre: vec![0; shape.len()],
        index: vec![0; shape.len()],
        ranges: vec![(0, 0); shape.len()],
    };
    let dense = match first_pass {
        FirstPass::Dense => true,
        FirstPass::Sparse => false,
        FirstPass::Auto => {
            // Per sample: the sparse pass does two multiply-adds per tap at each lost sample; the
            // dense one two SIMD correlations of the whole array (about 8 multiply-adds per
            // instruction) plus a few passes over memory.
            let taps = match factors {
                Some(f) => f.iter().map(Vec::len).sum::<usize>(),
                None => weights.len(),
            };
            2 * remaining * weights.len() > n * (6 + taps / 4)
        }
    };
    while remaining > 0 && !candidates.is_empty() && max_iter.is_none_or(|m| iterations < m) {
        let filled = if dense && iterations == 0 {
            dense_pass(
                &buf,
                shape,
                weights,
                k_shape,
                start,
                factors,
                boundary,
                &candidates,
            )
        } else {
            evaluate_all(&window, &candidates, &buf)
        };
        if filled.is_empty() {
            break;
        }
        iterations += 1;
        for &(p, v) in &filled {
            buf.values[p] = v;
            buf.valid[p] = T::one();
            buf.state[p] = VALID;
        }
        remaining -= filled.len();
        candidates.clear();
        if remaining == 0 {
            break;
        }
        if filled.len().saturating_mul(box_len) >= n / 4 {
            // Cheaper to scan the whole mask once than to visit every neighbourhood.
            candidates.extend((0..n).filter(|&p| buf.state[p] == LOST));
        } else {
            for &(f, _) in &filled {
                window.queue_neighbours(f, &mut buf.state, &mut candidates, &mut scratch);
            }
            for &p in &candidates {
                buf.state[p] = LOST;
            }
        }
    }
    if remaining > 0 {
        for (v, s) in buf.values.iter_mut().zip(&buf.state) {
            if *s != VALID {
                *v = T::nan();
            }
        }
    }
    Ok(FillReport {
        iterations,
        remaining,
    })
}

/// One pass: the new value of every candidate that has a valid sample in its window.
fn evaluate_all<T: FillElement>(
    window: &Window<T>,
    candidates: &[usize],
    buf: &Buffers<T>,
) -> Vec<(usize, T)> {
    let ndim = window.shape.len();
    let work = candidates.len() * window.row_taps.len();
    let eval_chunk = |chunk: &[usize]| -> Vec<(usize, T)> {
        let mut coords = vec![0usize; ndim];
        chunk
            .iter()
            .filter_map(|&p| window.evaluate(p, buf, &mut coords).map(|v| (p, v)))
            .collect()
    };
    if threads::parallel(work) {
        let chunk = candidates
            .len()
            .div_ceil(8 * threads::current_threads())
            .max(1024);
        candidates
            .par_chunks(chunk)
            .map(eval_chunk)
            .reduce(Vec::new, |mut a, mut b| {
                a.append(&mut b);
                a
            })
    } else {
        eval_chunk(candidates)
    }
}

/// The first pass over the whole array: both sums as SIMD correlations of the values (0 at lost
/// samples) and of the validity, read at the `lost` samples.
#[allow(clippy::too_many_arguments)]
fn dense_pass<T: FillElement>(
    buf: &Buffers<T>,
    shape: &[usize],
    weights: &[T],
    k_shape: &[usize],
    start: &[isize],
    factors: Option<&[Vec<T>]>,
    boundary: Boundary<T>,
    lost: &[usize],
) -> Vec<(usize, T)> {
    // Outside the array, a fill boundary reads 0 in both arrays: no value, no weight.
    let boundary = match boundary {
        Boundary::Fill(_) => Boundary::Fill(T::ZERO),
        b => b,
    };
    let correlate = |x: &[T]| -> Vec<T> {
        let mut out = vec![T::ZERO; x.len()];
        match factors {
            Some(f) if shape.len() > 1 => {
                // One axis at a time: the boundary maps each axis on its own, so this is the
                // N-d correlation with the outer product of the factors. Passes alternate between
                // `out` and `tmp`, ending in `out`.
                let mut tmp = vec![T::ZERO; x.len()];
                let passes = f.len();
                for (d, taps) in f.iter().enumerate() {
                    let mut ks = vec![1usize; shape.len()];
                    ks[d] = taps.len();
                    let mut st = vec![0isize; shape.len()];
                    st[d] = start[d];
                    let kv = ArrayViewD::from_shape(IxDyn(&ks), taps).expect("shape");
                    let into_out = (passes - 1 - d) % 2 == 0;
                    let (src, dst): (&[T], &mut [T]) = match (d, into_out) {
                        (0, true) => (x, &mut out),
                        (0, false) => (x, &mut tmp),
                        (_, true) => (&tmp, &mut out),
                        (_, false) => (&out, &mut tmp),
                    };
                    let xv = ArrayViewD::from_shape(IxDyn(shape), src).expect("shape");
                    correlate_into(xv, kv, &st, dst, shape, boundary);
                }
            }
            _ => {
                let xv = ArrayViewD::from_shape(IxDyn(shape), x).expect("shape");
                let kv = ArrayViewD::from_shape(IxDyn(k_shape), weights).expect("shape");
                correlate_into(xv, kv, start, &mut out, shape, boundary);
            }
        }
        out
    };
    let num = correlate(&buf.values[..]);
    let den = correlate(&buf.valid);
    lost.iter()
        .filter(|&&p| den[p] > T::ZERO)
        .map(|&p| (p, num[p] / den[p]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1-D filling with a centred window.
    fn run(
        x: &[f64],
        lost: &[bool],
        w: &[f64],
        boundary: Boundary<f64>,
        max_iter: Option<usize>,
        first: FirstPass,
    ) -> Result<(Vec<f64>, FillReport)> {
        let mut v = x.to_vec();
        let start = -((w.len() / 2) as isize);
        let shape = [x.len()];
        let r = fill_missing(
            &mut v,
            lost,
            &shape,
            w,
            &[w.len()],
            &[start],
            None,
            boundary,
            max_iter,
            first,
        )?;
        Ok((v, r))
    }

    fn fill1(
        x: &[f64],
        lost: &[bool],
        w: &[f64],
        boundary: Boundary<f64>,
    ) -> (Vec<f64>, FillReport) {
        let sparse = run(x, lost, w, boundary, None, FirstPass::Sparse).unwrap();
        let dense = run(x, lost, w, boundary, None, FirstPass::Dense).unwrap();
        assert_eq!(sparse.1, dense.1);
        for (a, b) in sparse.0.iter().zip(&dense.0) {
            assert!(
                (a - b).abs() < 1e-12 || (a.is_nan() && b.is_nan()),
                "{a} {b}"
            );
        }
        sparse
    }

    #[test]
    fn one_hole_is_the_mean_of_its_neighbours() {
        let (v, r) = fill1(
            &[1.0, 0.0, 5.0],
            &[false, true, false],
            &[1.0, 1.0, 1.0],
            Boundary::Fill(0.0),
        );
        assert_eq!(v, vec![1.0, 3.0, 5.0]);
        assert_eq!(
            r,
            FillReport {
                iterations: 1,
                remaining: 0
            }
        );
    }

    #[test]
    fn wide_hole_fills_from_both_rims() {
        // pass 1 fills indices 1 and 4 from 0 and 5; pass 2 fills 2 (from 1) and 3 (from 4).
        let x = [0.0, 9.0, 9.0, 9.0, 9.0, 10.0];
        let lost = [false, true, true, true, true, false];
        let (v, r) = fill1(&x, &lost, &[1.0, 1.0, 1.0], Boundary::Fill(0.0));
        assert_eq!(v, vec![0.0, 0.0, 0.0, 10.0, 10.0, 10.0]);
        assert_eq!(r.iterations, 2);
    }

    #[test]
    fn reflect_boundary_reads_the_mirrored_samples() {
        // index 0 reads ext(-1) = x[0] (lost), x[0] (lost) and x[1]: the mean is x[1].
        let x = [0.0, 4.0, 8.0];
        let lost = [true, false, false];
        assert_eq!(fill1(&x, &lost, &[1.0, 2.0, 1.0], Boundary::Symm).0[0], 4.0);
        // mirror: ext(-1) = x[1]: (1 * 4 + 1 * 4) / 2
        assert_eq!(
            fill1(&x, &lost, &[1.0, 2.0, 1.0], Boundary::Mirror).0[0],
            4.0
        );
        // wrap: ext(-1) = x[2]
        assert_eq!(fill1(&x, &lost, &[1.0, 2.0, 1.0], Boundary::Wrap).0[0], 6.0);
    }

    #[test]
    fn unreachable_samples_become_nan_and_max_iter_stops() {
        // a kernel that only reads the sample itself never fills anything
        let (v, r) = fill1(
            &[1.0, 0.0, 2.0],
            &[false, true, false],
            &[0.0, 1.0, 0.0],
            Boundary::Fill(0.0),
        );
        assert!(v[1].is_nan() && v[0] == 1.0 && v[2] == 2.0);
        assert_eq!(
            r,
            FillReport {
                iterations: 0,
                remaining: 1
            }
        );
        let x = [1.0, 0.0, 0.0, 0.0, 0.0];
        let lost = [false, true, true, true, true];
        for first in [FirstPass::Sparse, FirstPass::Dense] {
            let (v, r) = run(&x, &lost, &[1.0; 3], Boundary::Fill(0.0), Some(2), first).unwrap();
            assert_eq!(
                r,
                FillReport {
                    iterations: 2,
                    remaining: 2
                }
            );
            assert_eq!(&v[..3], &[1.0, 1.0, 1.0]);
            assert!(v[3].is_nan() && v[4].is_nan());
        }
    }

    #[test]
    fn bad_weights_and_shapes_are_errors() {
        let x = [0.0; 3];
        let lost = [true, false, false];
        let bad: &[&[f64]] = &[
            &[1.0, -1.0, 1.0],
            &[0.0, 0.0, 0.0],
            &[1.0, f64::NAN, 1.0],
            &[],
        ];
        for w in bad {
            assert!(run(&x, &lost, w, Boundary::Fill(0.0), None, FirstPass::Auto).is_err());
        }
        assert!(run(
            &x,
            &lost[..2],
            &[1.0],
            Boundary::Fill(0.0),
            None,
            FirstPass::Auto
        )
        .is_err());
        let mut v = x.to_vec();
        let b = Boundary::Fill(0.0);
        assert!(fill_missing(
            &mut v,
            &lost,
            &[3],
            &[1.0],
            &[1, 1],
            &[0],
            None,
            b,
            None,
            FirstPass::Auto
        )
        .is_err());
        let bad_factors = vec![vec![1.0, 1.0]];
        assert!(fill_missing(
            &mut v,
            &lost,
            &[3],
            &[1.0; 3],
            &[3],
            &[-1],
            Some(&bad_factors),
            b,
            None,
            FirstPass::Auto
        )
        .is_err());
    }
}
