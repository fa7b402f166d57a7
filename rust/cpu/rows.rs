//! Rows with their boundary extension: what every sliding-window kernel reads.
//!
//! Kernels gather the input rows a block of output needs into a per-thread buffer, padded on both
//! sides by the boundary rule, so that their inner loops never test an index.

use crate::element::Element;
use crate::params::Boundary;
use ndarray::ArrayView1;

/// The value a fill boundary reads (zero for the other boundaries, used for empty inputs).
pub fn fill_value<T: Element>(boundary: Boundary<T>) -> T {
    match boundary {
        Boundary::Fill(v) => v,
        _ => T::ZERO,
    }
}

/// `dst[c] = ext(src)[lo + c]`: a row with its boundary extension.
pub fn gather_row<T: Element>(dst: &mut [T], src: ArrayView1<T>, lo: isize, boundary: Boundary<T>) {
    let (n, len) = (src.len() as isize, dst.len() as isize);
    // dst[d0..d1] lies inside the row and is a plain copy; only the ends need the boundary rule.
    let d0 = (-lo).clamp(0, len) as usize;
    let d1 = (n - lo).clamp(0, len) as usize;
    if d0 < d1 {
        let inside = src.slice(ndarray::s![lo + d0 as isize..lo + d1 as isize]);
        match inside.as_slice() {
            Some(s) => dst[d0..d1].copy_from_slice(s),
            None => dst[d0..d1]
                .iter_mut()
                .zip(inside.iter())
                .for_each(|(d, &v)| *d = v),
        }
    }
    for c in (0..d0).chain(d1.max(d0)..dst.len()) {
        dst[c] = match boundary.source_index(lo + c as isize, src.len()) {
            Some(s) => src[s],
            None => fill_value(boundary),
        };
    }
}
