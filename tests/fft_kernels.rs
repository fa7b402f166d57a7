//! The FFT kernels (whole array and overlap-add) against the reference loops, over many seeded
//! shapes: every mode, kernels longer than the input, length-1 axes, transforms over some axes with
//! the others broadcast, and blocks of every size down to one sample.

use ndarray::{ArrayD, Axis, IxDyn, Zip};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sigconv::cpu::{fft, reference, threads};
use sigconv::ops;
use sigconv::params::{windows, Boundary, Method, Mode};

fn random(rng: &mut SmallRng, shape: &[usize]) -> ArrayD<f64> {
    ArrayD::from_shape_fn(IxDyn(shape), |_| rng.random_range(-1.0..1.0))
}

/// True convolution over every axis by the reference loops.
fn reference_convolve(x: &ArrayD<f64>, k: &ArrayD<f64>, mode: Mode) -> ArrayD<f64> {
    let wins = windows(mode, x.shape(), k.shape());
    let start: Vec<isize> = wins
        .iter()
        .zip(k.shape())
        .map(|(w, &n)| w.correlation_start(n))
        .collect();
    let shape: Vec<usize> = wins.iter().map(|w| w.out_len).collect();
    let mut kf = k.view();
    for d in 0..kf.ndim() {
        kf.invert_axis(Axis(d));
    }
    reference::correlate(x.view(), kf, &start, &shape, Boundary::Fill(0.0))
}

fn assert_close(got: &ArrayD<f64>, want: &ArrayD<f64>, what: &str) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    let scale = want.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    let err = got
        .iter()
        .zip(want)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    assert!(err <= 1e-12 * scale * 100.0, "{what}: error {err:e}");
}

fn shape(rng: &mut SmallRng, ndim: usize, sizes: &[usize]) -> Vec<usize> {
    (0..ndim)
        .map(|_| sizes[rng.random_range(0..sizes.len())])
        .collect()
}

#[test]
fn whole_and_blocked_match_the_reference_on_all_axes() {
    let mut rng = SmallRng::seed_from_u64(7);
    for case in 0..120 {
        let ndim = 1 + case % 3;
        let sizes: &[usize] = if ndim < 3 {
            &[1, 2, 3, 5, 8, 17, 31, 64, 101]
        } else {
            &[1, 2, 3, 5, 8]
        };
        let (xs, ks) = (
            shape(&mut rng, ndim, sizes),
            shape(&mut rng, ndim, &[1, 2, 3, 4, 7, 9, 16]),
        );
        let (x, k) = (random(&mut rng, &xs), random(&mut rng, &ks));
        for mode in [Mode::Full, Mode::Same, Mode::Valid] {
            if mode == Mode::Valid && xs.iter().zip(&ks).any(|(a, b)| a < b) {
                continue;
            }
            let want = reference_convolve(&x, &k, mode);
            let wins = windows(mode, &xs, &ks);
            let axes: Vec<usize> = (0..ndim).collect();
            let whole = fft::convolve(x.view(), k.view(), &axes, &wins, None);
            assert_close(&whole, &want, &format!("whole {xs:?} * {ks:?} {mode:?}"));
            for b in [1, 2, 5, 13] {
                let block = vec![b; ndim];
                let blocked = fft::convolve(x.view(), k.view(), &axes, &wins, Some(&block));
                assert_close(
                    &blocked,
                    &want,
                    &format!("blocks {b}: {xs:?} * {ks:?} {mode:?}"),
                );
            }
        }
    }
}

#[test]
fn some_axes_convolved_the_others_broadcast() {
    let mut rng = SmallRng::seed_from_u64(11);
    for case in 0..60 {
        // (batch, n) * (1 or batch, k) over axis 1, and (n, batch) * (k, 1) over axis 0.
        let batch = 1 + case % 4;
        let n = [3, 8, 20, 33][case % 4];
        let kn = [1, 2, 5, 9][(case / 4) % 4];
        let kb = if case % 2 == 0 { 1 } else { batch };
        let conv_axis = case % 2;
        let (xs, ks) = if conv_axis == 1 {
            (vec![batch, n], vec![kb, kn])
        } else {
            (vec![n, batch], vec![kn, kb])
        };
        let (x, k) = (random(&mut rng, &xs), random(&mut rng, &ks));
        for mode in [Mode::Full, Mode::Same, Mode::Valid] {
            let wins = windows(mode, &[n], &[kn]);
            // Reference: each broadcast position convolved on its own, in 1-D.
            let mut want_shape = xs.clone();
            want_shape[conv_axis] = wins[0].out_len;
            let mut want = ArrayD::zeros(IxDyn(&want_shape));
            let other = 1 - conv_axis;
            for (b, mut lane) in want.axis_iter_mut(Axis(other)).enumerate() {
                let xl = x.index_axis(Axis(other), b).to_owned().into_dyn();
                let kl = k
                    .index_axis(Axis(other), b.min(ks[other] - 1))
                    .to_owned()
                    .into_dyn();
                lane.assign(&reference_convolve(&xl, &kl, mode));
            }
            for block in [None, Some(vec![4])] {
                let got = fft::convolve(x.view(), k.view(), &[conv_axis], &wins, block.as_deref());
                assert_close(
                    &got,
                    &want,
                    &format!("{xs:?} * {ks:?} axis {conv_axis} {mode:?}"),
                );
            }
        }
    }
}

#[test]
fn long_signals_threaded_and_serial_agree() {
    let mut rng = SmallRng::seed_from_u64(3);
    let x = random(&mut rng, &[200_000]);
    let k = random(&mut rng, &[257]);
    let wins = windows(Mode::Same, x.shape(), k.shape());
    let threaded = fft::convolve(x.view(), k.view(), &[0], &wins, Some(&[1000]));
    let serial = threads::with_workers(Some(1), || {
        fft::convolve(x.view(), k.view(), &[0], &wins, Some(&[1000]))
    });
    let whole = fft::convolve(x.view(), k.view(), &[0], &wins, None);
    assert_close(&threaded, &serial, "threaded vs serial");
    assert_close(&whole, &serial, "whole vs blocked");
    // And one stretch against the reference.
    let direct = ops::convolve(
        x.view(),
        k.view(),
        Mode::Same,
        Boundary::Fill(0.0),
        Method::Direct,
        None,
    )
    .unwrap();
    assert_close(&whole, &direct, "whole vs direct");
}

#[test]
fn float32_is_computed_in_float32_to_its_precision() {
    let mut rng = SmallRng::seed_from_u64(5);
    let x = random(&mut rng, &[300, 200]);
    let k = random(&mut rng, &[15, 15]);
    let want = reference_convolve(&x, &k, Mode::Same);
    let (x32, k32) = (x.mapv(|v| v as f32), k.mapv(|v| v as f32));
    let wins = windows(Mode::Same, x.shape(), k.shape());
    for block in [None, Some(vec![64, 64])] {
        let got = fft::convolve(x32.view(), k32.view(), &[0, 1], &wins, block.as_deref());
        let mut err = 0.0f64;
        Zip::from(&got)
            .and(&want)
            .for_each(|&a, &b| err = err.max((a as f64 - b).abs()));
        assert!(err < 1e-4, "float32 error {err:e}");
    }
}

#[test]
fn ops_pick_fft_for_long_kernels_and_match_direct() {
    let mut rng = SmallRng::seed_from_u64(9);
    let x = random(&mut rng, &[50_000]);
    let k = random(&mut rng, &[2001]);
    for method in [Method::Auto, Method::Fft, Method::OverlapAdd] {
        let got = ops::convolve(
            x.view(),
            k.view(),
            Mode::Full,
            Boundary::Fill(0.0),
            method,
            None,
        )
        .unwrap();
        let want = ops::convolve(
            x.view(),
            k.view(),
            Mode::Full,
            Boundary::Fill(0.0),
            Method::Direct,
            None,
        )
        .unwrap();
        assert_close(&got, &want, &format!("{method:?}"));
    }
}
