//! Exact sums of float64 samples, whatever their order or the pieces they come in.
//!
//! A float64 is an integer significand times a power of two fixed by its exponent field. Each
//! sample's signed significand is added, as an integer, into the bucket of its exponent (2048 of
//! them, i128: no overflow before 2^74 samples), so a bucket list holds the sum with no rounding
//! at all; lists of pieces add bucket by bucket. The caller rounds once at the end. A mean over a
//! whole array then equals the mean over its chunks combined bit for bit (dask's global means).

use crate::cpu::threads;
use rayon::prelude::*;

/// Exponent fields of a float64.
pub const BUCKETS: usize = 2048;

const SIGNIFICAND: u64 = (1 << 52) - 1;

/// An exact sum: integer significand sums per exponent field, and the non-finite samples met.
#[derive(Debug, Clone, PartialEq)]
pub struct ExactSum {
    /// `buckets[e]`: the signed significands (implicit bit included) of the samples whose
    /// exponent field is `e`; such a sample is `significand * 2^(max(e, 1) - 1075)`.
    pub buckets: Vec<i128>,
    pub nan: bool,
    pub pos_inf: bool,
    pub neg_inf: bool,
}

impl Default for ExactSum {
    fn default() -> Self {
        ExactSum {
            buckets: vec![0; BUCKETS],
            nan: false,
            pos_inf: false,
            neg_inf: false,
        }
    }
}

impl ExactSum {
    /// Adds one sample.
    #[inline]
    pub fn add(&mut self, v: f64) {
        let bits = v.to_bits();
        let e = ((bits >> 52) & 0x7ff) as usize;
        let negative = bits >> 63 == 1;
        if e == 0x7ff {
            if bits & SIGNIFICAND != 0 {
                self.nan = true;
            } else if negative {
                self.neg_inf = true;
            } else {
                self.pos_inf = true;
            }
            return;
        }
        let m = ((bits & SIGNIFICAND) | (((e != 0) as u64) << 52)) as i128;
        self.buckets[e] += if negative { -m } else { m };
    }

    /// The sum of both (exact: bucket by bucket).
    pub fn merge(mut self, other: ExactSum) -> ExactSum {
        for (a, b) in self.buckets.iter_mut().zip(&other.buckets) {
            *a += b;
        }
        self.nan |= other.nan;
        self.pos_inf |= other.pos_inf;
        self.neg_inf |= other.neg_inf;
        self
    }

    /// The nonzero buckets as `(shift, sum)`: the total is `sum(sum << shift) * 2^-1074`.
    pub fn terms(&self) -> Vec<(u32, i128)> {
        self.buckets
            .iter()
            .enumerate()
            .filter(|(_, &s)| s != 0)
            .map(|(e, &s)| (e.max(1) as u32 - 1, s))
            .collect()
    }
}

/// The exact sum of `x`, split across the `workers=` threads (pieces merge exactly, so the result
/// does not depend on the split).
pub fn exact_sum(x: &[f64], workers: Option<usize>) -> ExactSum {
    const PIECE: usize = 1 << 16;
    let fold = |mut acc: ExactSum, piece: &[f64]| {
        piece.iter().for_each(|&v| acc.add(v));
        acc
    };
    threads::with_workers(workers, || {
        if threads::parallel(x.len()) {
            x.par_chunks(PIECE)
                .fold(ExactSum::default, fold)
                .reduce(ExactSum::default, ExactSum::merge)
        } else {
            fold(ExactSum::default(), x)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The total of `terms`, added as integers on the finest term's scale (exact while the terms
    /// span under 70 binades, as here) and rounded once.
    fn total(s: &ExactSum) -> f64 {
        let terms = s.terms();
        let low = terms.iter().map(|t| t.0).min().unwrap_or(0);
        let sum: i128 = terms.iter().map(|&(shift, m)| m << (shift - low)).sum();
        sum as f64 * 2f64.powi(low as i32 - 1074)
    }

    #[test]
    fn sums_cancel_exactly_where_floats_round() {
        // 1e16 + 1 - 1e16 rounds to 0 in float64; the exact sum keeps the 1.
        let s = exact_sum(&[1e16, 1.0, -1e16], Some(1));
        assert_eq!(total(&s), 1.0);
        // a + b - fl(a + b) is the rounding error of the sum, which TwoSum gives exactly.
        let (a, b) = (0.1f64, 0.2f64);
        let s = a + b;
        let bb = s - a;
        let err = (a - (s - bb)) + (b - bb);
        assert_ne!(err, 0.0);
        assert_eq!(total(&exact_sum(&[a, b, -s], Some(1))), err);
    }

    #[test]
    fn pieces_and_orders_give_the_same_buckets() {
        let x: Vec<f64> = (0..200_000)
            .map(|i| ((i as f64) * 0.7).sin() * 10f64.powi((i % 40) - 20))
            .collect();
        let whole = exact_sum(&x, Some(1));
        let mut rev = x.clone();
        rev.reverse();
        assert_eq!(exact_sum(&rev, Some(1)), whole);
        assert_eq!(exact_sum(&x, Some(2)), whole);
        let (a, b) = x.split_at(12_345);
        assert_eq!(exact_sum(a, None).merge(exact_sum(b, None)), whole);
    }

    #[test]
    fn subnormals_signs_and_non_finite() {
        let tiny = f64::from_bits(1); // 2^-1074
        let s = exact_sum(&[tiny, tiny, -tiny * 4.0, 2.0 * f64::MIN_POSITIVE], Some(1));
        assert_eq!(s.terms(), vec![(0, -2), (1, 1 << 52)]);
        let s = exact_sum(&[f64::INFINITY, 1.0, f64::NEG_INFINITY], Some(1));
        assert!(s.pos_inf && s.neg_inf && !s.nan);
        assert!(exact_sum(&[f64::NAN], Some(1)).nan);
    }
}
