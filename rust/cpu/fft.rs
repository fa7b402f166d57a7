//! FFT convolution: real FFTs over the convolved axes, sizes padded to fast lengths; whole-array or
//! in overlap-add blocks. (Being written: this stub computes through the reference loops.)

use crate::cpu::reference;
use crate::element::Real;
use crate::params::{AxisWindow, Boundary};
use ndarray::{ArrayD, ArrayViewD, Axis};

/// True convolution of `x` and `k` over `axes` (sorted, distinct); along the other axes the two
/// broadcast (equal lengths, or one of them 1). `windows[i]` is the part of the full convolution kept
/// along `axes[i]`. `block`: `None` for one FFT of the whole padded array, `Some(b)` to cut the output
/// into blocks of `b[i]` samples along `axes[i]` (overlap-add), each its own FFT of a fast length.
pub fn convolve<T: Real>(
    x: ArrayViewD<T>,
    k: ArrayViewD<T>,
    axes: &[usize],
    windows: &[AxisWindow],
    block: Option<&[usize]>,
) -> ArrayD<T> {
    let _ = block;
    assert_eq!(axes.len(), x.ndim(), "stub: all axes");
    let mut kf = k.to_owned();
    for d in 0..kf.ndim() {
        kf.invert_axis(Axis(d));
    }
    let start: Vec<isize> = windows
        .iter()
        .zip(k.shape())
        .map(|(w, &kl)| w.correlation_start(kl))
        .collect();
    let shape: Vec<usize> = windows.iter().map(|w| w.out_len).collect();
    reference::correlate(x, kf.view(), &start, &shape, Boundary::Fill(T::ZERO))
}

/// The smallest length `>= n` whose FFT is fast (factors 2, 3, 5 and 7 only).
pub fn next_fast_len(n: usize) -> usize {
    let mut m = n.max(1);
    loop {
        let mut r = m;
        for p in [2, 3, 5, 7] {
            while r.is_multiple_of(p) {
                r /= p;
            }
        }
        if r == 1 {
            return m;
        }
        m += 1;
    }
}
