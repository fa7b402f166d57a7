//! The ndimage filter kernels (separable passes, fused 2-D passes, van Herk, running sums, SIMD
//! median networks, generic rank selection) against plain reference loops, over many seeded
//! shapes, every boundary and every SIMD level.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sigconv::cpu::rank;
use sigconv::cpu::separable::{self, AxisOp, Op};
use sigconv::cpu::simd::Isa;
use sigconv::cpu::threads;
use sigconv::ops::ndfilter::{filter_passes, filter_rows, rank_filter, Pass, PassOp};
use sigconv::params::Boundary;

const ISAS: [Isa; 3] = [Isa::Scalar, Isa::Avx2, Isa::Avx512];

fn boundaries() -> [Boundary<f64>; 6] {
    [
        Boundary::Fill(0.0),
        Boundary::Fill(2.5),
        Boundary::Wrap,
        Boundary::Symm,
        Boundary::Mirror,
        Boundary::Nearest,
    ]
}

fn random_vec(rng: &mut SmallRng, n: usize) -> Vec<f64> {
    (0..n).map(|_| rng.random_range(-1.0..1.0)).collect()
}

/// Samples of random sign whose magnitudes span `2^-bits .. 2^bits`.
fn spread_vec(rng: &mut SmallRng, n: usize, bits: i32) -> Vec<f64> {
    (0..n)
        .map(|_| rng.random_range(-1.0..1.0) * 2f64.powi(rng.random_range(-bits..=bits)))
        .collect()
}

fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1] * shape[d + 1];
    }
    s
}

/// The window `ext(x)[i + start .. i + start + k]` along `axis` at flat position `flat`.
fn window(
    x: &[f64],
    shape: &[usize],
    axis: usize,
    flat: usize,
    k: usize,
    start: isize,
    b: Boundary<f64>,
) -> Vec<f64> {
    let st = strides(shape);
    let i = (flat / st[axis]) % shape[axis];
    let base = flat - i * st[axis];
    (0..k)
        .map(
            |m| match b.source_index(i as isize + start + m as isize, shape[axis]) {
                Some(s) => x[base + s * st[axis]],
                None => match b {
                    Boundary::Fill(v) => v,
                    _ => unreachable!(),
                },
            },
        )
        .collect()
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Corr,
    Mean,
    Min,
    Max,
}

fn reference_pass(
    x: &[f64],
    shape: &[usize],
    axis: usize,
    kind: Kind,
    w: &[f64],
    start: isize,
    b: Boundary<f64>,
) -> Vec<f64> {
    let k = w.len();
    (0..x.len())
        .map(|f| {
            let win = window(x, shape, axis, f, k, start, b);
            match kind {
                Kind::Corr => win.iter().zip(w).map(|(a, c)| a * c).sum(),
                Kind::Mean => win.iter().sum::<f64>() / k as f64,
                Kind::Min => win.iter().cloned().fold(f64::INFINITY, f64::min),
                Kind::Max => win.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
            }
        })
        .collect()
}

fn op_of(kind: Kind, w: &[f64]) -> Op<'_, f64> {
    match kind {
        Kind::Corr => Op::Correlate(w),
        Kind::Mean => Op::Mean(w.len()),
        Kind::Min => Op::Min(w.len()),
        Kind::Max => Op::Max(w.len()),
    }
}

fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

fn random_shape(rng: &mut SmallRng, ndim: usize) -> Vec<usize> {
    let sizes: &[usize] = if ndim < 3 {
        &[1, 2, 3, 5, 8, 17, 33, 40]
    } else {
        &[1, 2, 3, 5, 9]
    };
    (0..ndim)
        .map(|_| sizes[rng.random_range(0..sizes.len())])
        .collect()
}

#[test]
fn passes_match_reference_on_every_isa() {
    for (seed, isa) in ISAS.into_iter().enumerate() {
        Isa::set_cap(isa);
        let mut rng = SmallRng::seed_from_u64(100 + seed as u64);
        for case in 0..120 {
            let shape = random_shape(&mut rng, 1 + case % 3);
            let x = random_vec(&mut rng, shape.iter().product());
            let axis = rng.random_range(0..shape.len());
            // Short windows take the direct kernels, long ones (> 12) van Herk and running sums.
            let k = [1, 2, 3, 4, 5, 7, 13, 20][rng.random_range(0..8)];
            let w = random_vec(&mut rng, k);
            let start = -(k as isize / 2) + rng.random_range(-1i64..=1) as isize;
            for kind in [Kind::Corr, Kind::Mean, Kind::Min, Kind::Max] {
                for b in boundaries() {
                    let want = reference_pass(&x, &shape, axis, kind, &w, start, b);
                    let mut got = vec![0.0; x.len()];
                    let p = AxisOp {
                        op: op_of(kind, &w),
                        start,
                        boundary: b,
                    };
                    separable::pass(&x, &shape, axis, p, &mut got);
                    let err = max_diff(&got, &want);
                    assert!(
                        err < 1e-12,
                        "{isa:?} {kind:?} {b:?} {shape:?} axis {axis} k {k}: {err}"
                    );
                }
            }
        }
    }
    Isa::set_cap(Isa::Avx512);
}

#[test]
fn float32_passes_match_reference() {
    for isa in ISAS {
        Isa::set_cap(isa);
        let mut rng = SmallRng::seed_from_u64(7);
        for case in 0..60 {
            let shape = random_shape(&mut rng, 1 + case % 2);
            let x = random_vec(&mut rng, shape.iter().product());
            let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            let xr: Vec<f64> = x32.iter().map(|&v| v as f64).collect();
            let axis = rng.random_range(0..shape.len());
            let k = [3, 5, 9, 15][rng.random_range(0..4)];
            let w = random_vec(&mut rng, k);
            let w32: Vec<f32> = w.iter().map(|&v| v as f32).collect();
            let wr: Vec<f64> = w32.iter().map(|&v| v as f64).collect();
            for kind in [Kind::Corr, Kind::Mean, Kind::Min, Kind::Max] {
                let want = reference_pass(&xr, &shape, axis, kind, &wr, -2, Boundary::Symm);
                let op = match kind {
                    Kind::Corr => Op::Correlate(&w32[..]),
                    Kind::Mean => Op::Mean(k),
                    Kind::Min => Op::Min(k),
                    Kind::Max => Op::Max(k),
                };
                let mut got = vec![0.0f32; x.len()];
                let p = AxisOp {
                    op,
                    start: -2,
                    boundary: Boundary::Symm,
                };
                separable::pass(&x32, &shape, axis, p, &mut got);
                let got: Vec<f64> = got.iter().map(|&v| v as f64).collect();
                let err = max_diff(&got, &want);
                assert!(err < 1e-5, "{isa:?} {kind:?} {shape:?} axis {axis}: {err}");
            }
        }
    }
    Isa::set_cap(Isa::Avx512);
}

#[test]
fn fused_2d_equals_two_passes() {
    for isa in ISAS {
        Isa::set_cap(isa);
        let mut rng = SmallRng::seed_from_u64(21);
        for case in 0..80 {
            let mut shape = random_shape(&mut rng, 2 + case % 2);
            if case % 5 == 0 {
                shape = vec![3, 70, 45]; // several planes, blocks that do not divide the height
            }
            let nd = shape.len();
            let x = random_vec(&mut rng, shape.iter().product());
            let (kv, kh) = ([1, 3, 5, 14][case % 4], [2, 3, 7, 16][(case / 4) % 4]);
            let (wv, wh) = (random_vec(&mut rng, kv), random_vec(&mut rng, kh));
            let kinds = [Kind::Corr, Kind::Mean, Kind::Min, Kind::Max];
            let kind = kinds[case % 4];
            let bs = boundaries();
            let (bv, bh) = (bs[case % 6], bs[(case / 6) % 6]);
            let (sv, sh) = (-(kv as isize) / 2, -(kh as isize - 1) / 2);
            let mid = reference_pass(&x, &shape, nd - 2, kind, &wv, sv, bv);
            let want = reference_pass(&mid, &shape, nd - 1, kind, &wh, sh, bh);
            let mut got = vec![0.0; x.len()];
            let v = AxisOp {
                op: op_of(kind, &wv),
                start: sv,
                boundary: bv,
            };
            let h = AxisOp {
                op: op_of(kind, &wh),
                start: sh,
                boundary: bh,
            };
            separable::pass_2d(&x, &shape, v, h, true, &mut got);
            let err = max_diff(&got, &want);
            assert!(
                err < 1e-12,
                "{isa:?} {kind:?} {shape:?} {bv:?}/{bh:?}: {err}"
            );
        }
    }
    Isa::set_cap(Isa::Avx512);
}

#[test]
fn integer_min_max_are_exact() {
    let mut rng = SmallRng::seed_from_u64(5);
    for case in 0..40 {
        let shape = random_shape(&mut rng, 1 + case % 2);
        let x: Vec<i64> = (0..shape.iter().product())
            .map(|_| rng.random_range(i64::MIN / 2..i64::MAX / 2))
            .collect();
        let xf: Vec<f64> = x.iter().map(|&v| v as f64).collect();
        let axis = rng.random_range(0..shape.len());
        let k = [2, 3, 15][case % 3];
        let passes = vec![Pass {
            axis,
            op: PassOp::Max(k),
            start: -1,
            boundary: Boundary::Fill(7),
        }];
        let mut got = vec![0i64; x.len()];
        filter_passes(&x, &shape, &passes, &mut got).unwrap();
        let want = reference_pass(
            &xf,
            &shape,
            axis,
            Kind::Max,
            &vec![0.0; k],
            -1,
            Boundary::Fill(7.0),
        );
        for (g, w) in got.iter().zip(&want) {
            // The reference runs in f64: equal up to the f64 rounding of i64 values.
            assert_eq!(*g as f64, *w);
        }
    }
}

fn reference_rank(
    x: &[f64],
    shape: &[usize],
    fp: &[bool],
    fshape: &[usize],
    rank: usize,
    start: &[isize],
    b: Boundary<f64>,
) -> Vec<f64> {
    let st = strides(shape);
    let fst = strides(fshape);
    (0..x.len())
        .map(|f| {
            let mut vals = Vec::new();
            for (j, &on) in fp.iter().enumerate() {
                if !on {
                    continue;
                }
                let mut flat = 0;
                let mut fill = false;
                for d in 0..shape.len() {
                    let o = (f / st[d]) % shape[d];
                    let m = (j / fst[d]) % fshape[d];
                    match b.source_index(o as isize + start[d] + m as isize, shape[d]) {
                        Some(s) => flat += s * st[d],
                        None => fill = true,
                    }
                }
                vals.push(if fill {
                    match b {
                        Boundary::Fill(v) => v,
                        _ => unreachable!(),
                    }
                } else {
                    x[flat]
                });
            }
            if vals.iter().any(|v| v.is_nan()) {
                return f64::NAN;
            }
            vals.sort_by(|a, b| a.partial_cmp(b).unwrap());
            vals[rank]
        })
        .collect()
}

fn same_or_both_nan(a: &[f64], b: &[f64]) -> bool {
    a.iter()
        .zip(b)
        .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
}

#[test]
fn median_networks_match_reference_on_every_isa() {
    for (seed, isa) in ISAS.into_iter().enumerate() {
        Isa::set_cap(isa);
        let mut rng = SmallRng::seed_from_u64(300 + seed as u64);
        for &(kh, kw) in &[
            (1, 3),
            (1, 5),
            (1, 7),
            (3, 1),
            (3, 3),
            (3, 5),
            (3, 7),
            (5, 1),
            (5, 3),
            (5, 5),
            (5, 7),
            (7, 1),
            (7, 3),
            (7, 5),
            (7, 7),
        ] {
            assert!(rank::has_network(kh, kw));
            for case in 0..6 {
                let planes = 1 + case % 2;
                let (h, w) = ([1, 2, 5, 9, 20, 37][case], [1, 3, 8, 17, 33, 50][5 - case]);
                let shape = [planes, h, w];
                let mut x = random_vec(&mut rng, planes * h * w);
                if case == 3 {
                    // ties: few distinct values
                    x.iter_mut().for_each(|v| *v = (*v * 2.0).round());
                }
                let b = boundaries()[case % 6];
                let start = [
                    -(kh as isize / 2),
                    -(kw as isize / 2) + (case % 2) as isize * (kw > 1) as isize,
                ];
                let fshape = [1, kh, kw];
                let fp = vec![true; kh * kw];
                let want = reference_rank(
                    &x,
                    &shape,
                    &fp,
                    &fshape,
                    kh * kw / 2,
                    &[0, start[0], start[1]],
                    b,
                );
                let mut got = vec![0.0; x.len()];
                rank::median_planes(&x, planes, (h, w), (kh, kw), start, b, &mut got);
                assert!(
                    same_or_both_nan(&got, &want),
                    "{isa:?} {kh}x{kw} {shape:?} {b:?}"
                );
            }
        }
    }
    Isa::set_cap(Isa::Avx512);
}

#[test]
fn generic_rank_matches_reference() {
    let mut rng = SmallRng::seed_from_u64(9);
    for case in 0..60 {
        let nd = 1 + case % 3;
        let shape = random_shape(&mut rng, nd);
        let x = random_vec(&mut rng, shape.iter().product());
        let fshape: Vec<usize> = (0..nd).map(|_| rng.random_range(1..5)).collect();
        let mut fp: Vec<bool> = (0..fshape.iter().product())
            .map(|_| rng.random_bool(0.6))
            .collect();
        fp[0] = true;
        let count = fp.iter().filter(|&&f| f).count();
        let rank = rng.random_range(0..count);
        let start: Vec<isize> = fshape.iter().map(|&f| -(f as isize / 2)).collect();
        let b = boundaries()[case % 6];
        let want = reference_rank(&x, &shape, &fp, &fshape, rank, &start, b);
        let mut got = vec![0.0; x.len()];
        rank_filter(&x, &shape, &fp, &fshape, rank, &start, b, &mut got).unwrap();
        assert!(
            same_or_both_nan(&got, &want),
            "{shape:?} {fshape:?} rank {rank} {b:?}"
        );
    }
}

#[test]
fn windows_with_nan_give_nan() {
    // Min, max (separable) and median (networks and generic) on an input with NaN.
    let shape = [23, 31];
    let mut rng = SmallRng::seed_from_u64(4);
    let mut x = random_vec(&mut rng, 23 * 31);
    for i in [0, 100, 350, 712] {
        x[i] = f64::NAN;
    }
    let b = Boundary::Symm;
    for (kh, kw) in [(3, 3), (5, 7), (4, 4)] {
        let fp = vec![true; kh * kw];
        let start = [-(kh as isize / 2), -(kw as isize / 2)];
        let want = reference_rank(&x, &shape, &fp, &[kh, kw], kh * kw / 2, &start, b);
        let mut got = vec![0.0; x.len()];
        rank_filter(&x, &shape, &fp, &[kh, kw], kh * kw / 2, &start, b, &mut got).unwrap();
        assert!(same_or_both_nan(&got, &want), "median {kh}x{kw}");
        for (op, rank) in [(PassOp::<f64>::Min(0), 0), (PassOp::Max(0), kh * kw - 1)] {
            let mk = |axis, k| Pass {
                axis,
                op: match op {
                    PassOp::Min(_) => PassOp::Min(k),
                    _ => PassOp::Max(k),
                },
                start: start[axis],
                boundary: b,
            };
            let passes = vec![mk(0, kh), mk(1, kw)];
            filter_passes(&x, &shape, &passes, &mut got).unwrap();
            let want = reference_rank(&x, &shape, &fp, &[kh, kw], rank, &start, b);
            assert!(same_or_both_nan(&got, &want), "{op:?} {kh}x{kw}");
        }
    }
}

#[test]
fn threaded_results_equal_serial() {
    let mut rng = SmallRng::seed_from_u64(17);
    let shape = [300, 257];
    let x = random_vec(&mut rng, 300 * 257);
    let w = random_vec(&mut rng, 9);
    let passes = vec![
        Pass {
            axis: 0,
            op: PassOp::Correlate(w.clone()),
            start: -4,
            boundary: Boundary::Mirror,
        },
        Pass {
            axis: 1,
            op: PassOp::Correlate(w),
            start: -4,
            boundary: Boundary::Wrap,
        },
    ];
    let mut par = vec![0.0; x.len()];
    let mut ser = vec![0.0; x.len()];
    filter_passes(&x, &shape, &passes, &mut par).unwrap();
    threads::with_workers(Some(1), || {
        filter_passes(&x, &shape, &passes, &mut ser).unwrap()
    });
    assert_eq!(par, ser);
    let fp = vec![true; 49];
    rank_filter(
        &x,
        &shape,
        &fp,
        &[7, 7],
        24,
        &[-3, -3],
        Boundary::Symm,
        &mut par,
    )
    .unwrap();
    threads::with_workers(Some(1), || {
        rank_filter(
            &x,
            &shape,
            &fp,
            &[7, 7],
            24,
            &[-3, -3],
            Boundary::Symm,
            &mut ser,
        )
        .unwrap()
    });
    assert_eq!(par, ser);
}

#[test]
fn bad_arguments_are_errors_not_panics() {
    let x = vec![1.0; 6];
    let mut out = vec![0.0; 6];
    let p = |axis, op| {
        vec![Pass {
            axis,
            op,
            start: 0,
            boundary: Boundary::Wrap,
        }]
    };
    assert!(filter_passes(&x, &[2, 3], &p(2, PassOp::Max(2)), &mut out).is_err());
    assert!(filter_passes(&x, &[2, 3], &p(0, PassOp::Mean(0)), &mut out).is_err());
    assert!(filter_passes(&x, &[2, 2], &p(0, PassOp::Max(2)), &mut out).is_err());
    let xi = vec![1i64; 6];
    let mut oi = vec![0i64; 6];
    let pi = vec![Pass {
        axis: 0,
        op: PassOp::Mean(2),
        start: 0,
        boundary: Boundary::Wrap,
    }];
    assert!(filter_passes(&xi, &[2, 3], &pi, &mut oi).is_err());
    assert!(rank_filter(
        &x,
        &[2, 3],
        &[false; 4],
        &[2, 2],
        0,
        &[0, 0],
        Boundary::Wrap,
        &mut out
    )
    .is_err());
    assert!(rank_filter(
        &x,
        &[2, 3],
        &[true; 4],
        &[2, 2],
        4,
        &[0, 0],
        Boundary::Wrap,
        &mut out
    )
    .is_err());
    assert!(rank_filter(
        &x,
        &[2, 3],
        &[true; 4],
        &[4],
        0,
        &[0],
        Boundary::Wrap,
        &mut out
    )
    .is_err());
}

#[test]
fn rows_alone_equal_the_whole_result_bit_for_bit() {
    // filter_rows(rows) == filter_passes()[rows] for 1-3 axes, passes along any axes in any order
    // (before, at and after the axis-0 pass; none along axis 0), every boundary, threaded or not.
    // Each sample is computed from the same input with the same arithmetic, so bit for bit.
    let mut rng = SmallRng::seed_from_u64(23);
    let bounds = boundaries();
    for case in 0..300 {
        let ndim = 1 + case % 3;
        let mut shape = random_shape(&mut rng, ndim);
        shape[0] = [1, 4, 17, 70, 130, 300][rng.random_range(0..6)];
        let x = random_vec(&mut rng, shape.iter().product());
        let count = rng.random_range(1..4);
        let passes: Vec<Pass<f64>> = (0..count)
            .map(|_| {
                let k = rng.random_range(1..20);
                Pass {
                    axis: rng.random_range(0..ndim),
                    // Means longer than DIRECT_MAX run on sums from the start of each block of
                    // rows: the rows alone start theirs at the same block starts.
                    op: if rng.random_bool(0.6) {
                        PassOp::Correlate(random_vec(&mut rng, k))
                    } else {
                        PassOp::Mean(k * 2)
                    },
                    start: -(rng.random_range(0..=k) as isize),
                    boundary: bounds[rng.random_range(0..bounds.len())],
                }
            })
            .collect();
        let mut whole = vec![0.0; x.len()];
        filter_passes(&x, &shape, &passes, &mut whole).unwrap();
        let inner: usize = shape[1..].iter().product();
        let lo = rng.random_range(0..=shape[0]);
        let hi = rng.random_range(lo..=shape[0]);
        let mut part = vec![0.0; (hi - lo) * inner];
        let workers = if case % 2 == 0 { None } else { Some(1) };
        threads::with_workers(workers, || {
            filter_rows(&x, &shape, &passes, lo..hi, &mut part).unwrap()
        });
        assert_eq!(
            part,
            whole[lo * inner..hi * inner],
            "case {case}: shape {shape:?} rows {lo}..{hi} passes {passes:?}"
        );
    }
}

#[test]
fn running_means_are_the_same_for_every_worker_count() {
    // Samples 2^±40 apart, where a running sum rounds, and so with where its block of rows
    // starts; those starts do not depend on the threads, so neither does the result.
    let mut rng = SmallRng::seed_from_u64(29);
    for shape in [vec![200, 2000], vec![130, 7, 300], vec![100, 5000]] {
        let x = spread_vec(&mut rng, shape.iter().product(), 40);
        for axis in 0..shape.len() {
            let passes = [Pass {
                axis,
                op: PassOp::Mean(25),
                start: -12,
                boundary: Boundary::Symm,
            }];
            let results: Vec<Vec<f64>> = [Some(1), Some(2), Some(3)]
                .into_iter()
                .map(|workers| {
                    let mut out = vec![0.0; x.len()];
                    threads::with_workers(workers, || {
                        filter_passes(&x, &shape, &passes, &mut out).unwrap()
                    });
                    out
                })
                .collect();
            assert_eq!(
                results[0], results[1],
                "shape {shape:?} axis {axis}: 1 vs 2 workers"
            );
            assert_eq!(
                results[0], results[2],
                "shape {shape:?} axis {axis}: 1 vs 3 workers"
            );
        }
    }
}

#[test]
fn running_means_do_not_depend_on_where_the_line_begins() {
    // Float64 samples 2^±12 apart (a range of 2^24): the running sums hold every window's sum
    // exactly, so the same windows give the same means bit for bit in an array that starts
    // `skip` samples later along the axis (as a dask chunk's does), for every layout.
    let mut rng = SmallRng::seed_from_u64(31);
    for shape in [vec![3000], vec![300, 40], vec![20, 3000], vec![150, 3, 160]] {
        let x = spread_vec(&mut rng, shape.iter().product(), 12);
        for axis in 0..shape.len() {
            for (k, start) in [(25, -12), (40, -3), (13, -13)] {
                let pass = |boundary| Pass {
                    axis,
                    op: PassOp::Mean(k),
                    start,
                    boundary,
                };
                let mut whole = vec![0.0; x.len()];
                filter_passes(&x, &shape, &[pass(Boundary::Nearest)], &mut whole).unwrap();
                let (outer, n, inner) = separable::split_axis(&shape, axis);
                for skip in [1, 37, 70].into_iter().filter(|&skip| skip + 2 * k <= n) {
                    let mut cut_shape = shape.clone();
                    cut_shape[axis] = n - skip;
                    let cut: Vec<f64> = (0..outer)
                        .flat_map(|o| &x[(o * n + skip) * inner..(o + 1) * n * inner])
                        .copied()
                        .collect();
                    let mut got = vec![0.0; cut.len()];
                    filter_passes(&cut, &cut_shape, &[pass(Boundary::Nearest)], &mut got).unwrap();
                    // Outputs whose windows lie inside the cut array.
                    let first = (-start).max(0) as usize;
                    let last = n - skip - (start + k as isize - 1).max(0) as usize;
                    for o in 0..outer {
                        for i in first..last {
                            let g = &got[(o * (n - skip) + i) * inner..][..inner];
                            let w = &whole[(o * n + skip + i) * inner..][..inner];
                            assert_eq!(
                                g, w,
                                "shape {shape:?} axis {axis} k {k} skip {skip} line {o} row {i}"
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn rows_outside_the_axis_or_min_max_passes_are_errors() {
    let x = vec![0.0f64; 12];
    let mean = |axis| Pass {
        axis,
        op: PassOp::Mean(3),
        start: -1,
        boundary: Boundary::Nearest,
    };
    let mut out = vec![0.0; 4];
    assert!(filter_rows(&x, &[3, 4], &[mean(0)], 2..4, &mut out).is_err());
    assert!(filter_rows(&x, &[3, 4], &[mean(0)], 0..2, &mut out).is_err()); // out of 1 row
    let max = Pass {
        op: PassOp::Max(3),
        ..mean(1)
    };
    assert!(filter_rows(&x, &[3, 4], &[max], 1..2, &mut out).is_err());
}
