//! The GPU convolution-layer kernels (forward, backward-data, backward-weight) against the plain
//! reference loops, over many seeded geometries (stride, asymmetric padding, dilation, groups,
//! 1-D as unit height), float32 and float64, whole batches, batches cut into chunks, and samples
//! larger than a binding cut into bands of rows. Skipped,
//! with a notice, where no adapter answers (on CI, scripts/setup.sh installs Mesa's lavapipe).
#![cfg(feature = "gpu")]

mod common;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sigconv::cpu::conv_reference as reference;
use sigconv::gpu::{self, conv};
use sigconv::ops::conv::conv_params;
use sigconv::params::ConvParams;
use sigconv::Error;
use std::sync::Mutex;

/// The binding cap is process-wide: tests that depend on it hold this lock.
static CAP: Mutex<()> = Mutex::new(());

/// Lifts the binding cap when dropped (also when a test fails while it is set).
struct CapReset;

impl Drop for CapReset {
    fn drop(&mut self) {
        gpu::set_binding_cap(None);
    }
}

fn random(rng: &mut SmallRng, n: usize) -> Vec<f64> {
    (0..n).map(|_| rng.random_range(-1.0..1.0)).collect()
}

/// |got - want| <= tol * (the reference computed on |inputs|), elementwise.
fn assert_close(got: &[f64], want: &[f64], bound: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, ((g, w), b)) in got.iter().zip(want).zip(bound).enumerate() {
        assert!(
            (g - w).abs() <= tol * (b + 1e-30),
            "{what}: element {i}: {g} vs {w} (bound {b})"
        );
    }
}

fn abs(v: &[f64]) -> Vec<f64> {
    v.iter().map(|x| x.abs()).collect()
}

/// The three passes of `p` on the GPU in `T`, against the reference in float64.
fn check<T: gpu::GpuElement + From<f32> + Into<f64>>(
    p: &ConvParams,
    rng: &mut SmallRng,
    tol: f64,
    what: &str,
) {
    let cast = |v: &[f64]| -> Vec<T> { v.iter().map(|&x| T::from(x as f32)).collect() };
    let back = |v: &[T]| -> Vec<f64> { v.iter().map(|&x| x.into()).collect() };
    let nx: usize = p.input_shape().iter().product();
    let nw: usize = p.weight_shape().iter().product();
    let ny: usize = p.output_shape().iter().product();
    // values exactly representable in T, so the reference sees the same inputs
    let round = |v: Vec<f64>| back(&cast(&v));
    let (x, w, b, dy) = (
        round(random(rng, nx)),
        round(random(rng, nw)),
        round(random(rng, p.out_channels)),
        round(random(rng, ny)),
    );
    let (ax, aw, ab, ady) = (abs(&x), abs(&w), abs(&b), abs(&dy));
    let mut y = vec![T::from(9.0); ny];
    conv::forward(&cast(&x), &cast(&w), Some(&cast(&b)), p, &mut y).unwrap();
    assert_close(
        &back(&y),
        &reference::forward(&x, &w, Some(&b), p),
        &reference::forward(&ax, &aw, Some(&ab), p),
        tol,
        &format!("{what}: forward"),
    );
    let mut dx = vec![T::from(9.0); nx];
    conv::backward_data(&cast(&dy), &cast(&w), p, &mut dx).unwrap();
    assert_close(
        &back(&dx),
        &reference::backward_data(&dy, &w, p),
        &reference::backward_data(&ady, &aw, p),
        tol,
        &format!("{what}: backward_data"),
    );
    let mut dw = vec![T::from(9.0); nw];
    conv::backward_weight(&cast(&dy), &cast(&x), p, &mut dw).unwrap();
    assert_close(
        &back(&dw),
        &reference::backward_weight(&dy, &x, p),
        &reference::backward_weight(&ady, &ax, p),
        tol,
        &format!("{what}: backward_weight"),
    );
}

#[test]
fn gpu_conv_passes_match_reference_on_seeded_geometries() {
    if !common::gpu_or_skip("gpu_conv_passes_match_reference_on_seeded_geometries") {
        return;
    }
    let mut rng = SmallRng::seed_from_u64(17);
    let mut cases = 0;
    while cases < 60 {
        if let Some(p) = common::random_conv_geometry(&mut rng) {
            check::<f32>(&p, &mut rng, 2e-6, &format!("f32 case {cases} {p:?}"));
            cases += 1;
        }
    }
}

#[test]
fn gpu_conv_float64_where_the_adapter_has_f64() {
    if !common::gpu_or_skip("gpu_conv_float64_where_the_adapter_has_f64") {
        return;
    }
    let mut rng = SmallRng::seed_from_u64(23);
    let p = conv_params(
        &[2, 4, 9, 9],
        &[6, 2, 3, 3],
        [2, 1],
        [(1, 2), (0, 1)],
        [1, 2],
        2,
    )
    .unwrap();
    if gpu::get().unwrap().summary.f64 {
        check::<f64>(&p, &mut rng, 1e-14, "f64");
    } else {
        let mut y = vec![0.0f64; p.output_shape().iter().product()];
        let nx: usize = p.input_shape().iter().product();
        let nw: usize = p.weight_shape().iter().product();
        let e = conv::forward(&vec![0.0; nx], &vec![0.0; nw], None, &p, &mut y).unwrap_err();
        assert!(matches!(e, Error::Type(m) if m.contains("float32")));
    }
}

#[test]
fn gpu_conv_wide_layers_and_batches_cut_into_chunks() {
    if !common::gpu_or_skip("gpu_conv_wide_layers_and_batches_cut_into_chunks") {
        return;
    }
    let _cap = CAP.lock().unwrap_or_else(|p| p.into_inner());
    let mut rng = SmallRng::seed_from_u64(5);
    // more output channels and positions than one 64 x 64 block, depth beyond one 16-deep step
    let wide = conv_params(
        &[3, 20, 15, 15],
        &[70, 20, 3, 3],
        [1, 1],
        [(1, 1); 2],
        [1, 1],
        1,
    );
    check::<f32>(&wide.unwrap(), &mut rng, 2e-6, "wide");
    // a deep backward-weight sum (4 x 32 x 32 positions): split-k over 4 workgroup columns
    let deep = conv_params(
        &[4, 3, 32, 32],
        &[5, 3, 3, 3],
        [1, 1],
        [(1, 1); 2],
        [1, 1],
        1,
    );
    check::<f32>(&deep.unwrap(), &mut rng, 2e-6, "split-k");
    // 8 KiB bindings: 7 samples of (6, 10, 10) float32 run 3, 3 and 1 at a time
    gpu::set_binding_cap(Some(8192));
    let p = conv_params(
        &[7, 6, 10, 10],
        &[6, 3, 3, 3],
        [1, 1],
        [(1, 1); 2],
        [1, 1],
        2,
    )
    .unwrap();
    check::<f32>(&p, &mut rng, 2e-6, "chunked");
    // one input row (30 x 100 samples) larger than the binding: refused, naming device='cpu'
    let big = conv_params(
        &[1, 30, 10, 100],
        &[1, 30, 1, 1],
        [1, 1],
        [(0, 0); 2],
        [1, 1],
        1,
    );
    let big = big.unwrap();
    let mut y = vec![0.0f32; 1000];
    let e = conv::forward(&vec![0.0; 30000], &[0.0; 30], None, &big, &mut y).unwrap_err();
    gpu::set_binding_cap(None);
    assert!(matches!(e, Error::Value(m) if m.contains("device='cpu'")));
}

#[test]
fn gpu_conv_samples_larger_than_a_binding_run_in_bands_of_rows() {
    if !common::gpu_or_skip("gpu_conv_samples_larger_than_a_binding_run_in_bands_of_rows") {
        return;
    }
    let _cap = CAP.lock().unwrap_or_else(|p| p.into_inner());
    let mut rng = SmallRng::seed_from_u64(23);
    // 8 KiB bindings (2048 float32): every sample below is larger, so each runs in bands of
    // output rows with the input rows they reach; padding beyond the kernel's reach gives bands
    // that read only padding
    let _restore = CapReset;
    gpu::set_binding_cap(Some(8192));
    let mut cases = 0;
    while cases < 24 {
        let (cin, cout, groups) =
            [(2, 3, 1), (4, 4, 2), (3, 6, 3), (1, 2, 1)][rng.random_range(0..4)];
        let (h, w) = (rng.random_range(70..120), rng.random_range(30..40));
        let (kh, kw) = (rng.random_range(1..6), rng.random_range(1..4));
        let (sh, dh) = (rng.random_range(1..4), rng.random_range(1..3));
        let ph = (rng.random_range(0..8), rng.random_range(0..8));
        let pw = rng.random_range(0..2);
        let p = conv_params(
            &[rng.random_range(1..3), cin, h, w],
            &[cout, cin / groups, kh, kw],
            [sh, 1],
            [ph, (pw, pw)],
            [dh, 1],
            groups,
        );
        let Ok(p) = p else { continue };
        assert!(cin * h * w > 2048);
        check::<f32>(&p, &mut rng, 2e-6, &format!("banded case {cases} {p:?}"));
        cases += 1;
    }
    gpu::set_binding_cap(None);
}
