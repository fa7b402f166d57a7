//! sigconv's cost model: estimated seconds of each algorithm on this code, so that `method='auto'`
//! picks the fastest. The constants were fitted to timings of sigconv's own kernels on one thread
//! of an AVX-512 machine (`benches/calibrate_cost.py` times them and refits); AVX2 and scalar
//! direct kernels scale by their lane counts. Threads divide each estimate by what that method can
//! use: all of them for direct and overlap-add tiles, the transform lines for a whole FFT (one
//! line in 1-D).

use crate::cpu::fft::{block_geometry, circular_len, next_fast_len};
use crate::cpu::simd::Isa;
use crate::cpu::threads;
use crate::params::{AxisWindow, Method};

/// Seconds per multiply-add of the direct kernels, per byte of the element (f64 takes twice f32's
/// time: half the lanes), at AVX-512 width; AVX2 and scalar scale by their lane counts.
const DIRECT_SECONDS_PER_MAC_BYTE: f64 = 8.0e-12;
/// The 2-D kernel's register blocking (four output rows share each load) against the 1-D one.
const DIRECT_2D_FACTOR: f64 = 0.6;
/// Seconds per output sample of the direct kernels beyond the multiply-adds (gathering rows,
/// writing the output).
const DIRECT_SECONDS_PER_OUTPUT: f64 = 3.9e-10;
/// Seconds per `point * log2(points)` of one float32 real N-d FFT (forward or inverse) of `points`
/// samples, while the spectrum stays in cache; float64 costs `sqrt(2)` times as much.
const FFT_SECONDS_PER_POINT_LOG: f64 = 1.9e-10;
/// Spectra beyond this many points no longer fit in cache: each doubling adds the whole cost once
/// more (measured: 2048 x 2048 takes twice what 1024 x 1024 predicts).
const FFT_CACHE_POINTS: f64 = (1 << 21) as f64;
/// Seconds per overlap-add tile and transform line beyond the transforms (allocation, gathers).
const OA_SECONDS_PER_LINE: f64 = 3.0e-7;

/// Estimated seconds of the direct method.
pub fn direct_seconds(out_shape: &[usize], k_shape: &[usize], elem_bytes: usize) -> f64 {
    let out: f64 = out_shape.iter().map(|&n| n as f64).product();
    let taps: f64 = k_shape.iter().map(|&n| n as f64).product();
    let width = match Isa::detect() {
        Isa::Avx512 => 1.0,
        Isa::Avx2 => 2.0,
        Isa::Scalar => 8.0,
    };
    let planes = out_shape.iter().filter(|&&n| n > 1).count() >= 2;
    let blocking = if planes { DIRECT_2D_FACTOR } else { 1.0 };
    out * (taps * DIRECT_SECONDS_PER_MAC_BYTE * elem_bytes as f64 * width * blocking
        + DIRECT_SECONDS_PER_OUTPUT)
}

/// Estimated seconds of one real FFT of `lens` (all axes) of `elem_bytes` elements.
fn transform_seconds(lens: &[usize], elem_bytes: usize) -> f64 {
    let n: f64 = lens.iter().map(|&n| n as f64).product();
    let precision = if elem_bytes > 4 {
        std::f64::consts::SQRT_2
    } else {
        1.0
    };
    let cache = 1.0 + (n / FFT_CACHE_POINTS).log2().max(0.0);
    n * n.log2().max(1.0) * FFT_SECONDS_PER_POINT_LOG * precision * cache
}

/// Estimated seconds of one whole-array FFT convolution (kernel, input and inverse transforms).
pub fn fft_seconds(
    x_shape: &[usize],
    k_shape: &[usize],
    windows: &[AxisWindow],
    elem_bytes: usize,
) -> f64 {
    let lens: Vec<usize> = (0..windows.len())
        .map(|i| next_fast_len(circular_len(x_shape[i], k_shape[i], windows[i])))
        .collect();
    3.0 * transform_seconds(&lens, elem_bytes)
}

/// Estimated seconds of overlap-add with output blocks of `block`.
pub fn overlap_add_seconds(
    k_shape: &[usize],
    windows: &[AxisWindow],
    block: &[usize],
    elem_bytes: usize,
) -> f64 {
    let (lens, blocks): (Vec<usize>, Vec<usize>) = block
        .iter()
        .zip(k_shape)
        .map(|(&b, &k)| block_geometry(b, k))
        .unzip();
    let tiles: f64 = windows
        .iter()
        .zip(&blocks)
        .map(|(w, &b)| w.out_len.div_ceil(b) as f64)
        .product();
    let lines: f64 = lens[..lens.len() - 1].iter().map(|&n| n as f64).product();
    (2.0 * tiles + 1.0) * transform_seconds(&lens, elem_bytes) + tiles * lines * OA_SECONDS_PER_LINE
}

/// Output block shape for overlap-add: along each axis the cheapest per output sample of the
/// candidate transform lengths (powers of two from twice the kernel), or the whole output where
/// blocks do not pay. Axes are sized one at a time (blocks of the other axes do not change which
/// length is cheapest per sample along this one, bar the per-line overhead, which favours length).
pub fn overlap_add_block(k_shape: &[usize], windows: &[AxisWindow]) -> Vec<usize> {
    let m = windows.len();
    windows
        .iter()
        .zip(k_shape)
        .enumerate()
        .map(|(i, (w, &k))| {
            let whole = w.out_len.max(1);
            let per_sample = |b: usize| {
                let (len, served) = block_geometry(b, k);
                let tiles = whole.div_ceil(served) as f64;
                let len = len as f64;
                // Along a non-last axis each tile line costs its overhead once per length unit.
                let line = if i + 1 < m { OA_SECONDS_PER_LINE } else { 0.0 };
                tiles * len * (len.log2().max(1.0) * FFT_SECONDS_PER_POINT_LOG + line)
            };
            let mut best = whole;
            let mut len = (2 * k)
                .next_power_of_two()
                .max(if m > 1 { 128 } else { 1024 });
            while len + 1 - k < whole && len <= 1 << 20 {
                let b = len + 1 - k;
                if per_sample(b) < per_sample(best) {
                    best = b;
                }
                len *= 2;
            }
            best
        })
        .collect()
}

/// The faster of the two FFT methods for these shapes, with its estimated seconds.
fn best_fft(
    x_shape: &[usize],
    k_shape: &[usize],
    windows: &[AxisWindow],
    elem_bytes: usize,
) -> (Method, f64) {
    let threads = threads::current_threads() as f64;
    // The whole transform splits over its lines (one, in 1-D); blocks split over tiles.
    let lines: f64 = (0..windows.len() - 1)
        .map(|i| next_fast_len(circular_len(x_shape[i], k_shape[i], windows[i])) as f64)
        .product();
    let whole = fft_seconds(x_shape, k_shape, windows, elem_bytes) / threads.min(lines);
    let block = overlap_add_block(k_shape, windows);
    if block.iter().zip(windows).all(|(&b, w)| b >= w.out_len) {
        return (Method::Fft, whole);
    }
    let tiles: f64 = (0..windows.len())
        .map(|i| {
            windows[i]
                .out_len
                .div_ceil(block_geometry(block[i], k_shape[i]).1) as f64
        })
        .product();
    let blocked = overlap_add_seconds(k_shape, windows, &block, elem_bytes) / threads.min(tiles);
    if blocked < whole {
        (Method::OverlapAdd, blocked)
    } else {
        (Method::Fft, whole)
    }
}

/// The faster of the two FFT methods: one whole transform or overlap-add blocks.
pub fn fastest_fft(
    x_shape: &[usize],
    k_shape: &[usize],
    windows: &[AxisWindow],
    elem_bytes: usize,
) -> Method {
    best_fft(x_shape, k_shape, windows, elem_bytes).0
}

/// The fastest of the direct, FFT and overlap-add methods for these shapes.
pub fn fastest(
    x_shape: &[usize],
    k_shape: &[usize],
    windows: &[AxisWindow],
    elem_bytes: usize,
) -> Method {
    let out_shape: Vec<usize> = windows.iter().map(|w| w.out_len).collect();
    if out_shape.contains(&0) || k_shape.contains(&0) || x_shape.contains(&0) {
        return Method::Direct;
    }
    let direct =
        direct_seconds(&out_shape, k_shape, elem_bytes) / threads::current_threads() as f64;
    let (method, fft) = best_fft(x_shape, k_shape, windows, elem_bytes);
    if direct <= fft {
        Method::Direct
    } else {
        method
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::{windows, Mode};

    #[test]
    fn short_kernels_go_direct_long_ones_to_fft() {
        let w = windows(Mode::Same, &[1_000_000], &[3]);
        assert_eq!(fastest(&[1_000_000], &[3], &w, 8), Method::Direct);
        let w = windows(Mode::Same, &[1_000_000], &[8193]);
        assert_eq!(fastest(&[1_000_000], &[8193], &w, 8), Method::OverlapAdd);
        let w = windows(Mode::Full, &[4096], &[4096]);
        assert_eq!(fastest(&[4096], &[4096], &w, 8), Method::Fft);
    }

    #[test]
    fn blocks_only_where_they_pay() {
        // A kernel as long as the input: one block, the whole output.
        let w = windows(Mode::Full, &[1000], &[1000]);
        assert_eq!(overlap_add_block(&[1000], &w), vec![1999]);
        // A short kernel on a long signal: blocks a small multiple of the kernel.
        let w = windows(Mode::Same, &[1_000_000], &[513]);
        let b = overlap_add_block(&[513], &w)[0];
        assert!((513..100_000).contains(&b), "block {b}");
    }
}
