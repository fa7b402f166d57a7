//! The kernels of GPU-resident tensors (`rust/gpu/{resident,elementwise,reduce,index,loss,optim}.rs`
//! and the resident conv and pooling launchers) against reference loops, over seeded shapes:
//! elementwise results equal (NaN included), sums within 1e-6 of the sum of magnitudes, the
//! cross-entropy and optimiser steps within float32 rounding of the same formulas, the resident
//! conv passes equal to the host-slice launchers. Skipped, with a notice, where no adapter answers.
#![cfg(feature = "gpu")]

mod common;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sigconv::cpu::pool::{Extreme, Planes};
use sigconv::gpu::conv as gconv;
use sigconv::gpu::elementwise::{binary, dropout_mask, select, unary, BinaryOp, UnaryOp};
use sigconv::gpu::loss::cross_entropy;
use sigconv::gpu::optim::{adam_step, sgd_step, AdamStep, SgdStep};
use sigconv::gpu::pool as gpool;
use sigconv::gpu::reduce::{reduce_axes, sum_axes, Reduction};
use sigconv::gpu::resident::{DeviceArray, Dtype};
use sigconv::params::{PoolAxis, PoolParams};

fn values(rng: &mut SmallRng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.random_range(-2.0f32..2.0)).collect()
}

fn up(v: &[f32]) -> DeviceArray {
    DeviceArray::upload(v).expect("upload")
}

fn down(a: &DeviceArray) -> Vec<f32> {
    a.download::<f32>().expect("download")
}

/// The host result of an elementwise operation.
type Reference = fn(f32, f32) -> f32;

/// The host result of an int32 elementwise operation.
type IntReference = fn(i32, i32) -> i32;

fn same(a: f32, b: f32) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

#[test]
fn elementwise_ops_equal_the_reference() {
    if !common::gpu_or_skip("elementwise_ops_equal_the_reference") {
        return;
    }
    let mut rng = SmallRng::seed_from_u64(11);
    let ops: [(BinaryOp, Reference); 13] = [
        (BinaryOp::Add, |a, b| a + b),
        (BinaryOp::Sub, |a, b| a - b),
        (BinaryOp::Mul, |a, b| a * b),
        (BinaryOp::Div, |a, b| a / b),
        (BinaryOp::Maximum, |a, b| {
            if a.is_nan() || b.is_nan() {
                f32::NAN
            } else {
                a.max(b)
            }
        }),
        (BinaryOp::Minimum, |a, b| {
            if a.is_nan() || b.is_nan() {
                f32::NAN
            } else {
                a.min(b)
            }
        }),
        (BinaryOp::Greater, |a, b| (a > b) as u8 as f32),
        (BinaryOp::GreaterEqual, |a, b| (a >= b) as u8 as f32),
        (BinaryOp::Less, |a, b| (a < b) as u8 as f32),
        (BinaryOp::LessEqual, |a, b| (a <= b) as u8 as f32),
        (BinaryOp::Equal, |a, b| (a == b) as u8 as f32),
        (BinaryOp::NotEqual, |a, b| (a != b) as u8 as f32),
        (BinaryOp::Assign, |_, b| b),
    ];
    for case in 0..24 {
        let n = rng.random_range(1..3000);
        let mut a = values(&mut rng, n);
        let scalar = case % 3 == 0;
        let mut b = values(&mut rng, if scalar { 1 } else { n });
        a[rng.random_range(0..n)] = f32::NAN;
        a[rng.random_range(0..n)] = f32::INFINITY;
        if !scalar {
            b[rng.random_range(0..n)] = f32::NAN;
        }
        let (da, db) = (up(&a), up(&b));
        for &(op, f) in &ops {
            for swap in [false, true] {
                let got = down(&binary(op, &da, &db, 1, swap).unwrap());
                for i in 0..n {
                    let (x, y) = (a[i], b[if scalar { 0 } else { i }]);
                    let want = if swap { f(y, x) } else { f(x, y) };
                    assert!(
                        same(got[i], want),
                        "{op:?} swap={swap} at {i}: {x} {y} -> {} not {want}",
                        got[i]
                    );
                }
            }
        }
    }
    let err = binary(
        BinaryOp::Add,
        &up(&[1.0, 2.0]),
        &up(&[1.0, 2.0, 3.0]),
        1,
        false,
    )
    .unwrap_err();
    assert!(err.to_string().contains("do not broadcast"), "{err}");
}

#[test]
fn sums_over_axes_match_float64_sums() {
    if !common::gpu_or_skip("sums_over_axes_match_float64_sums") {
        return;
    }
    let mut rng = SmallRng::seed_from_u64(12);
    let mut shapes: Vec<(usize, usize, usize)> = (0..30)
        .map(|_| {
            (
                rng.random_range(1..40),
                rng.random_range(1..30),
                rng.random_range(1..60),
            )
        })
        .collect();
    shapes.extend([
        (1, 1, 100_000),
        (70_000, 1, 1),
        (5000, 3, 7),
        (1, 0, 3),
        (0, 4, 2),
    ]);
    for &(outer, mid, inner) in &shapes[..8] {
        let mut x = values(&mut rng, outer * mid * inner);
        x[0] = f32::NAN; // NaN wins the maximum of its column, as numpy's
        let got = down(&reduce_axes(Reduction::Max, &up(&x), outer, mid, inner).unwrap());
        for (m, g) in got.iter().enumerate() {
            let mut want = f32::NEG_INFINITY;
            for o in 0..outer {
                for i in 0..inner {
                    let v = x[(o * mid + m) * inner + i];
                    want = if v.is_nan() || want.is_nan() {
                        f32::NAN
                    } else {
                        want.max(v)
                    };
                }
            }
            assert!(
                same(*g, want),
                "max ({outer}, {mid}, {inner}) [{m}]: {g} vs {want}"
            );
        }
    }
    for (outer, mid, inner) in shapes {
        let x = values(&mut rng, outer * mid * inner);
        let got = down(&sum_axes(&up(&x), outer, mid, inner).unwrap());
        assert_eq!(got.len(), mid);
        for m in 0..mid {
            let (mut want, mut mag) = (0f64, 0f64);
            for o in 0..outer {
                for i in 0..inner {
                    let v = x[(o * mid + m) * inner + i] as f64;
                    want += v;
                    mag += v.abs();
                }
            }
            assert!(
                (got[m] as f64 - want).abs() <= 1e-6 * mag + 1e-30,
                "({outer}, {mid}, {inner}) [{m}]: {} vs {want}",
                got[m]
            );
        }
    }
}

#[test]
fn cross_entropy_matches_the_reference() {
    if !common::gpu_or_skip("cross_entropy_matches_the_reference") {
        return;
    }
    let mut rng = SmallRng::seed_from_u64(13);
    for _ in 0..20 {
        let (rows, classes) = (rng.random_range(1..300), rng.random_range(1..20));
        let x: Vec<f32> = (0..rows * classes)
            .map(|_| rng.random_range(-30.0f32..30.0))
            .collect();
        let t: Vec<i32> = (0..rows)
            .map(|_| match rng.random_range(0..12) {
                0 => -100,
                1 => classes as i32, // out of range: NaN
                _ => rng.random_range(0..classes as i32),
            })
            .collect();
        let (loss, grad, valid) = cross_entropy(
            &up(&x),
            &DeviceArray::upload(&t).unwrap(),
            rows,
            classes,
            -100,
        )
        .unwrap();
        let (loss, grad, valid) = (down(&loss), down(&grad), down(&valid));
        for r in 0..rows {
            let row = &x[r * classes..(r + 1) * classes];
            if t[r] == -100 {
                assert!(
                    loss[r] == 0.0
                        && valid[r] == 0.0
                        && grad[r * classes..][..classes].iter().all(|&g| g == 0.0)
                );
                continue;
            }
            if t[r] as usize >= classes {
                assert!(loss[r].is_nan() && grad[r * classes].is_nan());
                continue;
            }
            let m = row.iter().fold(f64::NEG_INFINITY, |a, &v| a.max(v as f64));
            let lse = row.iter().map(|&v| (v as f64 - m).exp()).sum::<f64>().ln();
            let want = lse - (row[t[r] as usize] as f64 - m);
            assert!(
                (loss[r] as f64 - want).abs() <= 2e-5 * (1.0 + want.abs()),
                "row {r}: {} vs {want}",
                loss[r]
            );
            for c in 0..classes {
                let p = (row[c] as f64 - m - lse).exp() - (c as i32 == t[r]) as u8 as f64;
                assert!(
                    (grad[r * classes + c] as f64 - p).abs() <= 2e-6,
                    "row {r} class {c}"
                );
            }
            assert_eq!(valid[r], 1.0);
        }
    }
}

#[test]
fn optimiser_steps_follow_the_cpu_formulas() {
    if !common::gpu_or_skip("optimiser_steps_follow_the_cpu_formulas") {
        return;
    }
    let mut rng = SmallRng::seed_from_u64(14);
    let n = 777;
    for (momentum, nesterov, wd, maximize) in [
        (0.0, false, 0.0, false),
        (0.9, false, 0.01, false),
        (0.8, true, 0.0, true),
    ] {
        let mut x = values(&mut rng, n);
        let mut buf = vec![0f32; n];
        let (dx, dbuf) = (up(&x), up(&buf));
        for step in 0..3 {
            let g = values(&mut rng, n);
            let s = SgdStep {
                lr: 0.05,
                momentum,
                dampening: 0.1,
                weight_decay: wd,
                nesterov,
                maximize,
                first: step == 0,
            };
            sgd_step(&dx, &up(&g), (momentum != 0.0).then_some(&dbuf), &s).unwrap();
            for i in 0..n {
                let mut gi = if maximize { -g[i] } else { g[i] };
                gi += wd as f32 * x[i];
                if momentum != 0.0 {
                    buf[i] = if step == 0 {
                        gi
                    } else {
                        buf[i] * momentum as f32 + 0.9f32 * gi
                    };
                    gi = if nesterov {
                        gi + momentum as f32 * buf[i]
                    } else {
                        buf[i]
                    };
                }
                x[i] -= 0.05f32 * gi;
            }
            let got = down(&dx);
            for i in 0..n {
                assert!(
                    (got[i] - x[i]).abs() <= 1e-6 * (1.0 + x[i].abs()),
                    "sgd step {step} [{i}]"
                );
            }
        }
    }
    for (decoupled, amsgrad) in [(false, false), (false, true), (true, false)] {
        let mut x = values(&mut rng, n);
        let (mut m, mut v, mut vmax) = (vec![0f32; n], vec![0f32; n], vec![0f32; n]);
        let (dx, dm, dv, dvmax) = (up(&x), up(&m), up(&v), up(&vmax));
        let (b1, b2, lr, eps, wd) = (0.9f64, 0.99f64, 0.01f64, 1e-8f64, 0.05f64);
        for step in 1..4u64 {
            let g = values(&mut rng, n);
            let s = AdamStep {
                lr,
                betas: (b1, b2),
                eps,
                weight_decay: wd,
                decoupled,
                amsgrad,
                maximize: false,
                step,
            };
            adam_step(&dx, &up(&g), &dm, &dv, amsgrad.then_some(&dvmax), &s).unwrap();
            let (bc1, bc2) = (1.0 - b1.powf(step as f64), 1.0 - b2.powf(step as f64));
            for i in 0..n {
                let mut gi = g[i];
                if decoupled {
                    x[i] *= (1.0 - lr * wd) as f32;
                } else {
                    gi += wd as f32 * x[i];
                }
                m[i] = m[i] * b1 as f32 + (1.0 - b1) as f32 * gi;
                v[i] = v[i] * b2 as f32 + (1.0 - b2) as f32 * (gi * gi);
                let mut vi = v[i];
                if amsgrad {
                    vmax[i] = vmax[i].max(vi);
                    vi = vmax[i];
                }
                let denom = vi.sqrt() / bc2.sqrt() as f32 + eps as f32;
                x[i] -= (lr / bc1) as f32 * m[i] / denom;
            }
            let got = down(&dx);
            for i in 0..n {
                assert!(
                    (got[i] - x[i]).abs() <= 1e-5 * (1.0 + x[i].abs()),
                    "adam step {step} [{i}]: {} vs {}",
                    got[i],
                    x[i]
                );
            }
        }
    }
}

#[test]
fn resident_layers_equal_the_host_slice_launchers() {
    if !common::gpu_or_skip("resident_layers_equal_the_host_slice_launchers") {
        return;
    }
    let mut rng = SmallRng::seed_from_u64(15);
    let mut tried = 0;
    while tried < 25 {
        let Some(p) = common::random_conv_geometry(&mut rng) else {
            continue;
        };
        tried += 1;
        let x = values(&mut rng, p.input_shape().iter().product());
        let w = values(
            &mut rng,
            p.out_channels * p.cin_g() * p.h.kernel * p.w.kernel,
        );
        let b = values(&mut rng, p.out_channels);
        let dy = values(&mut rng, p.output_shape().iter().product());
        let mut y = vec![0f32; dy.len()];
        gconv::forward(&x, &w, Some(&b), &p, &mut y).unwrap();
        let got =
            down(&gconv::forward_resident::<f32>(&up(&x), &up(&w), Some(&up(&b)), &p).unwrap());
        assert_eq!(got, y, "forward {p:?}");
        let mut dx = vec![0f32; x.len()];
        gconv::backward_data(&dy, &w, &p, &mut dx).unwrap();
        assert_eq!(
            down(&gconv::backward_data_resident::<f32>(&up(&dy), &up(&w), &p).unwrap()),
            dx
        );
        let mut dw = vec![0f32; w.len()];
        gconv::backward_weight(&dy, &x, &p, &mut dw).unwrap();
        assert_eq!(
            down(&gconv::backward_weight_resident::<f32>(&up(&dy), &up(&x), &p).unwrap()),
            dw
        );
    }
    let planes = Planes {
        count: 6,
        h: 9,
        w: 7,
    };
    let x = values(&mut rng, planes.len());
    let axis = |k, s, p| PoolAxis::new(k, s, p, 1, true).unwrap();
    let pp = PoolParams {
        h: axis(3, 2, 1),
        w: axis(2, 2, 0),
    };
    let (oh, ow) = pp.out_shape(9, 7).unwrap();
    let mut out = vec![0f32; 6 * oh * ow];
    let mut idx = vec![0i64; out.len()];
    gpool::extreme_pool_indices(&x, planes, &pp, Extreme::Max, &mut out, &mut idx).unwrap();
    let (vals, ids) =
        gpool::extreme_pool_resident::<f32>(&up(&x), planes, &pp, Extreme::Max).unwrap();
    assert_eq!(down(&vals), out);
    let narrow: Vec<i64> = ids
        .download::<i32>()
        .unwrap()
        .into_iter()
        .map(i64::from)
        .collect();
    assert_eq!(narrow, idx);
    let g = values(&mut rng, out.len());
    let mut gi = vec![0f32; x.len()];
    gpool::extreme_pool_backward(&g, &idx, oh * ow, planes, &mut gi).unwrap();
    assert_eq!(
        down(
            &gpool::extreme_pool_backward_resident::<f32>(&up(&g), &ids, oh * ow, planes).unwrap()
        ),
        gi
    );
    let avg = gpool::Average {
        count_include_pad: false,
        divisor: None,
    };
    let mut a = vec![0f32; out.len()];
    gpool::avg_pool(&x, planes, &pp, false, None, &mut a).unwrap();
    assert_eq!(
        down(&gpool::avg_pool_resident::<f32>(&up(&x), planes, &pp, avg).unwrap()),
        a
    );
    gpool::avg_pool_backward(&g, planes, &pp, false, None, &mut gi).unwrap();
    assert_eq!(
        down(&gpool::avg_pool_backward_resident::<f32>(&up(&g), planes, &pp, avg).unwrap()),
        gi
    );
}

#[test]
fn broadcasts_functions_blocks_and_dropout_masks() {
    if !common::gpu_or_skip("broadcasts_functions_blocks_and_dropout_masks") {
        return;
    }
    let mut rng = SmallRng::seed_from_u64(16);
    // b broadcast over a viewed as (outer, mid, inner)
    for (outer, mid, inner) in [(2, 3, 20), (1, 7, 1), (5, 1, 9), (3, 4, 1)] {
        let a = values(&mut rng, outer * mid * inner);
        let b = values(&mut rng, mid);
        let got = down(&binary(BinaryOp::Sub, &up(&a), &up(&b), inner, false).unwrap());
        for (i, g) in got.iter().enumerate() {
            assert_eq!(
                *g,
                a[i] - b[(i / inner) % mid],
                "({outer}, {mid}, {inner}) [{i}]"
            );
        }
    }
    let x: Vec<f32> = (0..1000).map(|_| rng.random_range(0.01f32..4.0)).collect();
    let checks: [(UnaryOp, Reference); 5] = [
        (UnaryOp::Sqrt, |v, _| v.sqrt()),
        (UnaryOp::Exp, |v, _| v.exp()),
        (UnaryOp::Log, |v, _| v.ln()),
        (UnaryOp::Tanh, |v, _| v.tanh()),
        (UnaryOp::Abs, |v, _| v.abs()),
    ];
    for (op, f) in checks {
        let got = down(&unary(op, &up(&x)).unwrap());
        for (g, &v) in got.iter().zip(&x) {
            let want = f(v, 0.0);
            assert!(
                (g - want).abs() <= 1e-5 * want.abs() + 1e-6,
                "{op:?}({v}) = {g}, not {want}"
            );
        }
    }
    // sign (NaN stays NaN) and where, with a scalar operand
    let v = [-2.0f32, 0.0, 3.5, f32::NAN, -0.0];
    let signs = down(&unary(UnaryOp::Sign, &up(&v)).unwrap());
    assert!(signs[..3] == [-1.0, 0.0, 1.0] && signs[3].is_nan() && signs[4] == 0.0);
    let c = up(&[1.0, 0.0, 1.0, 0.0, 1.0]);
    let picked = down(&select(&c, &up(&v), &up(&[7.0])).unwrap());
    assert!(picked[0] == -2.0 && picked[1] == 7.0 && picked[2] == 3.5 && picked[3] == 7.0);
    assert!(select(&c, &up(&[1.0, 2.0]), &up(&[7.0])).is_err());
    // an axis permutation of (2, 3, 4) to (4, 2, 3), float32 and float64
    let a: Vec<f32> = (0..24).map(|v| v as f32).collect();
    let moved = down(&up(&a).permute(&[2, 3, 4], &[2, 0, 1]).unwrap());
    for (i, v) in moved.iter().enumerate() {
        let (k, rest) = (i / 6, i % 6);
        assert_eq!(
            *v,
            a[(rest / 3) * 12 + (rest % 3) * 4 + k],
            "permuted [{i}]"
        );
    }
    if sigconv::gpu::get().is_ok_and(|g| g.summary.f64) {
        let a64: Vec<f64> = a.iter().map(|&v| v as f64 + 0.25).collect();
        let moved64 = DeviceArray::upload(&a64)
            .unwrap()
            .permute(&[2, 3, 4], &[2, 0, 1])
            .unwrap();
        let expect: Vec<f64> = moved.iter().map(|&v| v as f64 + 0.25).collect();
        assert_eq!(moved64.download::<f64>().unwrap(), expect);
    }
    assert!(up(&a).permute(&[2, 3, 4], &[0, 0, 1]).is_err());
    // concatenation along axis 1 of (2, 3) and (2, 2): rows interleave
    let (p, q) = (
        up(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
        up(&[7.0, 8.0, 9.0, 10.0]),
    );
    let blocks = [(&p, 0, 0, 3), (&q, 0, 3, 2), (&p, 3, 5, 3), (&q, 2, 8, 2)];
    let cat = DeviceArray::assemble(Dtype::F32, 10, &blocks).unwrap();
    assert_eq!(
        down(&cat),
        [1.0, 2.0, 3.0, 7.0, 8.0, 4.0, 5.0, 6.0, 9.0, 10.0]
    );
    assert!(DeviceArray::assemble(Dtype::F32, 4, &[(&p, 4, 0, 3)]).is_err());
    // dropout: the kept share, the scale, and the same mask for the same seed
    let n = 100_000;
    let mask = down(&dropout_mask(n, Dtype::F32, 0.25, 42).unwrap());
    let kept = mask.iter().filter(|&&m| m != 0.0).count() as f64 / n as f64;
    assert!((kept - 0.75).abs() < 0.01, "kept {kept}");
    assert!(mask.iter().all(|&m| m == 0.0 || m == (1.0 / 0.75) as f32));
    assert_eq!(down(&dropout_mask(n, Dtype::F32, 0.25, 42).unwrap()), mask);
    assert_ne!(down(&dropout_mask(n, Dtype::F32, 0.25, 43).unwrap()), mask);
}

/// Positions of a strided view: `offset + sum of i_d * strides[d]` for every index, row-major.
fn strided_positions(shape: &[usize], strides: &[isize], offset: usize) -> Vec<usize> {
    let len: usize = shape.iter().product();
    (0..len)
        .map(|i| {
            let (mut rest, mut at) = (i, offset as isize);
            for d in (0..shape.len()).rev() {
                at += (rest % shape[d]) as isize * strides[d];
                rest /= shape[d];
            }
            at as usize
        })
        .collect()
}

#[test]
fn strided_gathers_and_scatters_equal_the_reference() {
    if !common::gpu_or_skip("strided_gathers_and_scatters_equal_the_reference") {
        return;
    }
    let f64_ok = sigconv::gpu::get().is_ok_and(|g| g.summary.f64);
    // views of a (4, 5, 6) array: a slice with steps, a reversal, a broadcast, a transpose
    let cases: [(&[usize], &[isize], usize); 5] = [
        (&[2, 3, 2], &[60, 10, 3], 1),
        (&[4, 5], &[30, -6], 24),
        (&[3, 4, 6], &[0, 30, 1], 5),
        (&[6, 5, 4], &[1, 6, 30], 0),
        (&[0, 3], &[1, 1], 0),
    ];
    let mut rng = SmallRng::seed_from_u64(21);
    let base = values(&mut rng, 120);
    for (shape, strides, offset) in cases {
        let at = strided_positions(shape, strides, offset);
        let want: Vec<f32> = at.iter().map(|&p| base[p]).collect();
        let got = up(&base).gather(shape, strides, offset).unwrap();
        assert_eq!(down(&got), want, "gather {shape:?} {strides:?}");
        let ints: Vec<i32> = base.iter().map(|&v| (v * 1000.0) as i32).collect();
        let gi = DeviceArray::upload(&ints)
            .unwrap()
            .gather(shape, strides, offset);
        let want_i: Vec<i32> = at.iter().map(|&p| ints[p]).collect();
        assert_eq!(gi.unwrap().download::<i32>().unwrap(), want_i);
        if f64_ok {
            let wide: Vec<f64> = base.iter().map(|&v| v as f64 / 3.0).collect();
            let g64 = DeviceArray::upload(&wide)
                .unwrap()
                .gather(shape, strides, offset);
            let want64: Vec<f64> = at.iter().map(|&p| wide[p]).collect();
            assert_eq!(g64.unwrap().download::<f64>().unwrap(), want64);
        }
        if strides.contains(&0) {
            continue; // a broadcast's positions repeat: no scatter
        }
        let dst = up(&base);
        let src = values(&mut rng, at.len());
        dst.scatter(&up(&src), shape, strides, offset).unwrap();
        let mut want = base.clone();
        for (v, &p) in src.iter().zip(&at) {
            want[p] = *v;
        }
        assert_eq!(down(&dst), want, "scatter {shape:?} {strides:?}");
    }
    let a = up(&base);
    assert!(a.gather(&[2], &[120], 0).is_err(), "past the end");
    assert!(a.gather(&[3], &[-1], 1).is_err(), "before the start");
    assert!(
        a.scatter(&up(&[0.0; 4]), &[2, 2], &[1, 1], 0).is_err(),
        "overlapping positions"
    );
    assert!(
        a.scatter(&up(&[0.0; 3]), &[4], &[1], 0).is_err(),
        "too few values"
    );
}

#[test]
fn takes_puts_and_segment_sums_equal_the_reference() {
    use sigconv::gpu::index::{put_axis, segment_sum, take_axis, IndexStrides};
    if !common::gpu_or_skip("takes_puts_and_segment_sums_equal_the_reference") {
        return;
    }
    let mut rng = SmallRng::seed_from_u64(22);
    let (outer, n, inner) = (3, 7, 4);
    let src = values(&mut rng, outer * n * inner);
    // take along the middle axis: one index list for every line (numpy's take), then one index
    // array shaped like the output (take_along_axis)
    let count = 5;
    let list: Vec<i32> = (0..count).map(|_| rng.random_range(0..n as i32)).collect();
    let strides = IndexStrides {
        outer: 0,
        count: 1,
        inner: 0,
    };
    let got = take_axis(
        &up(&src),
        &DeviceArray::upload(&list).unwrap(),
        [outer, n, count, inner],
        strides,
    )
    .unwrap();
    let mut want = Vec::new();
    for o in 0..outer {
        for &k in &list {
            for i in 0..inner {
                want.push(src[(o * n + k as usize) * inner + i]);
            }
        }
    }
    assert_eq!(down(&got), want);
    let along: Vec<i32> = (0..outer * inner)
        .map(|_| rng.random_range(0..n as i32))
        .collect();
    let one = IndexStrides {
        outer: inner,
        count: inner,
        inner: 1,
    };
    let idx = DeviceArray::upload(&along).unwrap();
    let picked = down(&take_axis(&up(&src), &idx, [outer, n, 1, inner], one).unwrap());
    for (t, &k) in along.iter().enumerate() {
        let (o, i) = (t / inner, t % inner);
        assert_eq!(picked[t], src[(o * n + k as usize) * inner + i]);
    }
    // put back into zeros: exactly the picked values at the picked places
    let dst = up(&vec![0.0; src.len()]);
    put_axis(&dst, &idx, &up(&picked), [outer, n, 1, inner]).unwrap();
    let mut want = vec![0.0; src.len()];
    for (t, &k) in along.iter().enumerate() {
        want[(t / inner * n + k as usize) * inner + t % inner] = picked[t];
    }
    assert_eq!(down(&dst), want);
    assert!(
        take_axis(&up(&src), &idx, [outer, n, 2, inner], one).is_err(),
        "too few indices"
    );
    assert!(put_axis(&dst, &up(&[0.0; 12]), &up(&picked), [outer, n, 1, inner]).is_err());
    // segment sums in a fixed order equal add.at's: rows 0 and 2 get two and three values
    let vals = values(&mut rng, 6 * 2);
    let order = [1, 4, 0, 2, 5, 3];
    let offsets = [0, 2, 2, 5, 6];
    let sums = down(&segment_sum(&up(&vals), &order, &offsets, 4, 2).unwrap());
    for (r, w) in offsets.windows(2).enumerate() {
        for i in 0..2 {
            let mut acc = 0.0f32;
            for &j in &order[w[0] as usize..w[1] as usize] {
                acc += vals[j as usize * 2 + i];
            }
            assert_eq!(sums[r * 2 + i], acc, "row {r}");
        }
    }
    assert!(segment_sum(&up(&vals), &order, &[0, 2, 7, 5, 6], 4, 2).is_err());
    assert!(segment_sum(&up(&vals), &[0, 9, 1, 2, 3, 4], &offsets, 4, 2).is_err());
}

#[test]
fn int32_arithmetic_sums_and_conversions_equal_the_reference() {
    use sigconv::gpu::elementwise::{float_to_int, int_to_float};
    if !common::gpu_or_skip("int32_arithmetic_sums_and_conversions_equal_the_reference") {
        return;
    }
    let mut rng = SmallRng::seed_from_u64(23);
    let a: Vec<i32> = (0..1000).map(|_| rng.random_range(-50..50)).collect();
    let b: Vec<i32> = (0..1000).map(|_| rng.random_range(-50..50)).collect();
    let (ga, gb) = (
        DeviceArray::upload(&a).unwrap(),
        DeviceArray::upload(&b).unwrap(),
    );
    let ops: [(BinaryOp, IntReference); 7] = [
        (BinaryOp::Add, |x, y| x + y),
        (BinaryOp::Sub, |x, y| x - y),
        (BinaryOp::Mul, |x, y| x * y),
        (BinaryOp::Maximum, |x, y| x.max(y)),
        (BinaryOp::Minimum, |x, y| x.min(y)),
        (BinaryOp::Equal, |x, y| (x == y) as i32),
        (BinaryOp::Greater, |x, y| (x > y) as i32),
    ];
    for (op, reference) in ops {
        let got = binary(op, &ga, &gb, 1, false).unwrap().download::<i32>();
        let want: Vec<i32> = a.iter().zip(&b).map(|(&x, &y)| reference(x, y)).collect();
        assert_eq!(got.unwrap(), want, "{op:?}");
    }
    assert!(
        binary(BinaryOp::Div, &ga, &gb, 1, false).is_err(),
        "no int true division"
    );
    // a sum over the middle axis of (10, 10, 10), and over everything
    let sums = sum_axes(&ga, 10, 10, 10)
        .unwrap()
        .download::<i32>()
        .unwrap();
    for (m, s) in sums.iter().enumerate() {
        let want: i32 = (0..1000).filter(|t| (t / 10) % 10 == m).map(|t| a[t]).sum();
        assert_eq!(*s, want, "sum {m}");
    }
    let total = sum_axes(&ga, 1, 1, 1000)
        .unwrap()
        .download::<i32>()
        .unwrap();
    assert_eq!(total, vec![a.iter().sum::<i32>()]);
    assert!(
        reduce_axes(Reduction::Max, &ga, 1, 1, 1000).is_err(),
        "ints are summed only"
    );
    let floats = int_to_float(&ga, Dtype::F32).unwrap();
    let want: Vec<f32> = a.iter().map(|&v| v as f32).collect();
    assert_eq!(down(&floats), want);
    assert!(int_to_float(&up(&[1.0]), Dtype::F32).is_err());
    // and back: toward zero; saturating beyond int32, NaN to 0
    assert_eq!(float_to_int(&floats).unwrap().download::<i32>().unwrap(), a);
    let edges = [
        -1.7f32,
        1.7,
        -0.5,
        3e9,
        -3e9,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
    ];
    let ints = float_to_int(&up(&edges))
        .unwrap()
        .download::<i32>()
        .unwrap();
    assert_eq!(ints, [-1, 1, 0, i32::MAX, i32::MIN, i32::MAX, i32::MIN, 0]);
    assert!(float_to_int(&ga).is_err());
}
