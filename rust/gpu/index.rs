//! Indexing of GPU-resident tensors by integer arrays: gathers along one axis
//! (`shaders/take_axis.wgsl`: numpy's `take` and `take_along_axis`, the embedding lookup, the
//! values at the maxima), the inverse write (`shaders/put_axis.wgsl`: `put_along_axis`, the
//! gradient of a maximum, max_unpool) and sums of values grouped by index in a fixed
//! order (`shaders/segment_sum.wgsl`: the embedding's gradient, numpy's `add.at`).
//!
//! The kernels read indices as int32 and skip (or give 0 for) an index outside the axis, so
//! that no input reads or writes outside a buffer; the callers check the indices they are given.

use crate::error::{value_error, Error, Result};
use crate::gpu::context::Shader;
use crate::gpu::elementwise::wgsl;
use crate::gpu::reduce::to_u32;
use crate::gpu::resident::{gpu_for_dtype, DeviceArray, Dtype};
use bytemuck::{Pod, Zeroable};

const TAKE_AXIS: Shader = Shader {
    name: "take_axis",
    source: include_str!("shaders/take_axis.wgsl"),
};
const PUT_AXIS: Shader = Shader {
    name: "put_axis",
    source: include_str!("shaders/put_axis.wgsl"),
};
const SEGMENT_SUM: Shader = Shader {
    name: "segment_sum",
    source: include_str!("shaders/segment_sum.wgsl"),
};

/// `take_axis.wgsl`'s `Params`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct TakeUniform {
    outer: u32,
    n: u32,
    count: u32,
    inner: u32,
    so: u32,
    sk: u32,
    si: u32,
    groups_x: u32,
}

/// `put_axis.wgsl`'s `Params`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct PutUniform {
    outer: u32,
    n: u32,
    count: u32,
    inner: u32,
    groups_x: u32,
    pad: [u32; 3],
}

/// `segment_sum.wgsl`'s `Params` (four words).
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct Uniform4 {
    a: u32,
    b: u32,
    c: u32,
    groups_x: u32,
}

/// How [`take_axis`] reads its index array: the element for `(o, k, i)` is at
/// `o * outer + k * count + i * inner` (a stride of 0 repeats the index along that axis).
#[derive(Debug, Clone, Copy)]
pub struct IndexStrides {
    /// The stride over the leading axes.
    pub outer: usize,
    /// The stride over the gathered axis.
    pub count: usize,
    /// The stride over the trailing axes.
    pub inner: usize,
}

/// `src` viewed as `(outer, n, inner)` gathered along its middle axis: a new array of
/// `(outer, count, inner)` with `out[o, k, i] = src[o, idx[...], i]`, the index read as
/// [`IndexStrides`] say. `take(src, idx, axis)` has strides `(0, 1, 0)`; `take_along_axis` those of
/// an index array shaped like the output.
pub fn take_axis(
    src: &DeviceArray,
    idx: &DeviceArray,
    [outer, n, count, inner]: [usize; 4],
    strides: IndexStrides,
) -> Result<DeviceArray> {
    check(src, outer * n * inner, "take")?;
    idx.expect_dtype(Dtype::I32, "the indices")?;
    let len = outer * count * inner;
    if len > 0 {
        let last =
            (outer - 1) * strides.outer + (count - 1) * strides.count + (inner - 1) * strides.inner;
        if last >= idx.len() {
            return value_error!(
                "{} indices cannot index a take of ({outer}, {count}, {inner})",
                idx.len()
            );
        }
    }
    let gpu = gpu_for_dtype(src.dtype())?;
    let out = DeviceArray::output(gpu, len, src.dtype())?;
    if len == 0 {
        return Ok(out);
    }
    let int = |v| to_u32(v, "take");
    let [gx, gy, _] = gpu.flat_grid(len, 256);
    let u = TakeUniform {
        outer: int(outer)?,
        n: int(n)?,
        count: int(count)?,
        inner: int(inner)?,
        so: int(strides.outer)?,
        sk: int(strides.count)?,
        si: int(strides.inner)?,
        groups_x: gx,
    };
    let pipeline = gpu.pipeline(TAKE_AXIS, "main", wgsl(src.dtype()), &[])?;
    gpu.dispatch(
        &pipeline,
        &[&gpu.uniform(&u)?, idx.buffer(), src.buffer(), out.buffer()],
        [gx, gy, 1],
    )?;
    Ok(out)
}

/// Writes `values` into `dst` viewed as `(outer, n, inner)`, in place: with `idx` and `values`
/// viewed as `(outer, count, inner)`, `dst[o, idx[o, k, i], i] = values[o, k, i]` (numpy's
/// `put_along_axis`). Where two indices of one line are equal, either value lands: callers pass
/// distinct indices or equal values for them (max_unpool after overlapping pooling windows).
pub fn put_axis(
    dst: &DeviceArray,
    idx: &DeviceArray,
    values: &DeviceArray,
    [outer, n, count, inner]: [usize; 4],
) -> Result<()> {
    check(dst, outer * n * inner, "put")?;
    let len = outer * count * inner;
    idx.expect(Dtype::I32, len, "the indices")?;
    values.expect(dst.dtype(), len, "the values")?;
    if len == 0 {
        return Ok(());
    }
    let gpu = gpu_for_dtype(dst.dtype())?;
    let int = |v| to_u32(v, "put");
    let [gx, gy, _] = gpu.flat_grid(len, 256);
    let u = PutUniform {
        outer: int(outer)?,
        n: int(n)?,
        count: int(count)?,
        inner: int(inner)?,
        groups_x: gx,
        pad: [0; 3],
    };
    let pipeline = gpu.pipeline(PUT_AXIS, "main", wgsl(dst.dtype()), &[])?;
    gpu.dispatch(
        &pipeline,
        &[
            &gpu.uniform(&u)?,
            idx.buffer(),
            values.buffer(),
            dst.buffer(),
        ],
        [gx, gy, 1],
    )
}

/// Sums of the rows of `values` (viewed as `(m, inner)`) grouped by index: a new `(rows, inner)`
/// array whose row `r` adds, in order, the rows `order[j]` for `j` in `offsets[r]..offsets[r + 1]`
/// (`offsets` has `rows + 1` entries, non-decreasing, ending at `order.len()`; `order` holds
/// row numbers below `m`). With `order` a stable sort of indices this is numpy's `add.at`.
pub fn segment_sum(
    values: &DeviceArray,
    order: &[i32],
    offsets: &[i32],
    rows: usize,
    inner: usize,
) -> Result<DeviceArray> {
    check(values, values.len(), "segment sum")?;
    let m = values.len().checked_div(inner).unwrap_or(0);
    if inner * m != values.len()
        || offsets.len() != rows + 1
        || offsets.first() != Some(&0)
        || offsets.windows(2).any(|w| w[0] > w[1])
        || offsets[rows] as usize != order.len()
        || order.iter().any(|&r| r < 0 || r as usize >= m)
    {
        return value_error!(
            "a segment sum of {} values in rows of {inner} into {rows} rows needs offsets of \
             {} non-decreasing starts from 0 to the {} row numbers, each below {m}",
            values.len(),
            rows + 1,
            order.len()
        );
    }
    let gpu = gpu_for_dtype(values.dtype())?;
    let len = rows * inner;
    let out = DeviceArray::output(gpu, len, values.dtype())?;
    if len == 0 {
        return Ok(out);
    }
    let int = |v| to_u32(v, "segment sum");
    let [gx, gy, _] = gpu.flat_grid(len, 256);
    let u = Uniform4 {
        a: int(rows)?,
        b: int(inner)?,
        c: 0,
        groups_x: gx,
    };
    // an empty order still binds a buffer of one element
    let obuf = gpu.upload("order", if order.is_empty() { &[0] } else { order }, 0)?;
    let sbuf = gpu.upload("offsets", offsets, 0)?;
    let pipeline = gpu.pipeline(SEGMENT_SUM, "main", wgsl(values.dtype()), &[])?;
    gpu.dispatch(
        &pipeline,
        &[
            &gpu.uniform(&u)?,
            &obuf,
            &sbuf,
            values.buffer(),
            out.buffer(),
        ],
        [gx, gy, 1],
    )?;
    Ok(out)
}

/// Checks that `a` holds `len` floats, for the operation `what`.
fn check(a: &DeviceArray, len: usize, what: &str) -> Result<()> {
    if a.dtype() == Dtype::I32 {
        return Err(Error::Type(format!(
            "a GPU {what} takes float32 or float64 tensors; got int"
        )));
    }
    if a.len() != len {
        return value_error!("a GPU {what} of {len} elements got an array of {}", a.len());
    }
    Ok(())
}
