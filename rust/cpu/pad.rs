//! Padding of the last axes of an N-d array (torch.nn.functional.pad) and its adjoint.
//!
//! Along a padded axis of length `n` with `lo` samples added before, output sample `o` reads input
//! sample `boundary.source_index(o - lo, n)`: constant (fill), reflect (`Boundary::Mirror`),
//! replicate (`Boundary::Nearest`) or circular (`Boundary::Wrap`). Negative pads crop.

use crate::cpu::rows::{fill_value, gather_row};
use crate::cpu::threads;
use crate::element::Element;
use crate::error::{value_error, Result};
use crate::params::Boundary;
use ndarray::ArrayView1;
use rayon::prelude::*;

/// The shape of `shape` padded by `pads` (one `(lo, hi)` per last axis, in axis order).
pub fn padded_shape(shape: &[usize], pads: &[(isize, isize)]) -> Result<Vec<usize>> {
    if pads.len() > shape.len() {
        return value_error!(
            "pad covers {} dimensions but the input has only {}",
            pads.len(),
            shape.len()
        );
    }
    let first = shape.len() - pads.len();
    let mut out = shape.to_vec();
    for (axis, &(lo, hi)) in pads.iter().enumerate() {
        let n = shape[first + axis] as isize;
        let len = n + lo + hi;
        if len < 0 {
            return value_error!(
                "the input size {n} of dimension {}, padded by ({lo}, {hi}), gives a negative \
                 output size {len}",
                first + axis
            );
        }
        out[first + axis] = len as usize;
    }
    Ok(out)
}

/// Per padded axis, the input index each output index reads (`None`: the fill value).
fn source_maps<T: Element>(
    shape: &[usize],
    pads: &[(isize, isize)],
    out_shape: &[usize],
    boundary: Boundary<T>,
) -> Vec<Vec<Option<usize>>> {
    let first = shape.len() - pads.len();
    pads.iter()
        .enumerate()
        .map(|(axis, &(lo, _))| {
            let n = shape[first + axis];
            (0..out_shape[first + axis])
                .map(|o| boundary.source_index(o as isize - lo, n))
                .collect()
        })
        .collect()
}

/// Calls `f(out_row, Some(in_row))` for every output row of one padded block (the rows are along
/// the last axis; `None` where a padded leading axis reads the fill value).
fn for_each_row(
    maps: &[Vec<Option<usize>>],
    in_dims: &[usize],
    mut f: impl FnMut(usize, Option<usize>),
) {
    let lead = &maps[..maps.len() - 1];
    let rows: usize = lead.iter().map(Vec::len).product();
    let mut idx = vec![0usize; lead.len()];
    for row in 0..rows {
        let mut src = Some(0usize);
        for (axis, &i) in idx.iter().enumerate() {
            src = match (src, lead[axis][i]) {
                (Some(s), Some(m)) => Some(s * in_dims[axis] + m),
                _ => None,
            };
        }
        f(row, src);
        for axis in (0..lead.len()).rev() {
            idx[axis] += 1;
            if idx[axis] < lead[axis].len() {
                break;
            }
            idx[axis] = 0;
        }
    }
}

/// `out = pad(x)`; `x` contiguous with `shape`, `out` contiguous with [`padded_shape`].
pub fn pad<T: Element>(
    x: &[T],
    shape: &[usize],
    pads: &[(isize, isize)],
    boundary: Boundary<T>,
    out: &mut [T],
) -> Result<()> {
    let out_shape = padded_shape(shape, pads)?;
    assert_eq!(
        x.len(),
        shape.iter().product::<usize>(),
        "pad: input length"
    );
    assert_eq!(
        out.len(),
        out_shape.iter().product::<usize>(),
        "pad: output length"
    );
    if pads.is_empty() {
        out.copy_from_slice(x);
        return Ok(());
    }
    let first = shape.len() - pads.len();
    let in_block: usize = shape[first..].iter().product();
    let out_block: usize = out_shape[first..].iter().product();
    if out_block == 0 {
        return Ok(());
    }
    let fill = fill_value(boundary);
    if in_block == 0 {
        // An empty input (some padded axis of length 0) can only feed the constant.
        out.fill(fill);
        return Ok(());
    }
    let maps = source_maps(shape, pads, &out_shape, boundary);
    let (n_last, lo_last) = (shape[shape.len() - 1], pads[pads.len() - 1].0);
    let (in_row, out_row) = (n_last, out_shape[out_shape.len() - 1]);
    let block = |(o, i): (&mut [T], &[T])| {
        for_each_row(&maps, &shape[first..], |r, src| {
            let dst = &mut o[r * out_row..(r + 1) * out_row];
            match src {
                Some(s) => {
                    let row = ArrayView1::from(&i[s * in_row..(s + 1) * in_row]);
                    gather_row(dst, row, -lo_last, boundary);
                }
                _ => dst.fill(fill),
            }
        })
    };
    if threads::parallel(out.len()) {
        out.par_chunks_mut(out_block)
            .zip(x.par_chunks(in_block))
            .for_each(block);
    } else {
        out.chunks_mut(out_block)
            .zip(x.chunks(in_block))
            .for_each(block);
    }
    Ok(())
}

/// The adjoint of [`pad`]: `dx[i] = sum of dy[o] over the outputs o that read input i`.
pub fn pad_backward<T: Element>(
    dy: &[T],
    shape: &[usize],
    pads: &[(isize, isize)],
    boundary: Boundary<T>,
    dx: &mut [T],
) -> Result<()> {
    let out_shape = padded_shape(shape, pads)?;
    assert_eq!(
        dx.len(),
        shape.iter().product::<usize>(),
        "pad_backward: input length"
    );
    assert_eq!(
        dy.len(),
        out_shape.iter().product::<usize>(),
        "pad_backward: output length"
    );
    dx.fill(T::ZERO);
    if pads.is_empty() {
        dx.copy_from_slice(dy);
        return Ok(());
    }
    let first = shape.len() - pads.len();
    let in_block: usize = shape[first..].iter().product();
    let out_block: usize = out_shape[first..].iter().product();
    if in_block == 0 || out_block == 0 {
        return Ok(());
    }
    let maps = source_maps(shape, pads, &out_shape, boundary);
    let last = &maps[maps.len() - 1];
    let (in_row, out_row) = (shape[shape.len() - 1], out_shape[out_shape.len() - 1]);
    let block = |(d, g): (&mut [T], &[T])| {
        for_each_row(&maps, &shape[first..], |r, src| {
            if let Some(s) = src {
                let (dst, grad) = (
                    &mut d[s * in_row..(s + 1) * in_row],
                    &g[r * out_row..(r + 1) * out_row],
                );
                for (&m, &v) in last.iter().zip(grad) {
                    if let Some(m) = m {
                        dst[m] = dst[m].add(v);
                    }
                }
            }
        })
    };
    if threads::parallel(dy.len()) {
        dx.par_chunks_mut(in_block)
            .zip(dy.par_chunks(out_block))
            .for_each(block);
    } else {
        dx.chunks_mut(in_block)
            .zip(dy.chunks(out_block))
            .for_each(block);
    }
    Ok(())
}
