//! Every pooling and resampling kernel against plain reference loops written here from torch's
//! definitions, over seeded random geometries, on every SIMD level, serial and threaded.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sigconv::cpu::pool::{self, Extreme, Planes};
use sigconv::cpu::resample::{self, linear_table, nearest_table, Interp, ResampleAxis};
use sigconv::cpu::simd::Isa;
use sigconv::cpu::threads;
use sigconv::params::{adaptive_range, PoolAxis, PoolParams};

/// The reference: torch's CPU max_pool2d_with_indices loop, one output at a time.
fn ref_extreme(x: &[f64], pl: Planes, p: &PoolParams, max: bool) -> (Vec<f64>, Vec<i64>) {
    let (oh, ow) = p.out_shape(pl.h, pl.w).unwrap();
    let (mut out, mut idx) = (vec![], vec![]);
    for c in 0..pl.count {
        for oy in 0..oh {
            for ox in 0..ow {
                let mut y0 = p.h.start(oy);
                let y1 = (y0 + ((p.h.kernel - 1) * p.h.dilation) as isize + 1).min(pl.h as isize);
                while y0 < 0 {
                    y0 += p.h.dilation as isize;
                }
                let mut x0 = p.w.start(ox);
                let x1 = (x0 + ((p.w.kernel - 1) * p.w.dilation) as isize + 1).min(pl.w as isize);
                while x0 < 0 {
                    x0 += p.w.dilation as isize;
                }
                let mut best = if max {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                };
                let mut bi = y0 as i64 * pl.w as i64 + x0 as i64;
                let mut y = y0;
                while y < y1 {
                    let mut xx = x0;
                    while xx < x1 {
                        let i = (y as usize) * pl.w + xx as usize;
                        let v = x[c * pl.plane_len() + i];
                        if (if max { v > best } else { v < best }) || v.is_nan() {
                            best = v;
                            bi = i as i64;
                        }
                        xx += p.w.dilation as isize;
                    }
                    y += p.h.dilation as isize;
                }
                out.push(best);
                idx.push(bi);
            }
        }
    }
    (out, idx)
}

/// torch's avg_pool2d loop.
fn ref_avg(x: &[f64], pl: Planes, p: &PoolParams, inc: bool, div: Option<usize>) -> Vec<f64> {
    let (oh, ow) = p.out_shape(pl.h, pl.w).unwrap();
    let mut out = vec![];
    for c in 0..pl.count {
        for oy in 0..oh {
            for ox in 0..ow {
                let y0 = p.h.start(oy);
                let x0 = p.w.start(ox);
                let y1 = (y0 + p.h.kernel as isize).min((pl.h + p.h.padding) as isize);
                let x1 = (x0 + p.w.kernel as isize).min((pl.w + p.w.padding) as isize);
                let pool = (y1 - y0) * (x1 - x0);
                let (y0, x0) = (y0.max(0), x0.max(0));
                let (y1, x1) = (y1.min(pl.h as isize), x1.min(pl.w as isize));
                if y0 >= y1 || x0 >= x1 {
                    out.push(0.0);
                    continue;
                }
                let mut sum = 0.0;
                for y in y0..y1 {
                    for xx in x0..x1 {
                        sum += x[c * pl.plane_len() + y as usize * pl.w + xx as usize];
                    }
                }
                let d = div.unwrap_or(if inc {
                    pool as usize
                } else {
                    ((y1 - y0) * (x1 - x0)) as usize
                });
                out.push(sum / d as f64);
            }
        }
    }
    out
}

fn random(rng: &mut SmallRng, n: usize) -> Vec<f64> {
    (0..n).map(|_| rng.random_range(-1.0..1.0)).collect()
}

fn random_axis(rng: &mut SmallRng, n: usize, dilated: bool) -> Option<PoolAxis> {
    let k = rng.random_range(1..=4usize);
    let s = rng.random_range(1..=3usize);
    let p = rng.random_range(0..=k / 2);
    let d = if dilated { rng.random_range(1..=2) } else { 1 };
    let ax = PoolAxis::new(k, s, p, d, rng.random_bool(0.5)).ok()?;
    ax.out_len(n).ok().map(|_| ax)
}

fn close(a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!(
            (x - y).abs() <= tol || (x.is_nan() && y.is_nan()) || x == y,
            "{x} vs {y}"
        );
    }
}

/// Geometries: odd sizes, the kernel-2 stride-2 fast path, both edges.
fn cases(seed: u64, dilated: bool) -> Vec<(Planes, PoolParams)> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut out = vec![];
    let k2 = PoolAxis::new(2, 2, 0, 1, false).unwrap();
    let k2c = PoolAxis::new(2, 2, 0, 1, true).unwrap();
    for &(h, w) in &[(1, 1), (2, 2), (4, 37), (5, 40), (7, 3), (1, 70), (9, 33)] {
        let pl = Planes { count: 3, h, w };
        for (ah, aw) in [(k2, k2), (k2c, k2c), (PoolAxis::identity(), k2)] {
            if ah.out_len(h).is_ok() && aw.out_len(w).is_ok() {
                out.push((pl, PoolParams { h: ah, w: aw }));
            }
        }
        for _ in 0..12 {
            if let (Some(ah), Some(aw)) = (
                random_axis(&mut rng, h, dilated),
                random_axis(&mut rng, w, dilated),
            ) {
                out.push((pl, PoolParams { h: ah, w: aw }));
            }
        }
    }
    out
}

fn each_level(mut f: impl FnMut() + Send) {
    for isa in [Isa::Scalar, Isa::Avx2, Isa::Avx512] {
        Isa::set_cap(isa);
        f();
        threads::with_workers(Some(1), &mut f);
    }
    Isa::set_cap(Isa::Avx512);
}

#[test]
fn max_and_min_pool_match_the_reference() {
    let mut rng = SmallRng::seed_from_u64(1);
    each_level(|| {
        for (pl, p) in cases(2, true) {
            let mut x = random(&mut rng, pl.len());
            if x.len() > 5 {
                x[3] = f64::NAN;
                x[4] = x[5]; // a tie
            }
            let (oh, ow) = p.out_shape(pl.h, pl.w).unwrap();
            for (kind, max) in [(Extreme::Max, true), (Extreme::Min, false)] {
                let (want, want_i) = ref_extreme(&x, pl, &p, max);
                let mut got = vec![0.0; pl.count * oh * ow];
                pool::extreme_pool(&x, pl, &p, kind, &mut got).unwrap();
                close(&got, &want, 0.0);
                let mut gi = vec![0i64; got.len()];
                pool::extreme_pool_indices(&x, pl, &p, kind, &mut got, &mut gi).unwrap();
                close(&got, &want, 0.0);
                assert_eq!(gi, want_i, "{pl:?} {p:?}");
                // float32 agrees with float64 on values that are exact in both
                let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
                let mut g32 = vec![0f32; got.len()];
                pool::extreme_pool(&x32, pl, &p, kind, &mut g32).unwrap();
                let g32: Vec<f64> = g32.iter().map(|&v| v as f64).collect();
                let w32: Vec<f64> = want.iter().map(|&v| v as f32 as f64).collect();
                close(&g32, &w32, 0.0);
            }
        }
    });
}

#[test]
fn avg_pool_matches_the_reference() {
    let mut rng = SmallRng::seed_from_u64(3);
    each_level(|| {
        for (pl, p) in cases(4, false) {
            let x = random(&mut rng, pl.len());
            let (oh, ow) = p.out_shape(pl.h, pl.w).unwrap();
            for (inc, div) in [(true, None), (false, None), (true, Some(3))] {
                let want = ref_avg(&x, pl, &p, inc, div);
                let mut got = vec![0.0; pl.count * oh * ow];
                pool::avg_pool(&x, pl, &p, inc, div, &mut got).unwrap();
                close(&got, &want, 1e-14);
            }
        }
    });
}

/// `<backward(g), e_i> == <g, forward(e_i)>` for every input unit vector: the backward kernels
/// are the transposes of the (linear, for fixed indices) forward maps.
#[test]
fn backward_kernels_are_the_transposed_forward() {
    let mut rng = SmallRng::seed_from_u64(5);
    for (pl, p) in cases(6, false).into_iter().take(40) {
        let (oh, ow) = p.out_shape(pl.h, pl.w).unwrap();
        let g = random(&mut rng, pl.count * oh * ow);
        let mut gi = vec![0.0; pl.len()];
        pool::avg_pool_backward(&g, pl, &p, false, None, &mut gi).unwrap();
        let mut e = vec![0.0; pl.len()];
        let mut y = vec![0.0; g.len()];
        for i in 0..pl.len() {
            e[i] = 1.0;
            pool::avg_pool(&e, pl, &p, false, None, &mut y).unwrap();
            let dot: f64 = y.iter().zip(&g).map(|(a, b)| a * b).sum();
            assert!((dot - gi[i]).abs() < 1e-12, "{pl:?} {p:?}");
            e[i] = 0.0;
        }
    }
}

#[test]
fn max_pool_backward_and_unpool_scatter_at_the_indices() {
    let mut rng = SmallRng::seed_from_u64(7);
    for (pl, p) in cases(8, true) {
        let x = random(&mut rng, pl.len());
        let (want, idx) = ref_extreme(&x, pl, &p, true);
        let (oh, ow) = p.out_shape(pl.h, pl.w).unwrap();
        let g = random(&mut rng, want.len());
        let mut gi = vec![0.0; pl.len()];
        pool::extreme_pool_backward(&g, &idx, oh * ow, pl, &mut gi).unwrap();
        let mut expect = vec![0.0; pl.len()];
        for (o, (&gv, &i)) in g.iter().zip(&idx).enumerate() {
            expect[(o / (oh * ow)) * pl.plane_len() + i as usize] += gv;
        }
        close(&gi, &expect, 1e-14);
        // unpool back onto the input plane: the maxima at their places
        let opl = Planes {
            count: pl.count,
            h: oh,
            w: ow,
        };
        let mut up = vec![0.0; pl.len()];
        pool::max_unpool(&want, &idx, opl, pl.h, pl.w, &mut up).unwrap();
        for (o, (&v, &i)) in want.iter().zip(&idx).enumerate() {
            assert_eq!(up[(o / (oh * ow)) * pl.plane_len() + i as usize], v);
        }
        let mut back = vec![0.0; want.len()];
        pool::max_unpool_backward(&up, &idx, pl.plane_len(), opl, &mut back).unwrap();
        close(&back, &want, 0.0);
    }
    // an index outside the plane is an error, not a panic
    let pl = Planes {
        count: 1,
        h: 1,
        w: 2,
    };
    let mut gi = vec![0.0; 2];
    assert!(pool::extreme_pool_backward(&[1.0], &[2], 1, pl, &mut gi).is_err());
    assert!(pool::max_unpool(
        &[1.0],
        &[-1],
        Planes {
            count: 1,
            h: 1,
            w: 1
        },
        1,
        2,
        &mut gi
    )
    .is_err());
}

#[test]
fn adaptive_pool_matches_the_reference() {
    let mut rng = SmallRng::seed_from_u64(9);
    for &(h, w, oh, ow) in &[(5, 7, 3, 2), (4, 4, 8, 3), (1, 9, 1, 4), (6, 6, 1, 1)] {
        let pl = Planes { count: 2, h, w };
        let x = random(&mut rng, pl.len());
        let mut got = vec![0.0; 2 * oh * ow];
        pool::adaptive_avg_pool(&x, pl, oh, ow, &mut got).unwrap();
        for c in 0..2 {
            for oy in 0..oh {
                for ox in 0..ow {
                    let (y0, y1) = adaptive_range(oy, h, oh);
                    let (x0, x1) = adaptive_range(ox, w, ow);
                    let mut s = 0.0;
                    for y in y0..y1 {
                        for xx in x0..x1 {
                            s += x[c * h * w + y * w + xx];
                        }
                    }
                    let want = s / ((y1 - y0) * (x1 - x0)) as f64;
                    assert!((got[(c * oh + oy) * ow + ox] - want).abs() < 1e-14);
                }
            }
        }
    }
}

#[test]
fn interpolate_matches_the_reference() {
    let mut rng = SmallRng::seed_from_u64(11);
    for &(h, w, oh, ow) in &[
        (3, 3, 5, 4),
        (4, 7, 8, 14),
        (5, 5, 2, 3),
        (1, 6, 1, 13),
        (2, 1, 4, 3),
    ] {
        let pl = Planes { count: 2, h, w };
        let x = random(&mut rng, pl.len());
        let hy = ResampleAxis {
            n_in: h,
            n_out: oh,
            scale: None,
        };
        let wx = ResampleAxis {
            n_in: w,
            n_out: ow,
            scale: None,
        };
        for ac in [false, true] {
            let (ty, tx) = (linear_table::<f64>(&hy, ac), linear_table::<f64>(&wx, ac));
            let mut got = vec![0.0; 2 * oh * ow];
            resample::interpolate(
                &x,
                pl,
                hy,
                wx,
                Interp::Linear { align_corners: ac },
                true,
                &mut got,
            )
            .unwrap();
            for c in 0..2 {
                for oy in 0..oh {
                    for ox in 0..ow {
                        let at = |y: usize, xx: usize| x[c * h * w + y * w + xx];
                        let r0 = at(ty.i0[oy], tx.i0[ox]) * tx.w0[ox]
                            + at(ty.i0[oy], tx.i1[ox]) * tx.w1[ox];
                        let r1 = at(ty.i1[oy], tx.i0[ox]) * tx.w0[ox]
                            + at(ty.i1[oy], tx.i1[ox]) * tx.w1[ox];
                        let want = r0 * ty.w0[oy] + r1 * ty.w1[oy];
                        assert!((got[(c * oh + oy) * ow + ox] - want).abs() < 1e-14);
                    }
                }
            }
        }
        let (sy, sx) = (nearest_table(&hy, false), nearest_table(&wx, false));
        let mut got = vec![0.0; 2 * oh * ow];
        resample::interpolate(&x, pl, hy, wx, Interp::Nearest, true, &mut got).unwrap();
        for c in 0..2 {
            for oy in 0..oh {
                for ox in 0..ow {
                    assert_eq!(
                        got[(c * oh + oy) * ow + ox],
                        x[c * h * w + sy[oy] * w + sx[ox]]
                    );
                }
            }
        }
        // every backward is the transpose of its forward
        for mode in [
            Interp::Nearest,
            Interp::NearestExact,
            Interp::Linear {
                align_corners: false,
            },
        ] {
            let g = random(&mut rng, 2 * oh * ow);
            let mut gi = vec![0.0; pl.len()];
            resample::interpolate_backward(&g, pl, hy, wx, mode, true, &mut gi).unwrap();
            let mut e = vec![0.0; pl.len()];
            for i in 0..pl.len() {
                e[i] = 1.0;
                resample::interpolate(&e, pl, hy, wx, mode, true, &mut got).unwrap();
                let dot: f64 = got.iter().zip(&g).map(|(a, b)| a * b).sum();
                assert!((dot - gi[i]).abs() < 1e-12);
                e[i] = 0.0;
            }
        }
    }
}

#[test]
fn bed_of_nails_inserts_zeros() {
    let pl = Planes {
        count: 1,
        h: 2,
        w: 2,
    };
    let x = [1.0, 2.0, 3.0, 4.0];
    let hy = ResampleAxis {
        n_in: 2,
        n_out: 4,
        scale: None,
    };
    let wx = ResampleAxis {
        n_in: 2,
        n_out: 6,
        scale: None,
    };
    let mut out = vec![9.0; 24];
    resample::interpolate(&x, pl, hy, wx, Interp::BedOfNails, true, &mut out).unwrap();
    let want = [
        1., 0., 0., 2., 0., 0., //
        0., 0., 0., 0., 0., 0., //
        3., 0., 0., 4., 0., 0., //
        0., 0., 0., 0., 0., 0.,
    ];
    assert_eq!(out, want);
    let mut gi = vec![0.0; 4];
    resample::interpolate_backward(&want, pl, hy, wx, Interp::BedOfNails, true, &mut gi).unwrap();
    assert_eq!(gi, x);
    let bad = ResampleAxis {
        n_in: 2,
        n_out: 5,
        scale: None,
    };
    assert!(resample::interpolate(&x, pl, hy, bad, Interp::BedOfNails, true, &mut out).is_err());
}
