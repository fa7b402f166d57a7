//! sigconv's cost model: estimated seconds of each algorithm on this code, so that `method='auto'`
//! picks the fastest. The constants were fitted to timings of sigconv's own kernels (AVX-512 and
//! AVX2 machines, one thread; `benches/calibrate_cost.py` refits them); threads divide every
//! estimate alike, so they do not change the choice.

use crate::cpu::fft::{block_geometry, circular_len, next_fast_len};
use crate::cpu::simd::Isa;
use crate::params::{AxisWindow, Method};

/// Seconds per multiply-add of the direct kernels, per byte of the element (f64 takes twice f32's
/// time: half the lanes), at AVX-512 width; AVX2 and scalar scale by their lane counts.
const DIRECT_SECONDS_PER_MAC_BYTE: f64 = 1.6e-11;
/// Seconds per output sample of the direct kernels beyond the multiply-adds (gathering rows,
/// writing the output).
const DIRECT_SECONDS_PER_OUTPUT: f64 = 1.0e-9;
/// Seconds per `point * log2(points)` of one real N-d FFT (forward or inverse) of `points` samples.
const FFT_SECONDS_PER_POINT_LOG: f64 = 1.1e-10;
/// Seconds per sample of the per-transform passes (zero padding, gathers, multiply, crop).
const FFT_SECONDS_PER_POINT: f64 = 2.5e-9;

/// Estimated seconds of the direct method.
pub fn direct_seconds(out_shape: &[usize], k_shape: &[usize], elem_bytes: usize) -> f64 {
    let out: f64 = out_shape.iter().map(|&n| n as f64).product();
    let taps: f64 = k_shape.iter().map(|&n| n as f64).product();
    let width = match Isa::detect() {
        Isa::Avx512 => 1.0,
        Isa::Avx2 => 2.0,
        Isa::Scalar => 8.0,
    };
    out * (taps * DIRECT_SECONDS_PER_MAC_BYTE * elem_bytes as f64 * width
        + DIRECT_SECONDS_PER_OUTPUT)
}

/// Estimated seconds of one real FFT of `lens` (all axes) and its share of the passes around it.
fn transform_seconds(lens: &[usize]) -> f64 {
    let n: f64 = lens.iter().map(|&n| n as f64).product();
    n * (n.log2().max(1.0) * FFT_SECONDS_PER_POINT_LOG + FFT_SECONDS_PER_POINT)
}

/// Estimated seconds of one whole-array FFT convolution (kernel, input and inverse transforms).
pub fn fft_seconds(x_shape: &[usize], k_shape: &[usize], windows: &[AxisWindow]) -> f64 {
    let lens: Vec<usize> = (0..windows.len())
        .map(|i| next_fast_len(circular_len(x_shape[i], k_shape[i], windows[i])))
        .collect();
    3.0 * transform_seconds(&lens)
}

/// Estimated seconds of overlap-add with output blocks of `block`.
pub fn overlap_add_seconds(k_shape: &[usize], windows: &[AxisWindow], block: &[usize]) -> f64 {
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
    (2.0 * tiles + 1.0) * transform_seconds(&lens)
}

/// Output block shape for overlap-add: along each axis the cheapest per output sample of a few
/// candidate transform lengths (powers of two from twice the kernel), or the whole output where
/// blocks do not pay.
pub fn overlap_add_block(k_shape: &[usize], windows: &[AxisWindow]) -> Vec<usize> {
    windows
        .iter()
        .zip(k_shape)
        .map(|(w, &k)| {
            let whole = w.out_len.max(1);
            let per_sample = |b: usize| {
                let (len, served) = block_geometry(b, k);
                let tiles = whole.div_ceil(served) as f64;
                let log = (len as f64).log2().max(1.0);
                tiles * len as f64 * (log * FFT_SECONDS_PER_POINT_LOG + FFT_SECONDS_PER_POINT)
            };
            let mut best = whole;
            let mut len = (2 * k).next_power_of_two().max(64);
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

/// The faster of the two FFT methods: one whole transform or overlap-add blocks.
pub fn fastest_fft(x_shape: &[usize], k_shape: &[usize], windows: &[AxisWindow]) -> Method {
    let block = overlap_add_block(k_shape, windows);
    let blocked = block.iter().zip(windows).any(|(&b, w)| b < w.out_len);
    if blocked
        && overlap_add_seconds(k_shape, windows, &block) < fft_seconds(x_shape, k_shape, windows)
    {
        Method::OverlapAdd
    } else {
        Method::Fft
    }
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
    let direct = direct_seconds(&out_shape, k_shape, elem_bytes);
    let fft_method = fastest_fft(x_shape, k_shape, windows);
    let fft = match fft_method {
        Method::OverlapAdd => {
            overlap_add_seconds(k_shape, windows, &overlap_add_block(k_shape, windows))
        }
        _ => fft_seconds(x_shape, k_shape, windows),
    };
    if direct <= fft {
        Method::Direct
    } else {
        fft_method
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
