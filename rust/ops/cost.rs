//! sigconv's cost model: estimated seconds of each algorithm, so that `method='auto'` picks the
//! fastest. (Being calibrated: placeholder constants.)

use crate::cpu::fft::next_fast_len;
use crate::params::{AxisWindow, Method};

/// Estimated seconds of the direct method.
pub fn direct_seconds(out_shape: &[usize], k_shape: &[usize], elem_bytes: usize) -> f64 {
    let out: f64 = out_shape.iter().map(|&n| n as f64).product();
    let taps: f64 = k_shape.iter().map(|&n| n as f64).product();
    out * taps * 1e-11 * elem_bytes as f64 / 4.0
}

/// Estimated seconds of one FFT convolution of padded shape `padded`.
fn fft_transform_seconds(padded: &[usize]) -> f64 {
    let n: f64 = padded.iter().map(|&n| n as f64).product();
    n * n.log2().max(1.0) * 1e-9
}

/// Estimated seconds of one whole-array FFT convolution.
pub fn fft_seconds(x_shape: &[usize], k_shape: &[usize]) -> f64 {
    let padded: Vec<usize> = x_shape
        .iter()
        .zip(k_shape)
        .map(|(&a, &b)| next_fast_len(a + b - 1))
        .collect();
    fft_transform_seconds(&padded)
}

/// Output block shape for overlap-add: along each axis, a block a few times the kernel length.
pub fn overlap_add_block(
    x_shape: &[usize],
    k_shape: &[usize],
    windows: &[AxisWindow],
) -> Vec<usize> {
    let _ = x_shape;
    windows
        .iter()
        .zip(k_shape)
        .map(|(w, &k)| {
            let fft_len = next_fast_len((4 * k).max(64));
            (fft_len + 1 - k).min(w.out_len.max(1))
        })
        .collect()
}

/// The fastest of the direct, FFT and overlap-add methods for these shapes.
pub fn fastest(
    x_shape: &[usize],
    k_shape: &[usize],
    windows: &[AxisWindow],
    elem_bytes: usize,
) -> Method {
    let out_shape: Vec<usize> = windows.iter().map(|w| w.out_len).collect();
    if out_shape.contains(&0) || k_shape.contains(&0) {
        return Method::Direct;
    }
    let direct = direct_seconds(&out_shape, k_shape, elem_bytes);
    let fft = fft_seconds(x_shape, k_shape);
    if direct <= fft {
        Method::Direct
    } else {
        Method::Fft
    }
}
