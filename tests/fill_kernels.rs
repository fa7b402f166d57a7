//! `cpu::fill::fill_missing` (frontier passes, threads) against a plain reference: every pass visits
//! every sample of the array. Same sums in the same order, so the results agree bit for bit.

use ndarray::{ArrayD, IxDyn};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sigconv::cpu::fill::{fill_missing, FillElement, FillReport, FirstPass};
use sigconv::cpu::threads;
use sigconv::element::Real;
use sigconv::params::Boundary;

/// The definition, slowly: each pass computes, for every lost sample, the weighted mean of the valid
/// samples its window reads (from the state before the pass), and fills those that have any.
fn reference<T: Real>(
    x: &ArrayD<T>,
    lost: &ArrayD<bool>,
    w: &ArrayD<T>,
    start: &[isize],
    boundary: Boundary<T>,
    max_iter: Option<usize>,
) -> (ArrayD<T>, FillReport) {
    let ndim = x.ndim();
    let mut v = x.clone();
    let mut lost = lost.clone();
    let mut iterations = 0;
    loop {
        if lost.iter().all(|&l| !l) || max_iter.is_some_and(|m| iterations >= m) {
            break;
        }
        let mut updates = Vec::new();
        for (p, &is_lost) in lost.indexed_iter() {
            if !is_lost {
                continue;
            }
            let (mut num, mut den) = (T::zero(), T::zero());
            'taps: for (m, &wt) in w.indexed_iter() {
                if wt == T::zero() {
                    continue;
                }
                let mut q = vec![0usize; ndim];
                for d in 0..ndim {
                    let i = p[d] as isize + start[d] + m[d] as isize;
                    match boundary.source_index(i, x.shape()[d]) {
                        Some(s) => q[d] = s,
                        None => continue 'taps,
                    }
                }
                if !lost[IxDyn(&q)] {
                    num = num + wt * v[IxDyn(&q)];
                    den = den + wt;
                }
            }
            if den > T::zero() {
                updates.push(((0..ndim).map(|d| p[d]).collect::<Vec<usize>>(), num / den));
            }
        }
        if updates.is_empty() {
            break;
        }
        iterations += 1;
        for (p, val) in updates {
            v[IxDyn(&p)] = val;
            lost[IxDyn(&p)] = false;
        }
    }
    let remaining = lost.iter().filter(|&&l| l).count();
    for (val, &l) in v.iter_mut().zip(&lost) {
        if l {
            *val = T::nan();
        }
    }
    (
        v,
        FillReport {
            iterations,
            remaining,
        },
    )
}

fn boundaries<T: Real>() -> [Boundary<T>; 5] {
    [
        Boundary::Fill(T::zero()),
        Boundary::Symm,
        Boundary::Mirror,
        Boundary::Nearest,
        Boundary::Wrap,
    ]
}

/// A random mask: scattered lost samples, or a few rectangular holes, or nearly everything lost.
fn random_mask(rng: &mut SmallRng, shape: &[usize]) -> ArrayD<bool> {
    let kind = rng.random_range(0..3);
    let mut mask = ArrayD::from_shape_fn(IxDyn(shape), |_| match kind {
        0 => rng.random_bool(0.3),
        2 => rng.random_bool(0.97),
        _ => false,
    });
    if kind == 1 {
        for _ in 0..rng.random_range(1..4) {
            let lo: Vec<usize> = shape.iter().map(|&n| rng.random_range(0..n)).collect();
            let len: Vec<usize> = shape.iter().map(|&n| rng.random_range(1..=n)).collect();
            for (p, m) in mask.indexed_iter_mut() {
                if (0..shape.len()).all(|d| p[d] >= lo[d] && p[d] < lo[d] + len[d]) {
                    *m = true;
                }
            }
        }
    }
    // keep at least one valid sample
    let first = mask.iter().position(|_| true).unwrap();
    *mask.iter_mut().nth(first).unwrap() = false;
    mask
}

fn check<T: FillElement + Bits>(seed: u64, ndim: usize, cast: fn(f64) -> T) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let sizes: &[usize] = if ndim == 1 {
        &[1, 2, 5, 17, 60]
    } else {
        &[1, 3, 8, 13]
    };
    let shape: Vec<usize> = (0..ndim)
        .map(|_| sizes[rng.random_range(0..sizes.len())])
        .collect();
    let k_shape: Vec<usize> = (0..ndim).map(|_| rng.random_range(1..=5)).collect();
    let start: Vec<isize> = k_shape
        .iter()
        .map(|&k| -(rng.random_range(0..k) as isize))
        .collect();
    let x = ArrayD::from_shape_fn(IxDyn(&shape), |_| cast(rng.random_range(-1.0..1.0)));
    let tap = |rng: &mut SmallRng| {
        if rng.random_bool(0.2) {
            T::zero()
        } else {
            cast(rng.random_range(0.1..1.0))
        }
    };
    // Half the cases separable: the weights are the outer product of one factor per axis.
    let factors: Option<Vec<Vec<T>>> = rng.random_bool(0.5).then(|| {
        k_shape
            .iter()
            .map(|&k| (0..k).map(|_| tap(&mut rng)).collect())
            .collect()
    });
    let w = match &factors {
        Some(f) => ArrayD::from_shape_fn(IxDyn(&k_shape), |m| {
            (0..ndim).fold(T::one(), |acc, d| acc * f[d][m[d]])
        }),
        None => ArrayD::from_shape_fn(IxDyn(&k_shape), |_| tap(&mut rng)),
    };
    if w.iter().all(|&v| v == T::zero()) {
        return;
    }
    let lost = random_mask(&mut rng, &shape);
    let max_iter = if rng.random_bool(0.3) {
        Some(rng.random_range(1..4))
    } else {
        None
    };
    for boundary in boundaries::<T>() {
        let (want, want_report) = reference(&x, &lost, &w, &start, boundary, max_iter);
        let cases = [
            (FirstPass::Sparse, Some(1)),
            (FirstPass::Sparse, None),
            (FirstPass::Dense, None),
            (FirstPass::Auto, Some(1)),
        ];
        for (first, workers) in cases {
            let mut got = x.as_slice().unwrap().to_vec();
            let report = threads::with_workers(workers, || {
                fill_missing(
                    &mut got,
                    lost.as_slice().unwrap(),
                    &shape,
                    w.as_slice().unwrap(),
                    &k_shape,
                    &start,
                    factors.as_deref(),
                    boundary,
                    max_iter,
                    first,
                )
            })
            .unwrap();
            let ctx = format!(
                "seed {seed} shape {shape:?} k {k_shape:?} start {start:?} {boundary:?} \
                 max_iter {max_iter:?} {first:?} separable {}",
                factors.is_some()
            );
            assert_eq!(report, want_report, "{ctx}");
            // The sparse passes add the same terms in the same order as the reference: bit for
            // bit. The dense first pass sums with SIMD fused multiply-adds: within rounding.
            let tol = if first == FirstPass::Sparse {
                0.0
            } else {
                1e-5
            };
            for (i, (g, r)) in got.iter().zip(want.iter()).enumerate() {
                let (g, r) = (g.to_f64().unwrap(), r.to_f64().unwrap());
                assert!(
                    (g - r).abs() <= tol || (g.is_nan() && r.is_nan()),
                    "{ctx}: sample {i}: {g:?} != {r:?}"
                );
            }
            // valid samples untouched, bit for bit
            for ((g, o), &l) in got.iter().zip(x.iter()).zip(lost.iter()) {
                if !l {
                    assert_eq!(g.to_bits_u64(), o.to_bits_u64(), "{ctx}");
                }
            }
        }
    }
}

trait Bits {
    fn to_bits_u64(&self) -> u64;
}
impl Bits for f64 {
    fn to_bits_u64(&self) -> u64 {
        self.to_bits()
    }
}
impl Bits for f32 {
    fn to_bits_u64(&self) -> u64 {
        self.to_bits() as u64
    }
}

#[test]
fn one_d_against_reference() {
    for seed in 0..60 {
        check::<f64>(seed, 1, |v| v);
    }
}

#[test]
fn two_d_against_reference() {
    for seed in 100..160 {
        check::<f64>(seed, 2, |v| v);
    }
}

#[test]
fn three_d_against_reference() {
    for seed in 200..230 {
        check::<f64>(seed, 3, |v| v);
    }
}

#[test]
fn float32_against_reference() {
    for seed in 300..340 {
        check::<f32>(seed, 2, |v| v as f32);
    }
}

/// Large enough that passes run threaded (over 2^16 multiply-adds) and take the neighbourhood path.
#[test]
fn large_image_with_holes_threaded() {
    let mut rng = SmallRng::seed_from_u64(7);
    let shape = [150, 170];
    let x = ArrayD::from_shape_fn(IxDyn(&shape), |_| rng.random_range(-1.0..1.0));
    let mut lost = ArrayD::from_shape_fn(IxDyn(&shape), |_| rng.random_bool(0.1));
    for (p, m) in lost.indexed_iter_mut() {
        let (dy, dx) = (p[0] as f64 - 60.0, p[1] as f64 - 90.0);
        if dy * dy + dx * dx < 40.0 * 40.0 {
            *m = true;
        }
    }
    let w = ArrayD::from_shape_fn(IxDyn(&[3, 3]), |p| {
        [1.0, 2.0, 1.0][p[0]] * [1.0, 2.0, 1.0][p[1]]
    });
    for boundary in [Boundary::Fill(0.0), Boundary::Wrap] {
        let (want, report) = reference(&x, &lost, &w, &[-1, -1], boundary, None);
        assert_eq!(report.remaining, 0);
        assert!(report.iterations >= 25, "{report:?}"); // a disc of radius 40, Chebyshev depth ~29
        let mut got = x.as_slice().unwrap().to_vec();
        let got_report = fill_missing(
            &mut got,
            lost.as_slice().unwrap(),
            &shape,
            w.as_slice().unwrap(),
            &[3, 3],
            &[-1, -1],
            None,
            boundary,
            None,
            FirstPass::Sparse,
        )
        .unwrap();
        assert_eq!(got_report, report);
        assert_eq!(got.as_slice(), want.as_slice().unwrap());
    }
}
