//! Every direct kernel against the reference loops, over many seeded shapes, on every SIMD level.

use ndarray::{ArrayD, Axis, IxDyn};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sigconv::cpu::simd::Isa;
use sigconv::cpu::{direct, reference, threads};
use sigconv::params::{windows, Boundary, Mode};

fn random_f64(rng: &mut SmallRng, shape: &[usize]) -> ArrayD<f64> {
    ArrayD::from_shape_fn(IxDyn(shape), |_| rng.random_range(-1.0..1.0))
}

/// The correlation geometry of a true convolution in `mode`: flipped kernel and start offsets.
fn conv_args(mode: Mode, x: &[usize], k: &[usize]) -> (Vec<isize>, Vec<usize>) {
    let wins = windows(mode, x, k);
    let start = wins
        .iter()
        .zip(k)
        .map(|(w, &n)| w.correlation_start(n))
        .collect();
    (start, wins.iter().map(|w| w.out_len).collect())
}

fn flipped<T: Clone>(k: &ArrayD<T>) -> ArrayD<T> {
    let mut f = k.view();
    for d in 0..f.ndim() {
        f.invert_axis(Axis(d));
    }
    f.to_owned()
}

fn max_abs_diff(a: &ArrayD<f64>, b: &ArrayD<f64>) -> f64 {
    assert_eq!(a.shape(), b.shape());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// Shapes that exercise the edge cases: odd sizes, kernels longer than the input, length-1 axes,
/// widths that leave SIMD tails of every length.
fn shapes(rng: &mut SmallRng, ndim: usize) -> (Vec<usize>, Vec<usize>) {
    // Long axes (SIMD blocks of every width) only where the reference loops stay quick.
    let sizes: &[usize] = if ndim < 3 {
        &[1, 2, 3, 5, 8, 17, 31, 40, 75, 150]
    } else {
        &[1, 2, 3, 5, 8]
    };
    let x: Vec<usize> = (0..ndim)
        .map(|_| sizes[rng.random_range(0..sizes.len())])
        .collect();
    let k: Vec<usize> = (0..ndim)
        .map(|_| [1, 2, 3, 4, 5, 7, 9][rng.random_range(0..7)])
        .collect();
    (x, k)
}

fn check_against_reference(isa: Isa, seed: u64) {
    Isa::set_cap(isa);
    let mut rng = SmallRng::seed_from_u64(seed);
    for case in 0..150 {
        let ndim = 1 + case % 3;
        let (xs, ks) = shapes(&mut rng, ndim);
        let x = random_f64(&mut rng, &xs);
        let k = random_f64(&mut rng, &ks);
        let boundaries = [
            Boundary::Fill(0.0),
            Boundary::Fill(1.5),
            Boundary::Wrap,
            Boundary::Symm,
        ];
        for mode in [Mode::Full, Mode::Same, Mode::Valid] {
            if mode == Mode::Valid && xs.iter().zip(&ks).any(|(a, b)| a < b) {
                continue;
            }
            let (start, out_shape) = conv_args(mode, &xs, &ks);
            let kf = flipped(&k);
            for boundary in boundaries {
                let want = reference::correlate(x.view(), kf.view(), &start, &out_shape, boundary);
                let got = direct::correlate(x.view(), kf.view(), &start, &out_shape, boundary);
                let err = max_abs_diff(&got, &want);
                assert!(
                    err < 1e-12,
                    "{isa:?} {mode:?} {boundary:?} x{xs:?} k{ks:?}: error {err}"
                );

                let x32 = x.mapv(|v| v as f32);
                let k32 = kf.mapv(|v| v as f32);
                let b32 = match boundary {
                    Boundary::Fill(v) => Boundary::Fill(v as f32),
                    Boundary::Wrap => Boundary::Wrap,
                    Boundary::Symm => Boundary::Symm,
                    Boundary::Mirror => Boundary::Mirror,
                    Boundary::Nearest => Boundary::Nearest,
                };
                let got32 = direct::correlate(x32.view(), k32.view(), &start, &out_shape, b32);
                let err32 = max_abs_diff(&got32.mapv(f64::from), &want);
                let scale = (ks.iter().product::<usize>() as f64).max(1.0);
                assert!(
                    err32 < 1e-5 * scale,
                    "f32 {isa:?} {mode:?} x{xs:?} k{ks:?}: error {err32}"
                );
            }
        }
    }
}

#[test]
fn direct_matches_reference_scalar() {
    check_against_reference(Isa::Scalar, 1);
}

#[test]
fn direct_matches_reference_avx2() {
    check_against_reference(Isa::Avx2, 2);
}

#[test]
fn direct_matches_reference_avx512() {
    check_against_reference(Isa::Avx512, 3);
}

#[test]
fn integers_wrap_exactly_like_reference() {
    let mut rng = SmallRng::seed_from_u64(7);
    for _ in 0..40 {
        let (xs, ks) = shapes(&mut rng, 2);
        let x = ArrayD::from_shape_fn(IxDyn(&xs), |_| rng.random_range(i64::MIN / 2..i64::MAX / 2));
        let k = ArrayD::from_shape_fn(IxDyn(&ks), |_| rng.random_range(-1000..1000i64));
        let (start, out_shape) = conv_args(Mode::Full, &xs, &ks);
        for boundary in [Boundary::Fill(3), Boundary::Wrap, Boundary::Symm] {
            let want = reference::correlate(x.view(), k.view(), &start, &out_shape, boundary);
            let got = direct::correlate(x.view(), k.view(), &start, &out_shape, boundary);
            assert_eq!(got, want);
        }
    }
}

#[test]
fn large_inputs_split_across_threads_match_serial() {
    // Big enough to cross the parallel threshold: row blocks (2-D), segments (1-D), planes (3-D).
    let mut rng = SmallRng::seed_from_u64(11);
    for (xs, ks) in [
        (vec![300_001], vec![33]),
        (vec![301, 257], vec![7, 5]),
        (vec![9, 64, 70], vec![3, 3, 3]),
    ] {
        let x = random_f64(&mut rng, &xs);
        let k = random_f64(&mut rng, &ks);
        let (start, out_shape) = conv_args(Mode::Same, &xs, &ks);
        let parallel =
            direct::correlate(x.view(), k.view(), &start, &out_shape, Boundary::Fill(0.0));
        let serial = threads::with_workers(Some(1), || {
            direct::correlate(x.view(), k.view(), &start, &out_shape, Boundary::Fill(0.0))
        });
        assert_eq!(parallel, serial, "x{xs:?} k{ks:?}");
        if xs.len() > 1 {
            let want =
                reference::correlate(x.view(), k.view(), &start, &out_shape, Boundary::Fill(0.0));
            assert!(max_abs_diff(&parallel, &want) < 1e-12);
        }
    }
}

#[test]
fn strided_and_reversed_views() {
    let mut rng = SmallRng::seed_from_u64(5);
    let x = random_f64(&mut rng, &[20, 30]);
    let k = random_f64(&mut rng, &[3, 4]);
    let mut xv = x.view();
    xv.invert_axis(Axis(1));
    let xv = xv.slice_move(ndarray::s![..;2, ..]).into_dyn();
    let (start, out_shape) = conv_args(Mode::Full, xv.shape(), k.shape());
    let want = reference::correlate(xv.view(), k.view(), &start, &out_shape, Boundary::Symm);
    let got = direct::correlate(xv.view(), k.view(), &start, &out_shape, Boundary::Symm);
    assert!(max_abs_diff(&got, &want) < 1e-12);
}

#[test]
fn empty_input_gives_fill() {
    let x = ArrayD::<f64>::zeros(IxDyn(&[0, 3]));
    let k = ArrayD::<f64>::ones(IxDyn(&[2, 2]));
    let out = direct::correlate(x.view(), k.view(), &[-1, -1], &[0, 3], Boundary::Wrap);
    assert_eq!(out.shape(), &[0, 3]);
}

#[test]
fn length_one_axes_take_the_1d_path() {
    // (1, n) and (n, 1, 1) signals: the squeezed path must equal the reference.
    let mut rng = SmallRng::seed_from_u64(13);
    for (xs, ks) in [
        (vec![1, 5000], vec![1, 9]),
        (vec![3000, 1, 1], vec![5, 1, 1]),
    ] {
        let x = random_f64(&mut rng, &xs);
        let k = random_f64(&mut rng, &ks);
        for mode in [Mode::Full, Mode::Same, Mode::Valid] {
            let (start, out_shape) = conv_args(mode, &xs, &ks);
            for boundary in [Boundary::Fill(0.5), Boundary::Wrap, Boundary::Symm] {
                let want = reference::correlate(x.view(), k.view(), &start, &out_shape, boundary);
                let got = direct::correlate(x.view(), k.view(), &start, &out_shape, boundary);
                assert!(
                    max_abs_diff(&got, &want) < 1e-12,
                    "x{xs:?} {mode:?} {boundary:?}"
                );
            }
        }
    }
}
