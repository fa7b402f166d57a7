//! Sums (also of int32 tensors) and maxima of GPU-resident tensors over leading and trailing axes
//! (`shaders/sum_axes.wgsl`): the bias gradients (over the batch and the plane), a loss's mean,
//! `Tensor.sum`, the maximum of a softmax; and the indices of the maxima along one axis
//! (`shaders/argmax_axis.wgsl`: predicted classes).
//!
//! The array is viewed as `(outer, mid, inner)` and summed over `outer` and `inner`. A deep sum
//! with few outputs is split into chunks, each one workgroup, whose partial sums a second pass adds
//! in a fixed order: the result does not depend on scheduling.

use crate::error::{value_error, Result};
use crate::gpu::context::Shader;
use crate::gpu::elementwise::wgsl;
use crate::gpu::resident::{gpu_for_dtype, DeviceArray, Dtype};
use bytemuck::{Pod, Zeroable};

const SUM_AXES: Shader = Shader {
    name: "sum_axes",
    source: include_str!("shaders/sum_axes.wgsl"),
};

const ARGMAX_AXIS: Shader = Shader {
    name: "argmax_axis",
    source: include_str!("shaders/argmax_axis.wgsl"),
};

/// `argmax_axis.wgsl`'s `Params`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct ArgmaxUniform {
    outer: u32,
    n: u32,
    inner: u32,
    groups_x: u32,
}

/// Samples one workgroup sums before the sum is split (its 256 invocations add 64 each).
const CHUNK: usize = 256 * 64;

/// `sum_axes.wgsl`'s `Params`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct Uniform {
    outer: u32,
    mid: u32,
    inner: u32,
    chunk: u32,
    groups_x: u32,
    splits: u32,
    op: u32,
    lowest_bits: u32,
}

/// What [`reduce_axes`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduction {
    /// The sum.
    Sum = 0,
    /// The maximum (NaN wins, as numpy's; -inf for an empty reduction).
    Max = 1,
}

/// The sums over `outer` and `inner` of `x` viewed as `(outer, mid, inner)`: `mid` elements.
pub fn sum_axes(x: &DeviceArray, outer: usize, mid: usize, inner: usize) -> Result<DeviceArray> {
    reduce_axes(Reduction::Sum, x, outer, mid, inner)
}

/// The sums or maxima over `outer` and `inner` of `x` viewed as `(outer, mid, inner)`.
pub fn reduce_axes(
    op: Reduction,
    x: &DeviceArray,
    outer: usize,
    mid: usize,
    inner: usize,
) -> Result<DeviceArray> {
    // int32 tensors are summed (in int32, wrapping as int32 does), not maximised
    let what = if op == Reduction::Sum {
        "sum"
    } else {
        "maximum"
    };
    check_view(x, [outer, mid, inner], what, op == Reduction::Sum)?;
    let total = outer * inner;
    let splits = total.div_ceil(CHUNK).max(1);
    let chunk = if splits == 1 { total.max(1) } else { CHUNK };
    let partial = pass(op, x, outer, mid, inner, chunk, splits)?;
    if splits == 1 {
        return Ok(partial);
    }
    // the partial results as (splits, mid, 1): one more pass, in one chunk
    pass(op, &partial, splits, mid, 1, splits, 1)
}

fn pass(
    op: Reduction,
    x: &DeviceArray,
    outer: usize,
    mid: usize,
    inner: usize,
    chunk: usize,
    splits: usize,
) -> Result<DeviceArray> {
    let gpu = gpu_for_dtype(x.dtype())?;
    let out = DeviceArray::output(gpu, splits * mid, x.dtype())?;
    if mid == 0 {
        return Ok(out);
    }
    let int = |v| to_u32(v, "sum");
    let [gx, gy, _] = gpu.flat_grid(splits * mid * 256, 256);
    let u = Uniform {
        outer: int(outer)?,
        mid: int(mid)?,
        inner: int(inner)?,
        chunk: int(chunk)?,
        groups_x: gx,
        splits: int(splits)?,
        op: op as u32,
        lowest_bits: f32::NEG_INFINITY.to_bits(),
    };
    let pipeline = gpu.pipeline(SUM_AXES, "main", wgsl(x.dtype()), &[])?;
    gpu.dispatch(
        &pipeline,
        &[&gpu.uniform(&u)?, x.buffer(), out.buffer()],
        [gx, gy, 1],
    )?;
    Ok(out)
}

/// The index (int32) of the maximum along the middle axis of `x` viewed as `(outer, n, inner)`,
/// for each of the `outer * inner` others: the first largest, or the first NaN, as numpy's argmax.
pub fn argmax_axis(x: &DeviceArray, outer: usize, n: usize, inner: usize) -> Result<DeviceArray> {
    check_view(x, [outer, n, inner], "argmax", false)?;
    if n == 0 {
        return value_error!("attempt to get argmax of an empty sequence");
    }
    let gpu = gpu_for_dtype(x.dtype())?;
    let count = outer * inner;
    let out = DeviceArray::output(gpu, count, Dtype::I32)?;
    if count == 0 {
        return Ok(out);
    }
    let int = |v| to_u32(v, "argmax");
    let [gx, gy, _] = gpu.flat_grid(count, 256);
    let u = ArgmaxUniform {
        outer: int(outer)?,
        n: int(n)?,
        inner: int(inner)?,
        groups_x: gx,
    };
    let pipeline = gpu.pipeline(ARGMAX_AXIS, "main", wgsl(x.dtype()), &[])?;
    gpu.dispatch(
        &pipeline,
        &[&gpu.uniform(&u)?, x.buffer(), out.buffer()],
        [gx, gy, 1],
    )?;
    Ok(out)
}

/// Checks that `x` views as `shape` (its element count) and holds floats (or int32 with `ints`),
/// for the reduction `what`.
fn check_view(x: &DeviceArray, shape: [usize; 3], what: &str, ints: bool) -> Result<()> {
    let [outer, mid, inner] = shape;
    if outer * mid * inner != x.len() {
        return value_error!(
            "cannot view {} elements as ({outer}, {mid}, {inner}) for a GPU {what}",
            x.len()
        );
    }
    if x.dtype() == Dtype::I32 && !ints {
        return Err(crate::error::Error::Type(format!(
            "a GPU {what} takes float32 or float64 tensors; got int"
        )));
    }
    Ok(())
}

/// `v` as a shader's u32, or a ValueError naming the operation `what`.
pub(crate) fn to_u32(v: usize, what: &str) -> Result<u32> {
    u32::try_from(v).map_err(|_| {
        crate::error::Error::Value(format!("a GPU {what} over {v} elements is too large"))
    })
}
