//! Plain loops: the oracle every fast kernel is tested against. Written for clarity, not speed.

use crate::element::Element;
use crate::params::Boundary;
use ndarray::{ArrayD, ArrayViewD, IxDyn};

/// N-d correlation with an extended input:
/// `out[o] = sum_m ext(x)[o + start + m] * kernel[m]`, where `ext` applies `boundary` outside `x`.
///
/// A true convolution is this with the kernel flipped on every axis and `start` from
/// [`crate::params::AxisWindow::correlation_start`].
pub fn correlate<T: Element>(
    x: ArrayViewD<T>,
    kernel: ArrayViewD<T>,
    start: &[isize],
    out_shape: &[usize],
    boundary: Boundary<T>,
) -> ArrayD<T> {
    let ndim = x.ndim();
    assert_eq!(kernel.ndim(), ndim);
    assert_eq!(start.len(), ndim);
    assert_eq!(out_shape.len(), ndim);
    let mut out = ArrayD::from_elem(IxDyn(out_shape), T::ZERO);
    let fill = match boundary {
        Boundary::Fill(v) => v,
        _ => T::ZERO,
    };
    let x_empty = x.is_empty();
    let mut src = vec![0usize; ndim];
    for (o, value) in out.indexed_iter_mut() {
        let mut acc = T::ZERO;
        'taps: for (m, &w) in kernel.indexed_iter() {
            for d in 0..ndim {
                let i = o[d] as isize + start[d] + m[d] as isize;
                match (x_empty, boundary.source_index(i, x.shape()[d])) {
                    (false, Some(s)) => src[d] = s,
                    _ => {
                        acc = acc.mul_add(fill, w);
                        continue 'taps;
                    }
                }
            }
            acc = acc.mul_add(x[IxDyn(&src)], w);
        }
        *value = acc;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{arr1, arr2};

    #[test]
    fn full_convolution_golden() {
        // numpy.convolve([1, 2, 3], [0, 1, 0.5]) -> [0, 1, 2.5, 4, 1.5]; correlate with the flipped kernel.
        let x = arr1(&[1.0, 2.0, 3.0]).into_dyn();
        let k = arr1(&[0.5, 1.0, 0.0]).into_dyn();
        let out = correlate(x.view(), k.view(), &[-2], &[5], Boundary::Fill(0.0));
        assert_eq!(out.as_slice().unwrap(), &[0.0, 1.0, 2.5, 4.0, 1.5]);
    }

    #[test]
    fn boundaries_2d_golden() {
        // scipy.signal.correlate2d([[1, 2], [3, 4]], [[1, 1], [1, 1]], 'same', boundary) sums 2x2
        // windows anchored one up-left: fill -> [[1, 3], [4, 10]], wrap -> all 10, symm -> [[4, 6], [8, 10]].
        let x = arr2(&[[1i64, 2], [3, 4]]).into_dyn();
        let k = arr2(&[[1i64, 1], [1, 1]]).into_dyn();
        let run = |b| {
            correlate(x.view(), k.view(), &[-1, -1], &[2, 2], b)
                .into_raw_vec_and_offset()
                .0
        };
        assert_eq!(run(Boundary::Fill(0)), vec![1, 3, 4, 10]);
        assert_eq!(run(Boundary::Wrap), vec![10, 10, 10, 10]);
        assert_eq!(run(Boundary::Symm), vec![4, 6, 8, 10]);
    }
}
