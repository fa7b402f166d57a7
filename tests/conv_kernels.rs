//! The convolution-layer kernels (forward, backward-data, backward-weight, transposed geometry,
//! padding, matmul) against plain reference loops, over many seeded shapes, serial and threaded.

mod common;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sigconv::cpu::matmul::{matmul, MatmulShape};
use sigconv::cpu::{conv, conv_reference as reference, pad, threads};
use sigconv::ops::conv::{conv_params, conv_transpose_params};
use sigconv::params::{Boundary, ConvParams};

fn random(rng: &mut SmallRng, n: usize) -> Vec<f64> {
    (0..n).map(|_| rng.random_range(-1.0..1.0)).collect()
}

fn to_f32(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let scale = want.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * scale,
            "{what}: element {i}: {g} vs {w}"
        );
    }
}

/// Every kernel of one geometry, in f64 (tight) and f32 (loose), on `workers` threads.
fn check(p: &ConvParams, rng: &mut SmallRng, workers: Option<usize>, what: &str) {
    let nx: usize = p.input_shape().iter().product();
    let nw: usize = p.weight_shape().iter().product();
    let ny: usize = p.output_shape().iter().product();
    let (x, w, b, dy) = (
        random(rng, nx),
        random(rng, nw),
        random(rng, p.out_channels),
        random(rng, ny),
    );
    let want_y = reference::forward(&x, &w, Some(&b), p);
    let want_dx = reference::backward_data(&dy, &w, p);
    let want_dw = reference::backward_weight(&dy, &x, p);
    let mut want_db = vec![0.0; p.out_channels];
    for (i, v) in dy.iter().enumerate() {
        want_db[(i / p.out_plane()) % p.out_channels] += v;
    }
    threads::with_workers(workers, || {
        let (mut y, mut dx, mut dw, mut db) = (
            vec![9.0; ny],
            vec![9.0; nx],
            vec![9.0; nw],
            vec![9.0; p.out_channels],
        );
        conv::forward(&x, &w, Some(&b), p, &mut y);
        conv::backward_data(&dy, &w, p, &mut dx);
        conv::backward_weight(&dy, &x, p, &mut dw);
        conv::bias_grad(&dy, p.batch, p.out_channels, &mut db);
        assert_close(&y, &want_y, 1e-12, &format!("{what} forward f64"));
        assert_close(&dx, &want_dx, 1e-12, &format!("{what} backward_data f64"));
        assert_close(&dw, &want_dw, 1e-12, &format!("{what} backward_weight f64"));
        assert_close(&db, &want_db, 1e-12, &format!("{what} bias_grad f64"));

        let (x32, w32, b32, dy32) = (to_f32(&x), to_f32(&w), to_f32(&b), to_f32(&dy));
        let (mut y, mut dx, mut dw) = (vec![9f32; ny], vec![9f32; nx], vec![9f32; nw]);
        conv::forward(&x32, &w32, Some(&b32), p, &mut y);
        conv::backward_data(&dy32, &w32, p, &mut dx);
        conv::backward_weight(&dy32, &x32, p, &mut dw);
        let up = |v: &[f32]| v.iter().map(|&x| x as f64).collect::<Vec<_>>();
        assert_close(&up(&y), &want_y, 1e-4, &format!("{what} forward f32"));
        assert_close(
            &up(&dx),
            &want_dx,
            1e-4,
            &format!("{what} backward_data f32"),
        );
        assert_close(
            &up(&dw),
            &want_dw,
            1e-4,
            &format!("{what} backward_weight f32"),
        );
    });
}

#[test]
fn conv_kernels_match_reference_loops() {
    let mut rng = SmallRng::seed_from_u64(7);
    let mut cases = 0;
    while cases < 160 {
        let Some(p) = common::random_conv_geometry(&mut rng) else {
            continue;
        };
        let workers = [Some(1), None, Some(2)][cases % 3];
        check(&p, &mut rng, workers, &format!("case {cases} {p:?}"));
        cases += 1;
    }
}

#[test]
fn depthwise_pointwise_and_large_tiles() {
    let mut rng = SmallRng::seed_from_u64(11);
    // depthwise 3x3, a 1x1 (input read in place), a plane larger than one im2col tile, and
    // batches that run one sample per thread.
    let cases = [
        (
            [4, 6, 9, 9],
            [12, 1, 3, 3],
            [1, 1],
            [(1, 1), (1, 1)],
            [1, 1],
            6,
        ),
        (
            [3, 8, 7, 5],
            [4, 8, 1, 1],
            [1, 1],
            [(0, 0), (0, 0)],
            [1, 1],
            1,
        ),
        (
            [2, 8, 7, 5],
            [4, 4, 1, 1],
            [2, 1],
            [(0, 0), (0, 0)],
            [1, 1],
            2,
        ),
        (
            [2, 3, 70, 70],
            [5, 3, 3, 3],
            [1, 1],
            [(1, 1), (1, 1)],
            [1, 1],
            1,
        ),
        (
            [5, 2, 1, 900],
            [3, 2, 1, 9],
            [1, 1],
            [(0, 0), (4, 4)],
            [1, 1],
            1,
        ),
        (
            [1, 4, 40, 40],
            [8, 4, 5, 5],
            [2, 2],
            [(2, 1), (0, 2)],
            [1, 2],
            1,
        ),
    ];
    for (i, (x, w, s, pad, d, g)) in cases.into_iter().enumerate() {
        let p = conv_params(&x, &w, s, pad, d, g).unwrap();
        for workers in [Some(1), None] {
            check(&p, &mut rng, workers, &format!("fixed case {i}"));
        }
    }
}

#[test]
fn transposed_geometry_is_the_adjoint_of_conv() {
    // conv_transpose(x) = backward_data(x) on the transposed geometry, so <conv(a), b> equals
    // <a, conv_transpose(b)> for every a, b: checked through the reference loops too.
    let mut rng = SmallRng::seed_from_u64(3);
    for (x, w, s, pd, op, d, g) in [
        (
            [2, 4, 5, 5],
            [4, 3, 3, 3],
            [2, 2],
            [1, 1],
            [1, 0],
            [1, 1],
            2,
        ),
        (
            [1, 2, 1, 7],
            [2, 3, 1, 4],
            [1, 3],
            [0, 2],
            [0, 2],
            [1, 1],
            1,
        ),
        (
            [3, 3, 4, 3],
            [3, 2, 2, 3],
            [2, 1],
            [0, 0],
            [1, 0],
            [2, 2],
            1,
        ),
    ] {
        let p = conv_transpose_params(&x, &w, s, pd, op, d, g).unwrap();
        assert_eq!(p.output_shape(), x);
        let xs = random(&mut rng, x.iter().product());
        let ws = random(&mut rng, w.iter().product());
        let mut y = vec![0.0; p.input_shape().iter().product()];
        conv::backward_data(&xs, &ws, &p, &mut y);
        assert_close(
            &y,
            &reference::backward_data(&xs, &ws, &p),
            1e-12,
            "transposed",
        );
        let a = random(&mut rng, y.len());
        let mut ca = vec![0.0; xs.len()];
        conv::forward(&a, &ws, None, &p, &mut ca);
        let lhs: f64 = ca.iter().zip(&xs).map(|(u, v)| u * v).sum();
        let rhs: f64 = a.iter().zip(&y).map(|(u, v)| u * v).sum();
        assert!(
            (lhs - rhs).abs() < 1e-9 * lhs.abs().max(1.0),
            "{lhs} vs {rhs}"
        );
    }
}

/// Plain N-d padding: every output index mapped through the boundary on each padded axis.
fn pad_reference(
    x: &[f64],
    shape: &[usize],
    pads: &[(isize, isize)],
    b: Boundary<f64>,
) -> (Vec<f64>, Vec<usize>) {
    let out_shape = pad::padded_shape(shape, pads).unwrap();
    let first = shape.len() - pads.len();
    let n: usize = out_shape.iter().product();
    let mut out = vec![0.0; n];
    for (o, v) in out.iter_mut().enumerate() {
        let (mut rem, mut src, mut fill) = (o, 0usize, false);
        let mut idx = vec![0; shape.len()];
        for a in (0..shape.len()).rev() {
            idx[a] = rem % out_shape[a];
            rem /= out_shape[a];
        }
        for a in 0..shape.len() {
            let i = if a >= first {
                match b.source_index(idx[a] as isize - pads[a - first].0, shape[a]) {
                    Some(i) => i,
                    None => {
                        fill = true;
                        0
                    }
                }
            } else {
                idx[a]
            };
            src = src * shape[a] + i;
        }
        *v = if fill { 7.5 } else { x[src] };
    }
    (out, out_shape)
}

#[test]
fn pad_and_its_adjoint_match_reference() {
    let mut rng = SmallRng::seed_from_u64(5);
    let boundaries = [
        Boundary::Fill(7.5),
        Boundary::Mirror,
        Boundary::Nearest,
        Boundary::Wrap,
    ];
    for case in 0..120 {
        let ndim = rng.random_range(1..5);
        let shape: Vec<usize> = (0..ndim).map(|_| rng.random_range(2..6)).collect();
        let np = rng.random_range(1..=ndim.min(3));
        let b = boundaries[case % 4];
        let pads: Vec<(isize, isize)> = (0..np)
            .map(|a| {
                let n = shape[ndim - np + a] as i64;
                let hi = if matches!(b, Boundary::Fill(_)) {
                    n + 2
                } else {
                    n - 1
                };
                let lo = if matches!(b, Boundary::Fill(_)) {
                    -1
                } else {
                    0
                };
                (
                    rng.random_range(lo..=hi) as isize,
                    rng.random_range(lo..=hi) as isize,
                )
            })
            .collect();
        let x = random(&mut rng, shape.iter().product());
        let (want, out_shape) = pad_reference(&x, &shape, &pads, b);
        threads::with_workers([Some(1), None][case % 2], || {
            let mut got = vec![0.0; want.len()];
            pad::pad(&x, &shape, &pads, b, &mut got).unwrap();
            assert_eq!(got, want, "case {case}: {shape:?} {pads:?} {b:?}");
            // Adjoint: <pad(x), g> == <x, pad_backward(g)>.
            let g = random(&mut rng, want.len());
            let mut dx = vec![0.0; x.len()];
            pad::pad_backward(&g, &shape, &pads, b, &mut dx).unwrap();
            let mut zero_fill = vec![0.0; want.len()];
            let b0 = if matches!(b, Boundary::Fill(_)) {
                Boundary::Fill(0.0)
            } else {
                b
            };
            pad::pad(&x, &shape, &pads, b0, &mut zero_fill).unwrap();
            let lhs: f64 = zero_fill.iter().zip(&g).map(|(u, v)| u * v).sum();
            let rhs: f64 = x.iter().zip(&dx).map(|(u, v)| u * v).sum();
            assert!(
                (lhs - rhs).abs() < 1e-9 * lhs.abs().max(1.0),
                "case {case}: {lhs} vs {rhs}"
            );
            let _ = &out_shape;
        });
    }
    assert!(pad::padded_shape(&[3], &[(-2, -2)]).is_err());
}

#[test]
fn batched_matmul_matches_loops() {
    let mut rng = SmallRng::seed_from_u64(9);
    for case in 0..60 {
        let (batch, m, k, n) = (
            rng.random_range(1..5),
            rng.random_range(1..40),
            rng.random_range(1..40),
            rng.random_range(1..40),
        );
        let (a_batched, b_batched) = (rng.random_bool(0.7), rng.random_bool(0.7));
        let (ta, tb) = (rng.random_bool(0.5), rng.random_bool(0.5));
        let s = MatmulShape {
            batch,
            m,
            k,
            n,
            a_batched,
            b_batched,
            ta,
            tb,
        };
        let a = random(&mut rng, if a_batched { batch } else { 1 } * m * k);
        let b = random(&mut rng, if b_batched { batch } else { 1 } * k * n);
        let mut want = vec![0.0; batch * m * n];
        for i in 0..batch {
            let (ao, bo) = (
                if a_batched { i * m * k } else { 0 },
                if b_batched { i * k * n } else { 0 },
            );
            for r in 0..m {
                for c in 0..n {
                    for l in 0..k {
                        let av = if ta {
                            a[ao + l * m + r]
                        } else {
                            a[ao + r * k + l]
                        };
                        let bv = if tb {
                            b[bo + c * k + l]
                        } else {
                            b[bo + l * n + c]
                        };
                        want[(i * m + r) * n + c] += av * bv;
                    }
                }
            }
        }
        threads::with_workers([Some(1), None][case % 2], || {
            let mut got = vec![9.0; want.len()];
            matmul(&a, &b, &s, &mut got);
            assert_close(&got, &want, 1e-12, &format!("matmul {s:?}"));
        });
    }
}
