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

use crate::cpu::threads;
use crate::element::Real;
use crate::error::{value_error, Result};
use crate::params::Boundary;
use rayon::prelude::*;

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
    /// Per tap: its weight, its flat offset (for samples whose window lies inside the array) and its
    /// offset on each axis (`start[d] + m[d]`).
    weights: Vec<T>,
    flat: Vec<isize>,
    offsets: Vec<Vec<isize>>,
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
        let (mut w, mut flat, mut offsets) = (Vec::new(), Vec::new(), Vec::new());
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
            flat.push((0..ndim).map(|d| off[d] * strides[d] as isize).sum());
            offsets.push(off);
            w.push(wt);
        }
        let lo = (0..ndim)
            .map(|d| offsets.iter().map(|o| o[d]).min().unwrap_or(0))
            .collect();
        let hi = (0..ndim)
            .map(|d| offsets.iter().map(|o| o[d]).max().unwrap_or(0))
            .collect();
        Window {
            shape: shape.to_vec(),
            strides,
            weights: w,
            flat,
            offsets,
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
    fn evaluate(&self, p: usize, values: &[T], state: &[u8], coords: &mut [usize]) -> Option<T> {
        self.coords(p, coords);
        let inside = (0..coords.len()).all(|d| {
            let c = coords[d] as isize;
            c + self.lo[d] >= 0 && c + self.hi[d] < self.shape[d] as isize
        });
        let (mut num, mut den) = (T::ZERO, T::ZERO);
        if inside {
            for (&w, &f) in self.weights.iter().zip(&self.flat) {
                let q = (p as isize + f) as usize;
                if state[q] == VALID {
                    num = num + w * values[q];
                    den = den + w;
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
                if state[q] == VALID {
                    num = num + w * values[q];
                    den = den + w;
                }
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
        'outer: loop {
            let mut q = 0usize;
            let mut ok = true;
            for d in 0..ndim {
                let n = self.shape[d] as isize;
                let mut c = scratch.centre[d] as isize + scratch.index[d];
                if wrap {
                    c = c.rem_euclid(n);
                } else if c < 0 || c >= n {
                    ok = false;
                    break;
                }
                q += c as usize * self.strides[d];
            }
            if ok && state[q] == LOST {
                state[q] = QUEUED;
                out.push(q);
            }
            // next index of the box, last axis fastest
            for d in (0..ndim).rev() {
                scratch.index[d] += 1;
                if scratch.index[d] <= scratch.ranges[d].1 {
                    continue 'outer;
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

/// Fills the samples of `values` (row-major, `shape`) where `lost` is true, in place, by iterated
/// normalized convolution with `weights` (row-major, `k_shape`), tap `m` reading `p + start + m`
/// through `boundary` (see the module doc). Samples still lost at the end are set to NaN.
///
/// `max_iter`: the most passes (`None`: until done). Errors for mismatched shapes, or weights that are
/// negative, not finite, or all zero.
#[allow(clippy::too_many_arguments)]
pub fn fill_missing<T: Real>(
    values: &mut [T],
    lost: &[bool],
    shape: &[usize],
    weights: &[T],
    k_shape: &[usize],
    start: &[isize],
    boundary: Boundary<T>,
    max_iter: Option<usize>,
) -> Result<FillReport> {
    let n: usize = shape.iter().product();
    if values.len() != n || lost.len() != n {
        return value_error!(
            "values and mask must both have {n} samples (shape {shape:?}); got {} and {}",
            values.len(),
            lost.len()
        );
    }
    if k_shape.len() != shape.len() || start.len() != shape.len() {
        return value_error!(
            "weights and start need one entry per axis ({}); got {} and {}",
            shape.len(),
            k_shape.len(),
            start.len()
        );
    }
    if weights.len() != k_shape.iter().product::<usize>() {
        return value_error!("weights do not fill their shape {k_shape:?}");
    }
    if weights.iter().any(|w| !w.is_finite() || *w < T::ZERO) {
        return value_error!("weights must be finite and non-negative");
    }
    if !weights.iter().any(|w| *w > T::ZERO) {
        return value_error!("weights must have at least one positive entry");
    }
    let state_of = |l: bool| if l { LOST } else { VALID };
    let mut state: Vec<u8> = lost.iter().map(|&l| state_of(l)).collect();
    let mut candidates: Vec<usize> = Vec::with_capacity(n / 8);
    candidates.extend(lost.iter().enumerate().filter(|(_, &l)| l).map(|(p, _)| p));
    let mut remaining = candidates.len();
    let window = Window::new(shape, weights, k_shape, start, boundary);
    let box_len = window.box_len();
    let mut iterations = 0;
    let mut scratch = Scratch {
        centre: vec![0; shape.len()],
        index: vec![0; shape.len()],
        ranges: vec![(0, 0); shape.len()],
    };
    while remaining > 0 && !candidates.is_empty() && max_iter.is_none_or(|m| iterations < m) {
        let filled = evaluate_all(&window, &candidates, values, &state);
        if filled.is_empty() {
            break;
        }
        iterations += 1;
        for &(p, v) in &filled {
            values[p] = v;
            state[p] = VALID;
        }
        remaining -= filled.len();
        candidates.clear();
        if remaining == 0 {
            break;
        }
        if filled.len().saturating_mul(box_len) >= n / 4 {
            // Cheaper to scan the whole mask once than to visit every neighbourhood.
            candidates.extend((0..n).filter(|&p| state[p] == LOST));
        } else {
            for &(f, _) in &filled {
                window.queue_neighbours(f, &mut state, &mut candidates, &mut scratch);
            }
            for &p in &candidates {
                state[p] = LOST;
            }
        }
    }
    if remaining > 0 {
        for (v, s) in values.iter_mut().zip(&state) {
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
fn evaluate_all<T: Real>(
    window: &Window<T>,
    candidates: &[usize],
    values: &[T],
    state: &[u8],
) -> Vec<(usize, T)> {
    let ndim = window.shape.len();
    let work = candidates.len() * window.weights.len();
    let eval_chunk = |chunk: &[usize]| -> Vec<(usize, T)> {
        let mut coords = vec![0usize; ndim];
        chunk
            .iter()
            .filter_map(|&p| {
                window
                    .evaluate(p, values, state, &mut coords)
                    .map(|v| (p, v))
            })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fill1(
        x: &[f64],
        lost: &[bool],
        w: &[f64],
        boundary: Boundary<f64>,
    ) -> (Vec<f64>, FillReport) {
        let mut v = x.to_vec();
        let start = -((w.len() / 2) as isize);
        let r = fill_missing(
            &mut v,
            lost,
            &[x.len()],
            w,
            &[w.len()],
            &[start],
            boundary,
            None,
        )
        .unwrap();
        (v, r)
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
        let (v, _) = fill1(
            &[0.0, 4.0, 8.0],
            &[true, false, false],
            &[1.0, 2.0, 1.0],
            Boundary::Symm,
        );
        assert_eq!(v[0], 4.0);
        // mirror: ext(-1) = x[1]: (1 * 4 + 1 * 4) / 2
        let (v, _) = fill1(
            &[0.0, 4.0, 8.0],
            &[true, false, false],
            &[1.0, 2.0, 1.0],
            Boundary::Mirror,
        );
        assert_eq!(v[0], 4.0);
        // wrap: ext(-1) = x[2]
        let (v, _) = fill1(
            &[0.0, 4.0, 8.0],
            &[true, false, false],
            &[1.0, 2.0, 1.0],
            Boundary::Wrap,
        );
        assert_eq!(v[0], 6.0);
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
        let mut v: Vec<f64> = vec![1.0, 0.0, 0.0, 0.0, 0.0];
        let lost = [false, true, true, true, true];
        let r = fill_missing(
            &mut v,
            &lost,
            &[5],
            &[1.0; 3],
            &[3],
            &[-1],
            Boundary::Fill(0.0),
            Some(2),
        )
        .unwrap();
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

    #[test]
    fn bad_weights_and_shapes_are_errors() {
        let mut v = vec![0.0; 3];
        let lost = [true, false, false];
        let bad: &[&[f64]] = &[&[1.0, -1.0, 1.0], &[0.0, 0.0, 0.0], &[1.0, f64::NAN, 1.0]];
        for w in bad {
            assert!(fill_missing(
                &mut v,
                &lost,
                &[3],
                w,
                &[3],
                &[-1],
                Boundary::Fill(0.0),
                None
            )
            .is_err());
        }
        assert!(fill_missing(
            &mut v,
            &lost[..2],
            &[3],
            &[1.0],
            &[1],
            &[0],
            Boundary::Fill(0.0),
            None
        )
        .is_err());
        assert!(fill_missing(
            &mut v,
            &lost,
            &[3],
            &[1.0],
            &[1, 1],
            &[0],
            Boundary::Fill(0.0),
            None
        )
        .is_err());
    }
}
