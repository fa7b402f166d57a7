//! The GPU correlation kernels against the reference loops, over many seeded shapes, every mode and
//! boundary, float32 and float64, whole and tiled. Skipped, with a notice, where no adapter answers
//! (on CI, scripts/setup.sh installs Mesa's lavapipe, so they run).
#![cfg(feature = "gpu")]

mod common;

use ndarray::{ArrayD, Axis, IxDyn};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sigconv::cpu::reference;
use sigconv::element::Element;
use sigconv::gpu::{self, GpuElement};
use sigconv::ops::convolve::convolve_on;
use sigconv::ops::device::Request;
use sigconv::params::{windows, Boundary, Method, Mode};
use sigconv::Error;
use std::sync::Mutex;

/// The binding cap is process-wide: tests that depend on it hold this lock.
static CAP: Mutex<()> = Mutex::new(());

fn random<T: From<f32>>(rng: &mut SmallRng, shape: &[usize]) -> ArrayD<T> {
    ArrayD::from_shape_fn(IxDyn(shape), |_| T::from(rng.random_range(-1.0f32..1.0)))
}

fn conv_args(mode: Mode, x: &[usize], k: &[usize]) -> (Vec<isize>, Vec<usize>) {
    let wins = windows(mode, x, k);
    let start = wins
        .iter()
        .zip(k)
        .map(|(w, &n)| w.correlation_start(n))
        .collect();
    (start, wins.iter().map(|w| w.out_len).collect())
}

fn boundaries<T: From<f32>>() -> [Boundary<T>; 6] {
    [
        Boundary::Fill(T::from(0.0)),
        Boundary::Fill(T::from(0.75)),
        Boundary::Wrap,
        Boundary::Symm,
        Boundary::Mirror,
        Boundary::Nearest,
    ]
}

/// Largest |gpu - reference| relative to the sum of |terms| scale (1 + max |reference|).
fn check<T: GpuElement + Element + From<f32> + Into<f64>>(
    x: &ArrayD<T>,
    k: &ArrayD<T>,
    start: &[isize],
    out_shape: &[usize],
    boundary: Boundary<T>,
    tol: f64,
) {
    let want = reference::correlate(x.view(), k.view(), start, out_shape, boundary);
    let mut got = vec![T::default(); want.len()];
    gpu::correlate_into(
        x.view(),
        k.view(),
        start,
        &mut got,
        out_shape,
        boundary,
        None,
    )
    .unwrap();
    let scale = 1.0 + want.iter().map(|&v| v.into().abs()).fold(0.0, f64::max);
    let taps = k.len().max(1) as f64;
    for (i, (&g, &w)) in got.iter().zip(want.iter()).enumerate() {
        let err = (g.into() - w.into()).abs();
        assert!(
            err <= tol * scale * taps.sqrt(),
            "x {:?} k {:?} start {start:?} out {out_shape:?} {boundary:?}: element {i}: \
             gpu {} reference {}",
            x.shape(),
            k.shape(),
            g.into(),
            w.into()
        );
    }
}

fn sweep<T: GpuElement + Element + From<f32> + Into<f64>>(seed: u64, tol: f64) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let sizes = [1usize, 2, 3, 5, 17, 40, 67];
    let ksizes = [1usize, 2, 3, 4, 7, 18, 33];
    for ndim in [1usize, 2] {
        for _ in 0..12 {
            let xs: Vec<usize> = (0..ndim)
                .map(|_| sizes[rng.random_range(0..sizes.len())])
                .collect();
            let ks: Vec<usize> = (0..ndim)
                .map(|_| ksizes[rng.random_range(0..ksizes.len())])
                .collect();
            let x = random::<T>(&mut rng, &xs);
            let k = random::<T>(&mut rng, &ks);
            for mode in [Mode::Full, Mode::Same, Mode::Valid] {
                if mode == Mode::Valid && xs.iter().zip(&ks).any(|(a, b)| a < b) {
                    continue;
                }
                let (start, out_shape) = conv_args(mode, &xs, &ks);
                for b in boundaries::<T>() {
                    check(&x, &k, &start, &out_shape, b, tol);
                }
            }
        }
    }
}

#[test]
fn gpu_float32_matches_reference_on_seeded_shapes() {
    if !common::gpu_or_skip("gpu_float32_matches_reference_on_seeded_shapes") {
        return;
    }
    let _cap = CAP.lock().unwrap_or_else(|p| p.into_inner());
    sweep::<f32>(1, 1e-5);
}

#[test]
fn gpu_float64_matches_reference_where_the_adapter_has_f64() {
    if !common::gpu_or_skip("gpu_float64_matches_reference_where_the_adapter_has_f64") {
        return;
    }
    let _cap = CAP.lock().unwrap_or_else(|p| p.into_inner());
    if gpu::get().unwrap().summary.f64 {
        sweep::<f64>(2, 1e-12);
    } else {
        let x = ArrayD::<f64>::zeros(IxDyn(&[4]));
        let mut out = vec![0.0; 4];
        let err = gpu::correlate_into(
            x.view(),
            x.view(),
            &[0],
            &mut out,
            &[4],
            Boundary::Wrap,
            None,
        );
        assert!(matches!(err, Err(Error::Type(m)) if m.contains("float32")));
    }
}

#[test]
fn kernel_longer_than_a_workgroup_chunk() {
    // The shaders walk kernels in chunks (256 taps in 1-D, 16 x 16 in 2-D): cross several.
    if !common::gpu_or_skip("kernel_longer_than_a_workgroup_chunk") {
        return;
    }
    let _cap = CAP.lock().unwrap_or_else(|p| p.into_inner());
    let mut rng = SmallRng::seed_from_u64(3);
    let x = random::<f32>(&mut rng, &[700]);
    let k = random::<f32>(&mut rng, &[600]);
    let (start, out) = conv_args(Mode::Full, &[700], &[600]);
    check(&x, &k, &start, &out, Boundary::Symm, 1e-5);
    let x = random::<f32>(&mut rng, &[20, 45]);
    let k = random::<f32>(&mut rng, &[35, 17]);
    let (start, out) = conv_args(Mode::Same, &[20, 45], &[35, 17]);
    check(&x, &k, &start, &out, Boundary::Wrap, 1e-5);
}

#[test]
fn tiles_with_halos_match_the_whole_array() {
    if !common::gpu_or_skip("tiles_with_halos_match_the_whole_array") {
        return;
    }
    let _cap = CAP.lock().unwrap_or_else(|p| p.into_inner());
    let mut rng = SmallRng::seed_from_u64(4);
    // 4 KiB per binding: 1024 float32, so these inputs are cut into many tiles.
    gpu::set_binding_cap(Some(4096));
    let cases: [(&[usize], &[usize]); 4] = [
        (&[5000], &[9]),
        (&[3000], &[700]),
        (&[90, 70], &[5, 3]),
        (&[40, 300], &[3, 7]),
    ];
    for (xs, ks) in cases {
        let x = random::<f32>(&mut rng, xs);
        let k = random::<f32>(&mut rng, ks);
        for mode in [Mode::Full, Mode::Same, Mode::Valid] {
            let (start, out) = conv_args(mode, xs, ks);
            for b in boundaries::<f32>() {
                check(&x, &k, &start, &out, b, 1e-5);
            }
        }
    }
    gpu::set_binding_cap(None);
}

#[test]
fn convolve_on_gpu_matches_cpu_and_flips_the_kernel() {
    if !common::gpu_or_skip("convolve_on_gpu_matches_cpu_and_flips_the_kernel") {
        return;
    }
    let _cap = CAP.lock().unwrap_or_else(|p| p.into_inner());
    let mut rng = SmallRng::seed_from_u64(5);
    let x = random::<f32>(&mut rng, &[13, 21]);
    let k = random::<f32>(&mut rng, &[4, 3]);
    for mode in [Mode::Full, Mode::Same, Mode::Valid] {
        let shape = sigconv::ops::convolve::output_shape(mode, x.shape(), k.shape()).unwrap();
        let mut cpu = ArrayD::<f32>::zeros(IxDyn(&shape));
        let mut gpu_out = cpu.clone();
        for (req, out) in [(Request::Cpu, &mut cpu), (Request::Gpu, &mut gpu_out)] {
            convolve_on(
                req,
                x.view(),
                k.view(),
                mode,
                Boundary::Symm,
                Method::Direct,
                None,
                out.view_mut(),
            )
            .unwrap();
        }
        let err = cpu
            .iter()
            .zip(&gpu_out)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(err < 1e-5, "{mode:?}: {err}");
    }
    // int64 has no GPU kernel: a TypeError naming float32.
    let xi = ArrayD::<i64>::zeros(IxDyn(&[5]));
    let mut oi = ArrayD::<i64>::zeros(IxDyn(&[9]));
    let err = convolve_on(
        Request::Gpu,
        xi.view(),
        xi.view(),
        Mode::Full,
        Boundary::Fill(0),
        Method::Direct,
        None,
        oi.view_mut(),
    );
    assert!(matches!(err, Err(Error::Type(m)) if m.contains("float32")));
}

#[test]
fn gpu_refuses_more_than_two_dimensions_with_a_value_error() {
    if !common::gpu_or_skip("gpu_refuses_more_than_two_dimensions_with_a_value_error") {
        return;
    }
    let x = ArrayD::<f32>::zeros(IxDyn(&[3, 3, 3]));
    let mut out = vec![0.0f32; 27];
    let err = gpu::correlate_into(
        x.view(),
        x.view(),
        &[-1, -1, -1],
        &mut out,
        &[3, 3, 3],
        Boundary::Fill(0.0),
        None,
    );
    assert!(matches!(err, Err(Error::Value(m)) if m.contains("1-D and 2-D")));
    // Length-1 axes are dropped: a (1, 5, 1) signal is 1-D.
    let x = ArrayD::<f32>::ones(IxDyn(&[1, 5, 1]));
    let k = ArrayD::<f32>::ones(IxDyn(&[1, 2, 1]));
    let mut out = vec![0.0f32; 6];
    gpu::correlate_into(
        x.view(),
        k.view(),
        &[0, -1, 0],
        &mut out,
        &[1, 6, 1],
        Boundary::Fill(0.0),
        None,
    )
    .unwrap();
    assert_eq!(out, vec![1.0, 2.0, 2.0, 2.0, 2.0, 1.0]);
}

#[test]
fn flipped_kernel_is_convolution() {
    // A golden case: scipy.signal.convolve([1, 2, 3], [0, 1, 0.5]) -> [0, 1, 2.5, 4, 1.5]
    if !common::gpu_or_skip("flipped_kernel_is_convolution") {
        return;
    }
    let x = ArrayD::from_shape_vec(IxDyn(&[3]), vec![1.0f32, 2.0, 3.0]).unwrap();
    let k = ArrayD::from_shape_vec(IxDyn(&[3]), vec![0.0f32, 1.0, 0.5]).unwrap();
    let mut f = k.view();
    f.invert_axis(Axis(0));
    let mut out = vec![0.0f32; 5];
    gpu::correlate_into(
        x.view(),
        f,
        &[-2],
        &mut out,
        &[5],
        Boundary::Fill(0.0),
        None,
    )
    .unwrap();
    assert_eq!(out, vec![0.0, 1.0, 2.5, 4.0, 1.5]);
}
