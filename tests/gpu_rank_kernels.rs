//! The GPU order-statistic kernels (minimum/maximum passes, rank filters over 2-D planes) against
//! the CPU kernels through the ops layer, over many seeded shapes, windows, origins and every
//! boundary, with NaN. Comparisons round nothing, so the results must be equal. Skipped, with a
//! notice, where no adapter answers (on CI, scripts/setup.sh installs Mesa's lavapipe).
#![cfg(feature = "gpu")]

mod common;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sigconv::ops::device::Request;
use sigconv::ops::ndfilter::{
    filter_passes, filter_passes_on, rank_filter, rank_filter_on, Pass, PassOp,
};
use sigconv::params::Boundary;

fn boundary(rng: &mut SmallRng) -> Boundary<f32> {
    match rng.random_range(0..6) {
        0 => Boundary::Fill(0.75),
        1 => Boundary::Fill(f32::NAN),
        2 => Boundary::Wrap,
        3 => Boundary::Symm,
        4 => Boundary::Mirror,
        _ => Boundary::Nearest,
    }
}

fn random_input(rng: &mut SmallRng, shape: &[usize]) -> Vec<f32> {
    let n: usize = shape.iter().product();
    let mut x: Vec<f32> = (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect();
    if n > 0 && rng.random_bool(0.3) {
        let at = rng.random_range(0..n);
        x[at] = f32::NAN;
    }
    x
}

fn random_shape(rng: &mut SmallRng) -> Vec<usize> {
    let nd = rng.random_range(1..4);
    (0..nd).map(|_| rng.random_range(1..14)).collect()
}

/// Equal, NaN where NaN.
fn assert_same(gpu: &[f32], cpu: &[f32], what: &str) {
    for (i, (g, c)) in gpu.iter().zip(cpu).enumerate() {
        assert!(
            g == c || (g.is_nan() && c.is_nan()),
            "{what}: sample {i}: {g} vs {c}"
        );
    }
}

#[test]
fn gpu_min_max_passes_equal_cpu() {
    if !common::gpu_or_skip("gpu_min_max_passes_equal_cpu") {
        return;
    }
    let mut rng = SmallRng::seed_from_u64(31);
    for case in 0..80 {
        let shape = random_shape(&mut rng);
        let x = random_input(&mut rng, &shape);
        let passes: Vec<Pass<f32>> = (0..rng.random_range(1..3))
            .map(|_| {
                let k = rng.random_range(1..8);
                Pass {
                    axis: rng.random_range(0..shape.len()),
                    op: if rng.random_bool(0.5) {
                        PassOp::Max(k)
                    } else {
                        PassOp::Min(k)
                    },
                    start: rng.random_range(-(k as i64)..2) as isize,
                    boundary: boundary(&mut rng),
                }
            })
            .collect();
        let (mut cpu, mut gpu) = (vec![0.0; x.len()], vec![0.0; x.len()]);
        filter_passes(&x, &shape, &passes, &mut cpu).unwrap();
        filter_passes_on(Request::Gpu, &x, &shape, &passes, &mut gpu, None).unwrap();
        assert_same(&gpu, &cpu, &format!("case {case}: {shape:?} {passes:?}"));
    }
}

#[test]
fn gpu_rank_filters_equal_cpu() {
    if !common::gpu_or_skip("gpu_rank_filters_equal_cpu") {
        return;
    }
    let mut rng = SmallRng::seed_from_u64(37);
    for case in 0..80 {
        let shape = random_shape(&mut rng);
        let nd = shape.len();
        let x = random_input(&mut rng, &shape);
        // a footprint over the last one or two axes, length 1 (origin 0) along the others
        let mut fshape = vec![1; nd];
        fshape[nd - 1] = rng.random_range(1..8);
        if nd >= 2 {
            fshape[nd - 2] = rng.random_range(1..8);
        }
        let footprint: Vec<bool> = loop {
            let f: Vec<bool> = (0..fshape.iter().product::<usize>())
                .map(|_| rng.random_bool(0.7))
                .collect();
            if f.iter().any(|&v| v) {
                break f;
            }
        };
        let count = footprint.iter().filter(|&&v| v).count();
        let rank = rng.random_range(0..count);
        let start: Vec<isize> = fshape
            .iter()
            .map(|&k| {
                if k == 1 {
                    0
                } else {
                    rng.random_range(-(k as i64)..1) as isize
                }
            })
            .collect();
        let b = boundary(&mut rng);
        let (mut cpu, mut gpu) = (vec![0.0; x.len()], vec![0.0; x.len()]);
        rank_filter(&x, &shape, &footprint, &fshape, rank, &start, b, &mut cpu).unwrap();
        rank_filter_on(
            Request::Gpu,
            &x,
            &shape,
            &footprint,
            &fshape,
            rank,
            &start,
            b,
            &mut gpu,
            None,
        )
        .unwrap();
        assert_same(
            &gpu,
            &cpu,
            &format!("case {case}: {shape:?} {fshape:?} rank {rank} {b:?}"),
        );
    }
}
