//! Bindings of GPU-resident arrays (`sigconv._gpu_array` builds its `GpuArray` on them): the
//! `DeviceArray` handle (a flat buffer; shapes live in Python) and the `dev_*` kernels on handles.
//! Every function returns new handles except the optimiser steps, `DeviceArray.assign` and
//! `DeviceArray.scatter`, which write into the handle they are given.

use super::pool::{params, planes_of};
use crate::cpu::pool::Extreme;
use crate::error::{Error, Result};
use crate::gpu::elementwise::{self, BinaryOp, UnaryOp};
use crate::gpu::index::{self as gindex, IndexStrides};
use crate::gpu::optim::{self, AdamStep, SgdStep};
use crate::gpu::pool::{self as gpool, Average};
use crate::gpu::resident::{self, DeviceArray as Inner, Dtype};
use crate::gpu::{conv as gconv, loss, reduce};
use crate::ops::conv::{conv_params, conv_transpose_params, Axes2};
use numpy::PyUntypedArrayMethods;
use numpy::{IntoPyArray, PyArrayDescrMethods, PyReadonlyArrayDyn, PyUntypedArray};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

type Pair = (usize, usize);

/// The gradients of a layer: input, weight, bias (None where not asked for).
type Grads = (
    Option<DeviceArray>,
    Option<DeviceArray>,
    Option<DeviceArray>,
);

/// A flat array in GPU memory: float32, float64 or int32 elements.
#[pyclass(name = "DeviceArray", module = "sigconv._core", frozen)]
pub struct DeviceArray(Inner);

#[pymethods]
impl DeviceArray {
    /// The number of elements.
    #[getter]
    fn len(&self) -> usize {
        self.0.len()
    }

    /// `'float32'`, `'float64'` or `'int32'`.
    #[getter]
    fn dtype(&self) -> &'static str {
        self.0.dtype().name()
    }

    /// The elements as a new 1-D numpy array (waits for the device).
    fn download<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let a = self.0.clone();
        Ok(match a.dtype() {
            Dtype::F32 => py
                .detach(|| a.download::<f32>())?
                .into_pyarray(py)
                .into_any(),
            Dtype::F64 => py
                .detach(|| a.download::<f64>())?
                .into_pyarray(py)
                .into_any(),
            Dtype::I32 => py
                .detach(|| a.download::<i32>())?
                .into_pyarray(py)
                .into_any(),
        })
    }

    /// Overwrites every element with those of `src` (same length and dtype).
    fn assign(&self, py: Python<'_>, src: &DeviceArray) -> PyResult<()> {
        let (a, s) = (self.0.clone(), src.0.clone());
        Ok(py.detach(|| a.assign(&s))?)
    }

    /// A strided view materialised as a new contiguous array of `shape`: element `(i_0, i_1, ...)`
    /// is element `offset + sum of i_d * strides[d]` of this one (strides in elements; 0
    /// broadcasts, negative reverses). Transposes, broadcasts and basic indexing.
    fn gather(
        &self,
        py: Python<'_>,
        shape: Vec<usize>,
        strides: Vec<isize>,
        offset: usize,
    ) -> PyResult<DeviceArray> {
        let a = self.0.clone();
        Ok(wrap(py.detach(|| a.gather(&shape, &strides, offset))?))
    }

    /// Writes `src` into this array at the strided positions of `gather` (distinct ones), in
    /// place: `self[index] = src` for a basic index.
    fn scatter(
        &self,
        py: Python<'_>,
        src: &DeviceArray,
        shape: Vec<usize>,
        strides: Vec<isize>,
        offset: usize,
    ) -> PyResult<()> {
        let (a, s) = (self.0.clone(), src.0.clone());
        Ok(py.detach(|| a.scatter(&s, &shape, &strides, offset))?)
    }

    /// Whether `other` is (a view of) the same buffer.
    fn same_buffer(&self, other: &DeviceArray) -> bool {
        self.0.shares_buffer(&other.0)
    }
}

fn wrap(a: Inner) -> DeviceArray {
    DeviceArray(a)
}

fn dtype_of(name: &str) -> PyResult<Dtype> {
    match name {
        "float32" => Ok(Dtype::F32),
        "float64" => Ok(Dtype::F64),
        "int32" => Ok(Dtype::I32),
        _ => Err(PyTypeError::new_err(format!(
            "GPU tensors hold float32, float64 or int32; got {name}"
        ))),
    }
}

/// A new device array holding `arr` (float32, float64, int32, or int64 within int32's range,
/// stored as int32).
#[pyfunction]
fn dev_upload(py: Python<'_>, arr: &Bound<'_, PyAny>) -> PyResult<DeviceArray> {
    let untyped = arr
        .cast::<PyUntypedArray>()
        .map_err(|_| PyTypeError::new_err("dev_upload takes a numpy array"))?;
    let dtype = untyped.dtype();
    macro_rules! up {
        ($t:ty) => {{
            let a: PyReadonlyArrayDyn<$t> = arr.extract()?;
            let v = a.as_array();
            let v = v.as_standard_layout();
            let s = v.as_slice().expect("standard layout is contiguous");
            py.detach(|| Inner::upload(s))?
        }};
    }
    let inner = if dtype.is_equiv_to(&numpy::dtype::<f32>(py)) {
        up!(f32)
    } else if dtype.is_equiv_to(&numpy::dtype::<f64>(py)) {
        up!(f64)
    } else if dtype.is_equiv_to(&numpy::dtype::<i32>(py)) {
        up!(i32)
    } else if dtype.is_equiv_to(&numpy::dtype::<i64>(py)) {
        let a: PyReadonlyArrayDyn<i64> = arr.extract()?;
        let narrow = a
            .as_array()
            .iter()
            .map(|&v| i32::try_from(v))
            .collect::<std::result::Result<Vec<i32>, _>>()
            .map_err(|_| {
                PyValueError::new_err(
                    "integer GPU tensors are stored as int32; this int64 array holds values \
                     outside int32's range",
                )
            })?;
        py.detach(|| Inner::upload(&narrow))?
    } else {
        return Err(PyTypeError::new_err(format!(
            "GPU tensors hold float32, float64 or integers; got dtype {dtype}"
        )));
    };
    Ok(wrap(inner))
}

/// A new device array of `len` elements of `dtype` assembled from blocks `(src, from, to, count)`
/// (element offsets): the copies of concatenation and splitting.
#[pyfunction]
fn dev_assemble(
    py: Python<'_>,
    dtype: &str,
    len: usize,
    blocks: Vec<(PyRef<'_, DeviceArray>, usize, usize, usize)>,
) -> PyResult<DeviceArray> {
    let dtype = dtype_of(dtype)?;
    let owned: Vec<(Inner, usize, usize, usize)> = blocks
        .iter()
        .map(|(a, f, t, c)| (a.0.clone(), *f, *t, *c))
        .collect();
    let out = py.detach(|| {
        let refs: Vec<_> = owned.iter().map(|(a, f, t, c)| (a, *f, *t, *c)).collect();
        Inner::assemble(dtype, len, &refs)
    })?;
    Ok(wrap(out))
}

/// A new device array of `len` zeros of `dtype`.
#[pyfunction]
fn dev_zeros(py: Python<'_>, len: usize, dtype: &str) -> PyResult<DeviceArray> {
    let dtype = dtype_of(dtype)?;
    let out = py.detach(|| -> Result<Inner> {
        Inner::zeros(resident::gpu_for_dtype(dtype)?, len, dtype)
    })?;
    Ok(wrap(out))
}

/// `a op b` elementwise (`op` a numpy ufunc name: `add`, `multiply`, `maximum`, `greater`, ...,
/// or `assign`); `b` a device array broadcast over `a` viewed as `(outer, len(b), inner)`, or a
/// Python number; `swap` computes `b op a`.
#[pyfunction]
#[pyo3(signature = (op, a, b, inner=1, swap=false))]
fn dev_binary(
    py: Python<'_>,
    op: &str,
    a: &DeviceArray,
    b: &Bound<'_, PyAny>,
    inner: usize,
    swap: bool,
) -> PyResult<DeviceArray> {
    let code = BinaryOp::from_name(op)
        .ok_or_else(|| PyValueError::new_err(format!("no GPU kernel for the operation {op:?}")))?;
    let a = a.0.clone();
    let b = match b.cast::<DeviceArray>() {
        Ok(d) => d.get().0.clone(),
        Err(_) => {
            let v: f64 = b.extract().map_err(|_| {
                PyTypeError::new_err(format!(
                    "the second operand must be a GPU tensor or a number; got {}",
                    b.get_type()
                ))
            })?;
            py.detach(|| scalar(v, a.dtype()))?
        }
    };
    Ok(wrap(py.detach(|| {
        elementwise::binary(code, &a, &b, inner, swap)
    })?))
}

/// The int32 array `a` converted to `dtype` (`'float32'` or `'float64'`), a new array.
#[pyfunction]
fn dev_int_to_float(py: Python<'_>, a: &DeviceArray, dtype: &str) -> PyResult<DeviceArray> {
    let (a, dtype) = (a.0.clone(), dtype_of(dtype)?);
    Ok(wrap(py.detach(|| elementwise::int_to_float(&a, dtype))?))
}

/// The float array `a` converted to int32 (truncated toward zero; saturating, NaN to 0), a new
/// array.
#[pyfunction]
fn dev_float_to_int(py: Python<'_>, a: &DeviceArray) -> PyResult<DeviceArray> {
    let a = a.0.clone();
    Ok(wrap(py.detach(|| elementwise::float_to_int(&a))?))
}

/// `op(a)` elementwise (`op` a numpy ufunc name: `sqrt`, `exp`, `log`, `tanh`, `absolute`,
/// `sign`, `floor`, `ceil`, `trunc`, `rint`).
#[pyfunction]
fn dev_unary(py: Python<'_>, op: &str, a: &DeviceArray) -> PyResult<DeviceArray> {
    let code = UnaryOp::from_name(op)
        .ok_or_else(|| PyValueError::new_err(format!("no GPU kernel for the function {op:?}")))?;
    let a = a.0.clone();
    Ok(wrap(py.detach(|| elementwise::unary(code, &a))?))
}

/// numpy's `where(c, x, y)` of device arrays (`x`, `y` of `c`'s length or one element).
#[pyfunction]
fn dev_select(
    py: Python<'_>,
    c: &DeviceArray,
    x: &DeviceArray,
    y: &DeviceArray,
) -> PyResult<DeviceArray> {
    let (c, x, y) = (c.0.clone(), x.0.clone(), y.0.clone());
    Ok(wrap(py.detach(|| elementwise::select(&c, &x, &y))?))
}

/// Dropout's mask: `len` elements of `dtype`, `1 / (1 - p)` where kept, else 0 (seeded).
#[pyfunction]
fn dev_dropout_mask(
    py: Python<'_>,
    len: usize,
    dtype: &str,
    p: f64,
    seed: u64,
) -> PyResult<DeviceArray> {
    let dtype = dtype_of(dtype)?;
    Ok(wrap(py.detach(|| {
        elementwise::dropout_mask(len, dtype, p, seed)
    })?))
}

/// A one-element device array holding `v` in `dtype` (rounded as numpy rounds a Python float).
fn scalar(v: f64, dtype: Dtype) -> Result<Inner> {
    match dtype {
        Dtype::F64 => Inner::upload(&[v]),
        Dtype::F32 => Inner::upload(&[v as f32]),
        Dtype::I32 => {
            if v.fract() != 0.0 || v < i32::MIN as f64 || v > i32::MAX as f64 {
                return Err(Error::Type(format!(
                    "an int GPU tensor with the number {v}: integers within int32 only \
                     (convert the tensor with .float() first)"
                )));
            }
            Inner::upload(&[v as i32])
        }
    }
}

/// The sums (`op='sum'`) or maxima (`'max'`) over `outer` and `inner` of `a` viewed as
/// `(outer, mid, inner)`.
#[pyfunction]
#[pyo3(signature = (a, outer, mid, inner, op="sum"))]
fn dev_sum(
    py: Python<'_>,
    a: &DeviceArray,
    outer: usize,
    mid: usize,
    inner: usize,
    op: &str,
) -> PyResult<DeviceArray> {
    let op = match op {
        "sum" => reduce::Reduction::Sum,
        "max" => reduce::Reduction::Max,
        _ => return Err(PyValueError::new_err(format!("no GPU reduction {op:?}"))),
    };
    let a = a.0.clone();
    Ok(wrap(py.detach(|| {
        reduce::reduce_axes(op, &a, outer, mid, inner)
    })?))
}

/// The indices (int32) of the maxima along the middle axis of `a` viewed as `(outer, n, inner)`.
#[pyfunction]
fn dev_argmax(
    py: Python<'_>,
    a: &DeviceArray,
    outer: usize,
    n: usize,
    inner: usize,
) -> PyResult<DeviceArray> {
    let a = a.0.clone();
    Ok(wrap(
        py.detach(|| reduce::argmax_axis(&a, outer, n, inner))?,
    ))
}

/// `src` viewed as `(outer, n, inner)` gathered along its middle axis into `(outer, count, inner)`
/// by the int32 `idx`, read at `o * strides[0] + k * strides[1] + i * strides[2]`.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn dev_take_axis(
    py: Python<'_>,
    src: &DeviceArray,
    idx: &DeviceArray,
    outer: usize,
    n: usize,
    count: usize,
    inner: usize,
    strides: (usize, usize, usize),
) -> PyResult<DeviceArray> {
    let (s, i) = (src.0.clone(), idx.0.clone());
    let strides = IndexStrides {
        outer: strides.0,
        count: strides.1,
        inner: strides.2,
    };
    Ok(wrap(py.detach(|| {
        gindex::take_axis(&s, &i, [outer, n, count, inner], strides)
    })?))
}

/// Writes `values` into `dst` viewed as `(outer, n, inner)` at `idx` along the middle axis
/// (`idx` and `values` viewed as `(outer, count, inner)`), in place.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn dev_put_axis(
    py: Python<'_>,
    dst: &DeviceArray,
    idx: &DeviceArray,
    values: &DeviceArray,
    outer: usize,
    n: usize,
    count: usize,
    inner: usize,
) -> PyResult<()> {
    let (d, i, v) = (dst.0.clone(), idx.0.clone(), values.0.clone());
    Ok(py.detach(|| gindex::put_axis(&d, &i, &v, [outer, n, count, inner]))?)
}

/// The rows of `values` (rows of `inner`) summed by group: row `r` of the result adds rows
/// `order[offsets[r]..offsets[r + 1]]` in order (numpy's `add.at` for `order` a stable sort).
#[pyfunction]
fn dev_segment_sum(
    py: Python<'_>,
    values: &DeviceArray,
    order: PyReadonlyArrayDyn<'_, i32>,
    offsets: PyReadonlyArrayDyn<'_, i32>,
    rows: usize,
    inner: usize,
) -> PyResult<DeviceArray> {
    let v = values.0.clone();
    let (order, offsets) = (
        order.as_array().iter().copied().collect::<Vec<_>>(),
        offsets.as_array().iter().copied().collect::<Vec<_>>(),
    );
    Ok(wrap(py.detach(|| {
        gindex::segment_sum(&v, &order, &offsets, rows, inner)
    })?))
}

macro_rules! by_float {
    ($dtype:expr, $t:ident => $body:expr) => {
        match $dtype {
            Dtype::F32 => {
                type $t = f32;
                $body
            }
            Dtype::F64 => {
                type $t = f64;
                $body
            }
            Dtype::I32 => Err(Error::Type(
                "the layer kernels take float32 or float64 GPU tensors; got int".into(),
            )),
        }
    };
}

/// The convolution layer's forward pass (NCHW, `_core.conv2d`'s geometry) of device arrays with
/// the shapes given.
#[pyfunction]
#[pyo3(signature = (x, w, bias, x_shape, w_shape, stride, padding, dilation, groups))]
#[allow(clippy::too_many_arguments)]
fn dev_conv2d(
    py: Python<'_>,
    x: &DeviceArray,
    w: &DeviceArray,
    bias: Option<&DeviceArray>,
    x_shape: Vec<usize>,
    w_shape: Vec<usize>,
    stride: Axes2<usize>,
    padding: Axes2<(usize, usize)>,
    dilation: Axes2<usize>,
    groups: usize,
) -> PyResult<DeviceArray> {
    let p = conv_params(&x_shape, &w_shape, stride, padding, dilation, groups)?;
    let (x, w, b) = (x.0.clone(), w.0.clone(), bias.map(|b| b.0.clone()));
    let y = py.detach(
        || by_float!(x.dtype(), T => gconv::forward_resident::<T>(&x, &w, b.as_ref(), &p)),
    )?;
    Ok(wrap(y))
}

/// Gradients of [`dev_conv2d`] for `mask` = (input, weight, bias): `None` where not asked for.
#[pyfunction]
#[pyo3(signature = (dy, x, w, x_shape, w_shape, stride, padding, dilation, groups, mask))]
#[allow(clippy::too_many_arguments)]
fn dev_conv2d_backward(
    py: Python<'_>,
    dy: &DeviceArray,
    x: &DeviceArray,
    w: &DeviceArray,
    x_shape: Vec<usize>,
    w_shape: Vec<usize>,
    stride: Axes2<usize>,
    padding: Axes2<(usize, usize)>,
    dilation: Axes2<usize>,
    groups: usize,
    mask: (bool, bool, bool),
) -> PyResult<(
    Option<DeviceArray>,
    Option<DeviceArray>,
    Option<DeviceArray>,
)> {
    let p = conv_params(&x_shape, &w_shape, stride, padding, dilation, groups)?;
    let (dy, x, w) = (dy.0.clone(), x.0.clone(), w.0.clone());
    py.detach(|| {
        by_float!(x.dtype(), T => masked(
            mask,
            || gconv::backward_data_resident::<T>(&dy, &w, &p),
            || gconv::backward_weight_resident::<T>(&dy, &x, &p),
            || reduce::sum_axes(&dy, p.batch, p.out_channels, p.out_plane()),
        ))
    })
    .map_err(PyErr::from)
}

/// The gradients `mask` asks for (input, weight, bias), each from its function.
fn masked(
    mask: (bool, bool, bool),
    input: impl FnOnce() -> Result<Inner>,
    weight: impl FnOnce() -> Result<Inner>,
    bias: impl FnOnce() -> Result<Inner>,
) -> Result<Grads> {
    let gx = if mask.0 { Some(wrap(input()?)) } else { None };
    let gw = if mask.1 { Some(wrap(weight()?)) } else { None };
    let gb = if mask.2 { Some(wrap(bias()?)) } else { None };
    Ok((gx, gw, gb))
}

/// The transposed convolution (torch's conv_transpose2d, weight `(C_in, C_out/groups, kH, kW)`)
/// of device arrays with the shapes given: the data gradient of the convolution whose output is
/// `x`, plus the bias per output channel. Returns the result and its shape.
#[pyfunction]
#[pyo3(signature = (x, w, bias, x_shape, w_shape, stride, padding, output_padding, dilation, groups))]
#[allow(clippy::too_many_arguments)]
fn dev_conv_transpose2d(
    py: Python<'_>,
    x: &DeviceArray,
    w: &DeviceArray,
    bias: Option<&DeviceArray>,
    x_shape: Vec<usize>,
    w_shape: Vec<usize>,
    stride: Axes2<usize>,
    padding: Axes2<usize>,
    output_padding: Axes2<usize>,
    dilation: Axes2<usize>,
    groups: usize,
) -> PyResult<(DeviceArray, Vec<usize>)> {
    let p = conv_transpose_params(
        &x_shape,
        &w_shape,
        stride,
        padding,
        output_padding,
        dilation,
        groups,
    )?;
    let (x, w, b) = (x.0.clone(), w.0.clone(), bias.map(|b| b.0.clone()));
    let y = py.detach(|| -> Result<Inner> {
        let y = by_float!(x.dtype(), T => gconv::backward_data_resident::<T>(&x, &w, &p))?;
        match b {
            Some(b) => elementwise::binary(BinaryOp::Add, &y, &b, p.in_plane(), false),
            None => Ok(y),
        }
    })?;
    Ok((wrap(y), p.input_shape().to_vec()))
}

/// Gradients of [`dev_conv_transpose2d`] for `mask` = (input, weight, bias).
#[pyfunction]
#[pyo3(signature = (dy, x, w, x_shape, w_shape, stride, padding, output_padding, dilation, groups, mask))]
#[allow(clippy::too_many_arguments)]
fn dev_conv_transpose2d_backward(
    py: Python<'_>,
    dy: &DeviceArray,
    x: &DeviceArray,
    w: &DeviceArray,
    x_shape: Vec<usize>,
    w_shape: Vec<usize>,
    stride: Axes2<usize>,
    padding: Axes2<usize>,
    output_padding: Axes2<usize>,
    dilation: Axes2<usize>,
    groups: usize,
    mask: (bool, bool, bool),
) -> PyResult<(
    Option<DeviceArray>,
    Option<DeviceArray>,
    Option<DeviceArray>,
)> {
    let p = conv_transpose_params(
        &x_shape,
        &w_shape,
        stride,
        padding,
        output_padding,
        dilation,
        groups,
    )?;
    let (dy, x, w) = (dy.0.clone(), x.0.clone(), w.0.clone());
    // x is the convolution's output: its gradient is the convolution of dy; the weight's pairs x
    // (as the convolution's dy) with dy (as its input).
    py.detach(|| {
        by_float!(x.dtype(), T => masked(
            mask,
            || gconv::forward_resident::<T>(&dy, &w, None, &p),
            || gconv::backward_weight_resident::<T>(&x, &dy, &p),
            || reduce::sum_axes(&dy, p.batch, p.in_channels, p.in_plane()),
        ))
    })
    .map_err(PyErr::from)
}

/// Max (min with `minimum`) pooling over the last two axes of a device array of `shape`:
/// `(values, int32 indices, output plane (oh, ow))`.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn dev_pool_extreme(
    py: Python<'_>,
    x: &DeviceArray,
    shape: Vec<usize>,
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    ceil_mode: bool,
    minimum: bool,
) -> PyResult<(DeviceArray, DeviceArray, Pair)> {
    let p = params(kernel, stride, padding, dilation, ceil_mode)?;
    let planes = planes_of(&shape)?;
    let out = p.out_shape(planes.h, planes.w)?;
    let kind = if minimum { Extreme::Min } else { Extreme::Max };
    let x = x.0.clone();
    let (v, i) = py.detach(
        || by_float!(x.dtype(), T => gpool::extreme_pool_resident::<T>(&x, planes, &p, kind)),
    )?;
    Ok((wrap(v), wrap(i), out))
}

/// The gradient of [`dev_pool_extreme`] onto `input_shape`.
#[pyfunction]
fn dev_pool_extreme_backward(
    py: Python<'_>,
    grad_output: &DeviceArray,
    indices: &DeviceArray,
    input_shape: Vec<usize>,
    out_plane_len: usize,
) -> PyResult<DeviceArray> {
    let input = planes_of(&input_shape)?;
    let (g, i) = (grad_output.0.clone(), indices.0.clone());
    let out = py.detach(|| {
        by_float!(g.dtype(), T => gpool::extreme_pool_backward_resident::<T>(&g, &i, out_plane_len, input))
    })?;
    Ok(wrap(out))
}

/// Average pooling over the last two axes of a device array of `shape`: `(values, (oh, ow))`.
#[pyfunction]
#[pyo3(signature = (x, shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor=None))]
#[allow(clippy::too_many_arguments)]
fn dev_pool_avg(
    py: Python<'_>,
    x: &DeviceArray,
    shape: Vec<usize>,
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor: Option<usize>,
) -> PyResult<(DeviceArray, Pair)> {
    let p = params(kernel, stride, padding, (1, 1), ceil_mode)?;
    let planes = planes_of(&shape)?;
    let out = p.out_shape(planes.h, planes.w)?;
    let avg = Average {
        count_include_pad,
        divisor,
    };
    let x = x.0.clone();
    let y = py
        .detach(|| by_float!(x.dtype(), T => gpool::avg_pool_resident::<T>(&x, planes, &p, avg)))?;
    Ok((wrap(y), out))
}

/// The gradient of [`dev_pool_avg`] onto `input_shape`.
#[pyfunction]
#[pyo3(signature = (grad_output, input_shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor=None))]
#[allow(clippy::too_many_arguments)]
fn dev_pool_avg_backward(
    py: Python<'_>,
    grad_output: &DeviceArray,
    input_shape: Vec<usize>,
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor: Option<usize>,
) -> PyResult<DeviceArray> {
    let p = params(kernel, stride, padding, (1, 1), ceil_mode)?;
    let input = planes_of(&input_shape)?;
    let avg = Average {
        count_include_pad,
        divisor,
    };
    let g = grad_output.0.clone();
    let out = py.detach(
        || by_float!(g.dtype(), T => gpool::avg_pool_backward_resident::<T>(&g, input, &p, avg)),
    )?;
    Ok(wrap(out))
}

/// Cross-entropy of `rows` x `classes` float32 logits against int32 targets: `(per-row losses,
/// per-row gradients, 1 per counted row)`.
#[pyfunction]
fn dev_cross_entropy(
    py: Python<'_>,
    logits: &DeviceArray,
    targets: &DeviceArray,
    rows: usize,
    classes: usize,
    ignore_index: i64,
) -> PyResult<(DeviceArray, DeviceArray, DeviceArray)> {
    // an ignore_index outside int32 matches no stored target
    let ignore = i32::try_from(ignore_index).unwrap_or(i32::MIN);
    let (x, t) = (logits.0.clone(), targets.0.clone());
    let (l, g, v) = py.detach(|| loss::cross_entropy(&x, &t, rows, classes, ignore))?;
    Ok((wrap(l), wrap(g), wrap(v)))
}

/// One SGD step in place on `x` (and `buf`, the momentum buffer, when momentum is on).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn dev_sgd_step(
    py: Python<'_>,
    x: &DeviceArray,
    grad: &DeviceArray,
    buf: Option<&DeviceArray>,
    lr: f64,
    momentum: f64,
    dampening: f64,
    weight_decay: f64,
    nesterov: bool,
    maximize: bool,
    first: bool,
) -> PyResult<()> {
    let s = SgdStep {
        lr,
        momentum,
        dampening,
        weight_decay,
        nesterov,
        maximize,
        first,
    };
    let (x, g, b) = (x.0.clone(), grad.0.clone(), buf.map(|b| b.0.clone()));
    Ok(py.detach(|| optim::sgd_step(&x, &g, b.as_ref(), &s))?)
}

/// One Adam (AdamW with `decoupled`) step in place on `x` and its moments.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn dev_adam_step(
    py: Python<'_>,
    x: &DeviceArray,
    grad: &DeviceArray,
    m: &DeviceArray,
    v: &DeviceArray,
    vmax: Option<&DeviceArray>,
    lr: f64,
    betas: (f64, f64),
    eps: f64,
    weight_decay: f64,
    decoupled: bool,
    amsgrad: bool,
    maximize: bool,
    step: u64,
) -> PyResult<()> {
    let s = AdamStep {
        lr,
        betas,
        eps,
        weight_decay,
        decoupled,
        amsgrad,
        maximize,
        step,
    };
    let (x, g, m, v) = (x.0.clone(), grad.0.clone(), m.0.clone(), v.0.clone());
    let vmax = vmax.map(|a| a.0.clone());
    Ok(py.detach(|| optim::adam_step(&x, &g, &m, &v, vmax.as_ref(), &s))?)
}

/// Waits until the GPU has finished all submitted work (benchmarks stop their clocks after it).
#[pyfunction]
fn dev_synchronize(py: Python<'_>) -> PyResult<()> {
    Ok(py.detach(|| -> Result<()> { resident::gpu_for_dtype(Dtype::F32)?.wait() })?)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(dev_synchronize, m)?)?;
    m.add_class::<DeviceArray>()?;
    m.add_function(wrap_pyfunction!(dev_upload, m)?)?;
    m.add_function(wrap_pyfunction!(dev_zeros, m)?)?;
    m.add_function(wrap_pyfunction!(dev_assemble, m)?)?;
    m.add_function(wrap_pyfunction!(dev_binary, m)?)?;
    m.add_function(wrap_pyfunction!(dev_unary, m)?)?;
    m.add_function(wrap_pyfunction!(dev_int_to_float, m)?)?;
    m.add_function(wrap_pyfunction!(dev_float_to_int, m)?)?;
    m.add_function(wrap_pyfunction!(dev_select, m)?)?;
    m.add_function(wrap_pyfunction!(dev_dropout_mask, m)?)?;
    m.add_function(wrap_pyfunction!(dev_sum, m)?)?;
    m.add_function(wrap_pyfunction!(dev_argmax, m)?)?;
    m.add_function(wrap_pyfunction!(dev_take_axis, m)?)?;
    m.add_function(wrap_pyfunction!(dev_put_axis, m)?)?;
    m.add_function(wrap_pyfunction!(dev_segment_sum, m)?)?;
    m.add_function(wrap_pyfunction!(dev_conv2d, m)?)?;
    m.add_function(wrap_pyfunction!(dev_conv2d_backward, m)?)?;
    m.add_function(wrap_pyfunction!(dev_conv_transpose2d, m)?)?;
    m.add_function(wrap_pyfunction!(dev_conv_transpose2d_backward, m)?)?;
    m.add_function(wrap_pyfunction!(dev_pool_extreme, m)?)?;
    m.add_function(wrap_pyfunction!(dev_pool_extreme_backward, m)?)?;
    m.add_function(wrap_pyfunction!(dev_pool_avg, m)?)?;
    m.add_function(wrap_pyfunction!(dev_pool_avg_backward, m)?)?;
    m.add_function(wrap_pyfunction!(dev_cross_entropy, m)?)?;
    m.add_function(wrap_pyfunction!(dev_sgd_step, m)?)?;
    m.add_function(wrap_pyfunction!(dev_adam_step, m)?)?;
    Ok(())
}
