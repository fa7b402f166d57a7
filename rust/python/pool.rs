//! Bindings of the pooling and resampling kernels (`sigconv.nn._pooling` calls them with
//! canonical arguments). Arrays are float32 or float64 of any number of dimensions: the last two
//! are the plane (`h x w`; 1-D callers add a height of 1), the others are flattened into planes.
//! Non-contiguous inputs are copied once; outputs are new C-ordered arrays.

use crate::cpu::pool::{self, Extreme, Planes};
use crate::cpu::resample::{self, Interp, ResampleAxis};
use crate::cpu::threads;
use crate::ops::device;
use crate::ops::pool as ops;
use crate::params::{adaptive_range, PoolAxis, PoolParams};
use numpy::{
    IntoPyArray, PyArrayDescrMethods, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn,
    PyUntypedArray, PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

type Pair = (usize, usize);

/// The planes of an array shape: the last two axes, the others multiplied.
pub(super) fn planes_of(shape: &[usize]) -> PyResult<Planes> {
    if shape.len() < 2 {
        return Err(PyValueError::new_err(format!(
            "pooling arrays need at least 2 dimensions; got shape {shape:?}"
        )));
    }
    let (lead, plane) = shape.split_at(shape.len() - 2);
    Ok(Planes {
        count: lead.iter().product(),
        h: plane[0],
        w: plane[1],
    })
}

fn with_plane(shape: &[usize], h: usize, w: usize) -> Vec<usize> {
    let mut s = shape[..shape.len() - 2].to_vec();
    s.extend([h, w]);
    s
}

/// The 2-D pooling geometry of kernel, stride, padding and dilation per axis.
pub(super) fn params(k: Pair, s: Pair, p: Pair, d: Pair, ceil_mode: bool) -> PyResult<PoolParams> {
    Ok(PoolParams {
        h: PoolAxis::new(k.0, s.0, p.0, d.0, ceil_mode)?,
        w: PoolAxis::new(k.1, s.1, p.1, d.1, ceil_mode)?,
    })
}

fn dtype_error(name: &str, a: &Bound<'_, PyAny>) -> PyErr {
    let dtype = a
        .getattr("dtype")
        .map(|d| d.to_string())
        .unwrap_or_else(|_| a.get_type().to_string());
    PyTypeError::new_err(format!(
        "{name} must be a float32 or float64 array; got dtype {dtype}"
    ))
}

fn indices_arg<'py>(a: &Bound<'py, PyAny>) -> PyResult<PyReadonlyArrayDyn<'py, i64>> {
    a.extract().map_err(|_| {
        PyTypeError::new_err(format!(
            "indices must be an int64 array; got {}",
            a.getattr("dtype")
                .map(|d| d.to_string())
                .unwrap_or_else(|_| a.get_type().to_string())
        ))
    })
}

fn is_f32(py: Python<'_>, a: &Bound<'_, PyAny>, name: &str) -> PyResult<bool> {
    let arr = a
        .cast::<PyUntypedArray>()
        .map_err(|_| dtype_error(name, a))?;
    let dtype = arr.dtype();
    if dtype.is_equiv_to(&numpy::dtype::<f32>(py)) {
        Ok(true)
    } else if dtype.is_equiv_to(&numpy::dtype::<f64>(py)) {
        Ok(false)
    } else {
        Err(dtype_error(name, a))
    }
}

/// Runs `$body` with `$t` the element type of `$x` (float32 or float64).
macro_rules! by_dtype {
    ($py:expr, $x:expr, $name:expr, $t:ident => $body:expr) => {{
        if is_f32($py, $x, $name)? {
            type $t = f32;
            $body
        } else {
            type $t = f64;
            $body
        }
    }};
}

/// Borrows `$a` as a contiguous slice `$s` of `$t` (copying a strided array once).
macro_rules! contiguous {
    ($a:expr, $t:ty, $name:expr, $view:ident, $s:ident) => {
        let $view: PyReadonlyArrayDyn<$t> = $a.extract().map_err(|_| dtype_error($name, $a))?;
        let $view = $view.as_array();
        let $view = $view.as_standard_layout();
        let $s: &[$t] = $view.as_slice().expect("standard layout is contiguous");
    };
}

/// A new C-ordered array of `shape`, filled by `fill` (which must write every element) with the
/// interpreter released.
fn new_array<'py, T: numpy::Element + Send>(
    py: Python<'py>,
    shape: Vec<usize>,
    workers: Option<usize>,
    fill: impl FnOnce(&mut [T]) -> crate::Result<()> + Send,
) -> PyResult<Bound<'py, PyArrayDyn<T>>> {
    // SAFETY: a new C-ordered array; `fill` writes every element before Python sees it, and the
    // array is dropped unseen when `fill` fails.
    let out = unsafe { super::new_array_or_err::<T>(py, &shape) }?;
    {
        let mut rw = out.readwrite();
        let buf = rw.as_slice_mut().expect("new arrays are contiguous");
        py.detach(|| threads::with_workers(workers, || fill(buf)))?;
    }
    Ok(out)
}

/// Max (or, with `minimum`, min) pooling over the last two axes; with `return_indices` a tuple
/// `(values, int64 indices)`.
#[pyfunction]
#[pyo3(signature = (x, kernel, stride, padding, dilation, ceil_mode, minimum, return_indices, workers=None, device="cpu"))]
#[allow(clippy::too_many_arguments)]
fn pool_extreme<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    ceil_mode: bool,
    minimum: bool,
    return_indices: bool,
    workers: Option<usize>,
    device: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let p = params(kernel, stride, padding, dilation, ceil_mode)?;
    let kind = if minimum { Extreme::Min } else { Extreme::Max };
    let request = device::check(device)?;
    by_dtype!(py, x, "input", T => {
        contiguous!(x, T, "input", xv, xs);
        let planes = planes_of(xv.shape())?;
        let (oh, ow) = p.out_shape(planes.h, planes.w)?;
        let shape = with_plane(xv.shape(), oh, ow);
        if !return_indices {
            let out = new_array::<T>(py, shape, workers, |o| ops::extreme_pool_on(request, xs, planes, &p, kind, o, None))?;
            return Ok(out.into_any());
        }
        // SAFETY: new C-ordered arrays; extreme_pool_indices writes every element of both before
        // Python sees them, and they are dropped unseen when it fails.
        let (out, idx) = unsafe {
            (super::new_array_or_err::<T>(py, &shape)?, super::new_array_or_err::<i64>(py, &shape)?)
        };
        {
            let (mut orw, mut irw) = (out.readwrite(), idx.readwrite());
            let obuf = orw.as_slice_mut().expect("new arrays are contiguous");
            let ibuf = irw.as_slice_mut().expect("new arrays are contiguous");
            py.detach(|| threads::with_workers(workers, || {
                ops::extreme_pool_on(request, xs, planes, &p, kind, obuf, Some(ibuf))
            }))?;
        }
        Ok(PyTuple::new(py, [out.into_any(), idx.into_any()])?.into_any())
    })
}

/// Gradient of max / min pooling: `grad_output` scattered onto `input_shape` at `indices`.
#[pyfunction]
#[pyo3(signature = (grad_output, indices, input_shape, workers=None, device="cpu"))]
fn pool_extreme_backward<'py>(
    py: Python<'py>,
    grad_output: &Bound<'py, PyAny>,
    indices: &Bound<'py, PyAny>,
    input_shape: Vec<usize>,
    workers: Option<usize>,
    device: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let request = device::check(device)?;
    let ia = indices_arg(indices)?;
    let iv = ia.as_array();
    let iv = iv.as_standard_layout();
    let is = iv.as_slice().expect("standard layout is contiguous");
    by_dtype!(py, grad_output, "grad_output", T => {
        contiguous!(grad_output, T, "grad_output", gv, gs);
        let input = planes_of(&input_shape)?;
        let out_planes = planes_of(gv.shape())?;
        if iv.shape() != gv.shape() || out_planes.count != input.count {
            return Err(PyValueError::new_err(format!(
                "grad_output {:?}, indices {:?} and input_shape {input_shape:?} do not fit together",
                gv.shape(), iv.shape()
            )));
        }
        let out = new_array::<T>(py, input_shape, workers, |g| {
            ops::extreme_pool_backward_on(request, gs, is, out_planes.plane_len(), input, g)
        })?;
        Ok(out.into_any())
    })
}

/// Average pooling over the last two axes.
#[pyfunction]
#[pyo3(signature = (x, kernel, stride, padding, ceil_mode, count_include_pad, divisor=None, workers=None, device="cpu"))]
#[allow(clippy::too_many_arguments)]
fn pool_avg<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor: Option<usize>,
    workers: Option<usize>,
    device: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let p = params(kernel, stride, padding, (1, 1), ceil_mode)?;
    let request = device::check(device)?;
    by_dtype!(py, x, "input", T => {
        contiguous!(x, T, "input", xv, xs);
        let planes = planes_of(xv.shape())?;
        let (oh, ow) = p.out_shape(planes.h, planes.w)?;
        let out = new_array::<T>(py, with_plane(xv.shape(), oh, ow), workers, |o| {
            ops::avg_pool_on(request, xs, planes, &p, count_include_pad, divisor, o)
        })?;
        Ok(out.into_any())
    })
}

/// Gradient of average pooling onto `input_shape`.
#[pyfunction]
#[pyo3(signature = (grad_output, input_shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor=None, workers=None, device="cpu"))]
#[allow(clippy::too_many_arguments)]
fn pool_avg_backward<'py>(
    py: Python<'py>,
    grad_output: &Bound<'py, PyAny>,
    input_shape: Vec<usize>,
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor: Option<usize>,
    workers: Option<usize>,
    device: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let p = params(kernel, stride, padding, (1, 1), ceil_mode)?;
    let request = device::check(device)?;
    by_dtype!(py, grad_output, "grad_output", T => {
        contiguous!(grad_output, T, "grad_output", gv, gs);
        let input = planes_of(&input_shape)?;
        let (oh, ow) = p.out_shape(input.h, input.w)?;
        if gv.shape() != with_plane(&input_shape, oh, ow).as_slice() {
            return Err(PyValueError::new_err(format!(
                "grad_output has shape {:?}; pooling input_shape {input_shape:?} gives {:?}",
                gv.shape(), with_plane(&input_shape, oh, ow)
            )));
        }
        let out = new_array::<T>(py, input_shape, workers, |g| {
            ops::avg_pool_backward_on(request, gs, input, &p, count_include_pad, divisor, g)
        })?;
        Ok(out.into_any())
    })
}

/// Max-unpooling to planes of `out_size`.
#[pyfunction]
#[pyo3(signature = (x, indices, out_size, workers=None))]
fn max_unpool<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    indices: &Bound<'py, PyAny>,
    out_size: Pair,
    workers: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let ia = indices_arg(indices)?;
    let iv = ia.as_array();
    let iv = iv.as_standard_layout();
    let is = iv.as_slice().expect("standard layout is contiguous");
    by_dtype!(py, x, "input", T => {
        contiguous!(x, T, "input", xv, xs);
        if iv.shape() != xv.shape() {
            return Err(PyValueError::new_err(format!(
                "indices must have the shape of input {:?}; got {:?}", xv.shape(), iv.shape()
            )));
        }
        let planes = planes_of(xv.shape())?;
        let out = new_array::<T>(py, with_plane(xv.shape(), out_size.0, out_size.1), workers, |o| {
            pool::max_unpool(xs, is, planes, out_size.0, out_size.1, o)
        })?;
        Ok(out.into_any())
    })
}

/// Gradient of max-unpooling: `grad_output` gathered at `indices`.
#[pyfunction]
#[pyo3(signature = (grad_output, indices, workers=None))]
fn max_unpool_backward<'py>(
    py: Python<'py>,
    grad_output: &Bound<'py, PyAny>,
    indices: &Bound<'py, PyAny>,
    workers: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let ia = indices_arg(indices)?;
    let iv = ia.as_array();
    let iv = iv.as_standard_layout();
    let is = iv.as_slice().expect("standard layout is contiguous");
    by_dtype!(py, grad_output, "grad_output", T => {
        contiguous!(grad_output, T, "grad_output", gv, gs);
        let input = planes_of(iv.shape())?;
        let outp = planes_of(gv.shape())?;
        if outp.count != input.count || gv.ndim() != iv.ndim() {
            return Err(PyValueError::new_err(format!(
                "grad_output {:?} and indices {:?} do not fit together", gv.shape(), iv.shape()
            )));
        }
        let out = new_array::<T>(py, iv.shape().to_vec(), workers, |g| {
            pool::max_unpool_backward(gs, is, outp.plane_len(), input, g)
        })?;
        Ok(out.into_any())
    })
}

/// Adaptive average pooling of the last two axes to `out_size`.
#[pyfunction]
#[pyo3(signature = (x, out_size, workers=None))]
fn adaptive_avg_pool<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    out_size: Pair,
    workers: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    by_dtype!(py, x, "input", T => {
        contiguous!(x, T, "input", xv, xs);
        let planes = planes_of(xv.shape())?;
        let out = new_array::<T>(py, with_plane(xv.shape(), out_size.0, out_size.1), workers, |o| {
            pool::adaptive_avg_pool(xs, planes, out_size.0, out_size.1, o)
        })?;
        Ok(out.into_any())
    })
}

/// Gradient of adaptive average pooling onto `input_shape`.
#[pyfunction]
#[pyo3(signature = (grad_output, input_shape, workers=None))]
fn adaptive_avg_pool_backward<'py>(
    py: Python<'py>,
    grad_output: &Bound<'py, PyAny>,
    input_shape: Vec<usize>,
    workers: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    by_dtype!(py, grad_output, "grad_output", T => {
        contiguous!(grad_output, T, "grad_output", gv, gs);
        let input = planes_of(&input_shape)?;
        let outp = planes_of(gv.shape())?;
        if outp.count != input.count || gv.ndim() != input_shape.len() {
            return Err(PyValueError::new_err(format!(
                "grad_output {:?} does not fit input_shape {input_shape:?}", gv.shape()
            )));
        }
        let out = new_array::<T>(py, input_shape, workers, |g| {
            pool::adaptive_avg_pool_backward(gs, input, outp.h, outp.w, g)
        })?;
        Ok(out.into_any())
    })
}

fn interp_mode(mode: &str, align_corners: bool) -> PyResult<Interp> {
    Ok(match mode {
        "nearest" => Interp::Nearest,
        "nearest-exact" => Interp::NearestExact,
        "linear" => Interp::Linear { align_corners },
        "bed_of_nails" => Interp::BedOfNails,
        other => {
            return Err(PyValueError::new_err(format!(
                "mode must be one of 'nearest', 'nearest-exact', 'linear', 'bed_of_nails'; got {other:?}"
            )))
        }
    })
}

fn axes(
    input: Planes,
    out_size: Pair,
    scales: (Option<f64>, Option<f64>),
) -> (ResampleAxis, ResampleAxis) {
    (
        ResampleAxis {
            n_in: input.h,
            n_out: out_size.0,
            scale: scales.0,
        },
        ResampleAxis {
            n_in: input.w,
            n_out: out_size.1,
            scale: scales.1,
        },
    )
}

/// Resampling of the last two axes (or, without `two_d`, the last one) to `out_size`.
#[pyfunction]
#[pyo3(signature = (x, out_size, scales, mode, align_corners, two_d, workers=None))]
#[allow(clippy::too_many_arguments)]
fn interpolate<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    out_size: Pair,
    scales: (Option<f64>, Option<f64>),
    mode: &str,
    align_corners: bool,
    two_d: bool,
    workers: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let mode = interp_mode(mode, align_corners)?;
    by_dtype!(py, x, "input", T => {
        contiguous!(x, T, "input", xv, xs);
        let planes = planes_of(xv.shape())?;
        let (hy, wx) = axes(planes, out_size, scales);
        let oh = if two_d { out_size.0 } else { planes.h };
        let out = new_array::<T>(py, with_plane(xv.shape(), oh, out_size.1), workers, |o| {
            resample::interpolate(xs, planes, hy, wx, mode, two_d, o)
        })?;
        Ok(out.into_any())
    })
}

/// Gradient of [`interpolate`] onto `input_shape`; the output size is `grad_output`'s.
#[pyfunction]
#[pyo3(signature = (grad_output, input_shape, scales, mode, align_corners, two_d, workers=None))]
#[allow(clippy::too_many_arguments)]
fn interpolate_backward<'py>(
    py: Python<'py>,
    grad_output: &Bound<'py, PyAny>,
    input_shape: Vec<usize>,
    scales: (Option<f64>, Option<f64>),
    mode: &str,
    align_corners: bool,
    two_d: bool,
    workers: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let mode = interp_mode(mode, align_corners)?;
    by_dtype!(py, grad_output, "grad_output", T => {
        contiguous!(grad_output, T, "grad_output", gv, gs);
        let input = planes_of(&input_shape)?;
        let outp = planes_of(gv.shape())?;
        if outp.count != input.count || gv.ndim() != input_shape.len() || (!two_d && outp.h != input.h) {
            return Err(PyValueError::new_err(format!(
                "grad_output {:?} does not fit input_shape {input_shape:?}", gv.shape()
            )));
        }
        let (hy, wx) = axes(input, (outp.h, outp.w), scales);
        let out = new_array::<T>(py, input_shape, workers, |g| {
            resample::interpolate_backward(gs, input, hy, wx, mode, two_d, g)
        })?;
        Ok(out.into_any())
    })
}

/// One axis's source samples and weights, as the CPU kernels compute them (for the GPU's
/// resampling, which gathers with them): `(i0, None, None, None)` for the nearest modes,
/// `(i0, i1, w0, w1)` (weights in `dtype`) for linear.
#[pyfunction]
#[pyo3(signature = (n_in, n_out, scale, mode, align_corners, dtype))]
fn resample_taps<'py>(
    py: Python<'py>,
    n_in: usize,
    n_out: usize,
    scale: Option<f64>,
    mode: &str,
    align_corners: bool,
    dtype: &str,
) -> PyResult<Bound<'py, PyTuple>> {
    let ax = ResampleAxis { n_in, n_out, scale };
    let index = |v: Vec<usize>| {
        v.into_iter()
            .map(|i| i as i64)
            .collect::<Vec<_>>()
            .into_pyarray(py)
    };
    let none = || py.None().into_bound(py);
    match interp_mode(mode, align_corners)? {
        Interp::Nearest | Interp::NearestExact => {
            let exact = mode == "nearest-exact";
            let i0 = index(resample::nearest_table(&ax, exact)).into_any();
            PyTuple::new(py, [i0, none(), none(), none()])
        }
        Interp::Linear { align_corners } => {
            macro_rules! taps {
                ($t:ty) => {{
                    let t = resample::linear_table::<$t>(&ax, align_corners);
                    PyTuple::new(
                        py,
                        [
                            index(t.i0).into_any(),
                            index(t.i1).into_any(),
                            t.w0.into_pyarray(py).into_any(),
                            t.w1.into_pyarray(py).into_any(),
                        ],
                    )
                }};
            }
            match dtype {
                "float32" => taps!(f32),
                "float64" => taps!(f64),
                other => Err(PyTypeError::new_err(format!(
                    "resample_taps: dtype must be float32 or float64; got {other}"
                ))),
            }
        }
        Interp::BedOfNails => Err(PyValueError::new_err(
            "resample_taps: bed_of_nails has no taps (a strided copy)",
        )),
    }
}

/// The windows of adaptive pooling along one axis, as the CPU kernels take them: the starts and
/// ends of output `o`'s input range, `floor(o n_in / n_out)` to `ceil((o + 1) n_in / n_out)`.
#[pyfunction]
fn adaptive_windows(n_in: usize, n_out: usize) -> PyResult<(Vec<usize>, Vec<usize>)> {
    if n_out == 0 || n_in == 0 {
        return Err(PyValueError::new_err(format!(
            "adaptive windows need non-empty input and output axes; got {n_in} -> {n_out}"
        )));
    }
    Ok((0..n_out).map(|o| adaptive_range(o, n_in, n_out)).unzip())
}

/// Adds this module's functions to `_core`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(pool_extreme, m)?)?;
    m.add_function(wrap_pyfunction!(pool_extreme_backward, m)?)?;
    m.add_function(wrap_pyfunction!(pool_avg, m)?)?;
    m.add_function(wrap_pyfunction!(pool_avg_backward, m)?)?;
    m.add_function(wrap_pyfunction!(max_unpool, m)?)?;
    m.add_function(wrap_pyfunction!(max_unpool_backward, m)?)?;
    m.add_function(wrap_pyfunction!(adaptive_avg_pool, m)?)?;
    m.add_function(wrap_pyfunction!(adaptive_avg_pool_backward, m)?)?;
    m.add_function(wrap_pyfunction!(interpolate, m)?)?;
    m.add_function(wrap_pyfunction!(interpolate_backward, m)?)?;
    m.add_function(wrap_pyfunction!(resample_taps, m)?)?;
    m.add_function(wrap_pyfunction!(adaptive_windows, m)?)?;
    Ok(())
}
