//! Bindings of the CNN layer kernels that `sigconv.nn._conv` calls: C-contiguous float32 or
//! float64 arrays of one dtype in, new arrays out. Python normalises torch's arguments first
//! (1-D runs as 2-D with a unit height); Rust checks the shapes again and does every loop.

use crate::cpu::matmul::{self as mm, MatmulShape};
use crate::cpu::{conv, pad as padk, threads};
use crate::error::Error;
use crate::ops::conv::{self as opsconv, conv_params, conv_transpose_params, Axes2};
use crate::ops::device::{self, Request};
use crate::params::{Boundary, ConvParams};
use numpy::{
    Element as NpElement, PyArrayDescrMethods, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn,
    PyUntypedArray, PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

type Grads<'py> = (
    Option<Bound<'py, PyAny>>,
    Option<Bound<'py, PyAny>>,
    Option<Bound<'py, PyAny>>,
);

/// float32 or float64: the element types of the layer kernels.
trait Float: opsconv::LayerElement + NpElement {}
impl Float for f32 {}
impl Float for f64 {}

/// Whether `a` is a float32 (false) or float64 (true) array; TypeError otherwise.
fn is_f64(py: Python<'_>, a: &Bound<'_, PyAny>, name: &str) -> PyResult<bool> {
    let arr = a.cast::<PyUntypedArray>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{name} must be a numpy array; got {}",
            a.get_type()
        ))
    })?;
    let dtype = arr.dtype();
    if dtype.is_equiv_to(&numpy::dtype::<f32>(py)) {
        Ok(false)
    } else if dtype.is_equiv_to(&numpy::dtype::<f64>(py)) {
        Ok(true)
    } else {
        Err(PyTypeError::new_err(format!(
            "{name} must be float32 or float64; got dtype {dtype}"
        )))
    }
}

/// Borrows `a` as an array of `T` (TypeError naming both dtypes when it is another one).
fn borrow<'py, T: Float>(
    a: &Bound<'py, PyAny>,
    name: &str,
) -> PyResult<PyReadonlyArrayDyn<'py, T>> {
    a.extract().map_err(|_| {
        let dtype = a
            .getattr("dtype")
            .map(|d| d.to_string())
            .unwrap_or_default();
        PyTypeError::new_err(format!(
            "{name} must have the dtype of input ({}); got {dtype}",
            std::any::type_name::<T>().replace("f", "float")
        ))
    })
}

fn contiguous<'a, T: Float>(a: &'a PyReadonlyArrayDyn<'_, T>, name: &str) -> PyResult<&'a [T]> {
    a.as_slice()
        .map_err(|_| PyValueError::new_err(format!("{name} must be C-contiguous")))
}

/// A new C-ordered array of `shape`.
///
/// # Safety
/// The caller writes every element before the array reaches Python.
unsafe fn new_array<'py, T: Float>(
    py: Python<'py>,
    shape: &[usize],
) -> PyResult<Bound<'py, PyArrayDyn<T>>> {
    // SAFETY: forwarded to the caller (see above).
    unsafe { super::new_array_or_err::<T>(py, shape) }
}

fn check_shape(name: &str, got: &[usize], want: &[usize]) -> PyResult<()> {
    if got == want {
        Ok(())
    } else {
        Err(Error::Value(format!("{name} must have shape {want:?}; got {got:?}")).into())
    }
}

/// Output arrays for the requested gradients, all written by the kernels.
fn outputs<'py, T: Float>(
    py: Python<'py>,
    mask: (bool, bool, bool),
    shapes: [&[usize]; 3],
) -> PyResult<[Option<Bound<'py, PyArrayDyn<T>>>; 3]> {
    let wanted = [mask.0, mask.1, mask.2];
    let mut out = [None, None, None];
    for ((o, want), shape) in out.iter_mut().zip(wanted).zip(shapes) {
        if want {
            // SAFETY: each kernel below writes every element of the gradient it is given.
            *o = Some(unsafe { new_array::<T>(py, shape) }?);
        }
    }
    Ok(out)
}

fn into_grads<'py, T: Float>(out: [Option<Bound<'py, PyArrayDyn<T>>>; 3]) -> Grads<'py> {
    let [a, b, c] = out.map(|o| o.map(Bound::into_any));
    (a, b, c)
}

macro_rules! by_dtype {
    ($py:expr, $first:expr, $name:expr, $f:ident ( $($arg:expr),* )) => {
        if is_f64($py, $first, $name)? { $f::<f64>($($arg),*) } else { $f::<f32>($($arg),*) }
    };
}

/// Runs `f` on mutable slices of the gradients that exist.
fn with_slices<'py, T: Float, R>(
    out: &[Option<Bound<'py, PyArrayDyn<T>>>; 3],
    f: impl FnOnce([Option<&mut [T]>; 3]) -> R,
) -> PyResult<R> {
    let mut guards: Vec<_> = out
        .iter()
        .map(|o| o.as_ref().map(|a| a.readwrite()))
        .collect();
    let mut it = guards.iter_mut();
    let mut next = || -> PyResult<Option<&mut [T]>> {
        match it.next().and_then(Option::as_mut) {
            Some(g) => Ok(Some(
                g.as_slice_mut()
                    .map_err(|e| PyValueError::new_err(e.to_string()))?,
            )),
            None => Ok(None),
        }
    };
    let (a, b, c) = (next()?, next()?, next()?);
    Ok(f([a, b, c]))
}

#[allow(clippy::too_many_arguments)]
fn conv2d_t<'py, T: Float>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    w: &Bound<'py, PyAny>,
    bias: Option<&Bound<'py, PyAny>>,
    p: impl FnOnce(&[usize], &[usize]) -> crate::Result<ConvParams>,
    transposed: bool,
    workers: Option<usize>,
    request: Request,
) -> PyResult<Bound<'py, PyAny>> {
    let (xa, wa) = (borrow::<T>(x, "input")?, borrow::<T>(w, "weight")?);
    let ba = bias.map(|b| borrow::<T>(b, "bias")).transpose()?;
    let p = p(xa.shape(), wa.shape())?;
    let (shape, channels) = if transposed {
        (p.input_shape(), p.in_channels)
    } else {
        (p.output_shape(), p.out_channels)
    };
    if let Some(b) = &ba {
        check_shape("bias", b.shape(), &[channels])?;
    }
    let (xs, ws) = (contiguous(&xa, "input")?, contiguous(&wa, "weight")?);
    let bs = ba.as_ref().map(|b| contiguous(b, "bias")).transpose()?;
    let on = opsconv::pick::<T>(
        request,
        &p,
        xs.len() + ws.len() + shape.iter().product::<usize>(),
    );
    // SAFETY: forward and backward_data write every element of y.
    let y = unsafe { new_array::<T>(py, &shape) }?;
    {
        let mut yw = y.readwrite();
        let ys = yw
            .as_slice_mut()
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        py.detach(|| {
            threads::with_workers(workers, || -> crate::Result<()> {
                if transposed {
                    opsconv::backward_data_on(on, xs, ws, &p, ys)?;
                    if let Some(b) = bs {
                        conv::add_channel_bias(ys, b, p.in_plane());
                    }
                    Ok(())
                } else {
                    opsconv::forward_on(on, xs, ws, bs, &p, ys)
                }
            })
        })?;
    }
    Ok(y.into_any())
}

#[allow(clippy::too_many_arguments)]
fn conv2d_backward_t<'py, T: Float>(
    py: Python<'py>,
    dy: &Bound<'py, PyAny>,
    x: &Bound<'py, PyAny>,
    w: &Bound<'py, PyAny>,
    p: impl FnOnce(&[usize], &[usize]) -> crate::Result<ConvParams>,
    transposed: bool,
    mask: (bool, bool, bool),
    workers: Option<usize>,
    request: Request,
) -> PyResult<Grads<'py>> {
    let (dya, xa, wa) = (
        borrow::<T>(dy, "grad_output")?,
        borrow::<T>(x, "input")?,
        borrow::<T>(w, "weight")?,
    );
    let p = p(xa.shape(), wa.shape())?;
    let (dy_shape, bias_ch) = if transposed {
        (p.input_shape(), p.in_channels)
    } else {
        (p.output_shape(), p.out_channels)
    };
    check_shape("grad_output", dya.shape(), &dy_shape)?;
    let (dys, xs, ws) = (
        contiguous(&dya, "grad_output")?,
        contiguous(&xa, "input")?,
        contiguous(&wa, "weight")?,
    );
    let on = opsconv::pick::<T>(request, &p, dys.len() + xs.len() + ws.len());
    let out = outputs::<T>(py, mask, [xa.shape(), wa.shape(), &[bias_ch]])?;
    with_slices(&out, |[dx, dw, db]| {
        py.detach(|| {
            threads::with_workers(workers, || -> crate::Result<()> {
                if transposed {
                    // x_t = conv's output: its gradient is the convolution of dy; the weight's
                    // gradient pairs x_t (as conv's dy) with dy (as conv's input).
                    if let Some(dx) = dx {
                        opsconv::forward_on(on, dys, ws, None, &p, dx)?;
                    }
                    if let Some(dw) = dw {
                        opsconv::backward_weight_on(on, xs, dys, &p, dw)?;
                    }
                } else {
                    if let Some(dx) = dx {
                        opsconv::backward_data_on(on, dys, ws, &p, dx)?;
                    }
                    if let Some(dw) = dw {
                        opsconv::backward_weight_on(on, dys, xs, &p, dw)?;
                    }
                }
                // The bias gradient is a sum over the batch and the plane: on the host (the
                // data is there already).
                if let Some(db) = db {
                    conv::bias_grad(dys, p.batch, bias_ch, db);
                }
                Ok(())
            })
        })
    })??;
    Ok(into_grads(out))
}

/// `conv(x, w) + bias` in NCHW: `stride`, `padding` ((top, bottom), (left, right)) of zeros,
/// `dilation` per axis (height, width).
#[pyfunction]
#[pyo3(signature = (x, w, bias, stride, padding, dilation, groups, workers=None, device="cpu"))]
#[allow(clippy::too_many_arguments)]
fn conv2d<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    w: &Bound<'py, PyAny>,
    bias: Option<&Bound<'py, PyAny>>,
    stride: Axes2<usize>,
    padding: Axes2<(usize, usize)>,
    dilation: Axes2<usize>,
    groups: usize,
    workers: Option<usize>,
    device: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let p = |xs: &[usize], ws: &[usize]| conv_params(xs, ws, stride, padding, dilation, groups);
    by_dtype!(
        py,
        x,
        "input",
        conv2d_t(py, x, w, bias, p, false, workers, device::check(device)?)
    )
}

/// Gradients of [`conv2d`] for `mask` = (input, weight, bias): `None` where not asked for.
#[pyfunction]
#[pyo3(signature = (dy, x, w, stride, padding, dilation, groups, mask, workers=None, device="cpu"))]
#[allow(clippy::too_many_arguments)]
fn conv2d_backward<'py>(
    py: Python<'py>,
    dy: &Bound<'py, PyAny>,
    x: &Bound<'py, PyAny>,
    w: &Bound<'py, PyAny>,
    stride: Axes2<usize>,
    padding: Axes2<(usize, usize)>,
    dilation: Axes2<usize>,
    groups: usize,
    mask: (bool, bool, bool),
    workers: Option<usize>,
    device: &str,
) -> PyResult<Grads<'py>> {
    let p = |xs: &[usize], ws: &[usize]| conv_params(xs, ws, stride, padding, dilation, groups);
    by_dtype!(
        py,
        x,
        "input",
        conv2d_backward_t(
            py,
            dy,
            x,
            w,
            p,
            false,
            mask,
            workers,
            device::check(device)?
        )
    )
}

/// The transposed convolution (torch's conv_transpose2d) in NCHW, weight `(C_in, C_out/groups,
/// kH, kW)`.
#[pyfunction]
#[pyo3(signature = (x, w, bias, stride, padding, output_padding, dilation, groups, workers=None, device="cpu"))]
#[allow(clippy::too_many_arguments)]
fn conv_transpose2d<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    w: &Bound<'py, PyAny>,
    bias: Option<&Bound<'py, PyAny>>,
    stride: Axes2<usize>,
    padding: Axes2<usize>,
    output_padding: Axes2<usize>,
    dilation: Axes2<usize>,
    groups: usize,
    workers: Option<usize>,
    device: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let p = |xs: &[usize], ws: &[usize]| {
        conv_transpose_params(xs, ws, stride, padding, output_padding, dilation, groups)
    };
    by_dtype!(
        py,
        x,
        "input",
        conv2d_t(py, x, w, bias, p, true, workers, device::check(device)?)
    )
}

/// Gradients of [`conv_transpose2d`] for `mask` = (input, weight, bias).
#[pyfunction]
#[pyo3(signature = (dy, x, w, stride, padding, output_padding, dilation, groups, mask, workers=None, device="cpu"))]
#[allow(clippy::too_many_arguments)]
fn conv_transpose2d_backward<'py>(
    py: Python<'py>,
    dy: &Bound<'py, PyAny>,
    x: &Bound<'py, PyAny>,
    w: &Bound<'py, PyAny>,
    stride: Axes2<usize>,
    padding: Axes2<usize>,
    output_padding: Axes2<usize>,
    dilation: Axes2<usize>,
    groups: usize,
    mask: (bool, bool, bool),
    workers: Option<usize>,
    device: &str,
) -> PyResult<Grads<'py>> {
    let p = |xs: &[usize], ws: &[usize]| {
        conv_transpose_params(xs, ws, stride, padding, output_padding, dilation, groups)
    };
    by_dtype!(
        py,
        x,
        "input",
        conv2d_backward_t(py, dy, x, w, p, true, mask, workers, device::check(device)?)
    )
}

fn pad_boundary<T: Float>(mode: &str, value: f64) -> PyResult<Boundary<T>> {
    Ok(match mode {
        "constant" => Boundary::Fill(<T as num_traits::NumCast>::from(value).unwrap_or(T::ZERO)),
        "reflect" => Boundary::Mirror,
        "replicate" => Boundary::Nearest,
        "circular" => Boundary::Wrap,
        other => {
            return Err(PyValueError::new_err(format!(
                "mode must be one of 'constant', 'reflect', 'replicate', 'circular'; got {other:?}"
            )))
        }
    })
}

fn pad_t<'py, T: Float>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    pads: &[(isize, isize)],
    mode: &str,
    value: f64,
    workers: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let xa = borrow::<T>(x, "input")?;
    let boundary = pad_boundary::<T>(mode, value)?;
    let shape = padk::padded_shape(xa.shape(), pads)?;
    let xs = contiguous(&xa, "input")?;
    // SAFETY: pad writes every element of the output.
    let y = unsafe { new_array::<T>(py, &shape) }?;
    {
        let mut yw = y.readwrite();
        let ys = yw
            .as_slice_mut()
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let in_shape = xa.shape().to_vec();
        py.detach(|| {
            threads::with_workers(workers, || padk::pad(xs, &in_shape, pads, boundary, ys))
        })?;
    }
    Ok(y.into_any())
}

fn pad_backward_t<'py, T: Float>(
    py: Python<'py>,
    dy: &Bound<'py, PyAny>,
    input_shape: &[usize],
    pads: &[(isize, isize)],
    mode: &str,
    workers: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let dya = borrow::<T>(dy, "grad_output")?;
    let boundary = pad_boundary::<T>(mode, 0.0)?;
    check_shape(
        "grad_output",
        dya.shape(),
        &padk::padded_shape(input_shape, pads)?,
    )?;
    let dys = contiguous(&dya, "grad_output")?;
    // SAFETY: pad_backward writes every element of the gradient.
    let dx = unsafe { new_array::<T>(py, input_shape) }?;
    {
        let mut w = dx.readwrite();
        let dxs = w
            .as_slice_mut()
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        py.detach(|| {
            threads::with_workers(workers, || {
                padk::pad_backward(dys, input_shape, pads, boundary, dxs)
            })
        })?;
    }
    Ok(dx.into_any())
}

/// Pads the last `len(pads)` axes of `x` by `pads[i] = (before, after)` (in axis order; negative
/// crops) with `mode` 'constant' (`value`), 'reflect', 'replicate' or 'circular'.
#[pyfunction]
#[pyo3(signature = (x, pads, mode, value=0.0, workers=None))]
fn pad<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    pads: Vec<(isize, isize)>,
    mode: &str,
    value: f64,
    workers: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    by_dtype!(py, x, "input", pad_t(py, x, &pads, mode, value, workers))
}

/// The gradient of [`pad`] with respect to its input of shape `input_shape`.
#[pyfunction]
#[pyo3(signature = (dy, input_shape, pads, mode, workers=None))]
fn pad_backward<'py>(
    py: Python<'py>,
    dy: &Bound<'py, PyAny>,
    input_shape: Vec<usize>,
    pads: Vec<(isize, isize)>,
    mode: &str,
    workers: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    by_dtype!(
        py,
        dy,
        "grad_output",
        pad_backward_t(py, dy, &input_shape, &pads, mode, workers)
    )
}

/// `(batch, rows, cols)` of a 2-D or 3-D operand, and whether it has a batch axis.
fn mat_dims(name: &str, shape: &[usize]) -> PyResult<(usize, usize, usize, bool)> {
    match *shape {
        [r, c] => Ok((1, r, c, false)),
        [b, r, c] => Ok((b, r, c, true)),
        _ => Err(PyValueError::new_err(format!(
            "{name} must have 2 or 3 dimensions; got shape {shape:?}"
        ))),
    }
}

fn matmul_t<'py, T: Float>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
    ta: bool,
    tb: bool,
    workers: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let (aa, ba) = (borrow::<T>(a, "a")?, borrow::<T>(b, "b")?);
    let (bat_a, ra, ca, a_batched) = mat_dims("a", aa.shape())?;
    let (bat_b, rb, cb, b_batched) = mat_dims("b", ba.shape())?;
    let (m, k) = if ta { (ca, ra) } else { (ra, ca) };
    let (k2, n) = if tb { (cb, rb) } else { (rb, cb) };
    if k != k2 {
        return Err(PyValueError::new_err(format!(
            "matmul: the inner dimensions of a {:?} and b {:?} differ ({k} and {k2})",
            aa.shape(),
            ba.shape()
        )));
    }
    if a_batched && b_batched && bat_a != bat_b && bat_a != 1 && bat_b != 1 {
        return Err(PyValueError::new_err(format!(
            "matmul: batch sizes of a {:?} and b {:?} do not broadcast",
            aa.shape(),
            ba.shape()
        )));
    }
    let batch = bat_a.max(bat_b);
    let s = MatmulShape {
        batch,
        m,
        k,
        n,
        a_batched: a_batched && bat_a == batch && batch > 1 || (a_batched && batch == 1),
        b_batched: b_batched && bat_b == batch && batch > 1 || (b_batched && batch == 1),
        ta,
        tb,
    };
    let shape: Vec<usize> = if a_batched || b_batched {
        vec![batch, m, n]
    } else {
        vec![m, n]
    };
    let (as_, bs) = (contiguous(&aa, "a")?, contiguous(&ba, "b")?);
    // SAFETY: matmul writes every element of the product.
    let out = unsafe { new_array::<T>(py, &shape) }?;
    {
        let mut w = out.readwrite();
        let os = w
            .as_slice_mut()
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        py.detach(|| threads::with_workers(workers, || mm::matmul(as_, bs, &s, os)));
    }
    Ok(out.into_any())
}

/// `a @ b` for 2-D or 3-D (batched, a batch of 1 broadcasts) contiguous arrays; `ta`/`tb`: use
/// the operand's transpose (its last two axes swapped) without copying it.
#[pyfunction]
#[pyo3(signature = (a, b, ta=false, tb=false, workers=None))]
fn matmul<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
    ta: bool,
    tb: bool,
    workers: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    by_dtype!(py, a, "a", matmul_t(py, a, b, ta, tb, workers))
}

/// `out[i, :] += bias` for a contiguous `(rows, len(bias))` array, in place; `axis_sum` instead
/// returns the sum over the rows (the bias gradient).
fn rows_t<'py, T: Float>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    bias: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let xa = borrow::<T>(x, "input")?;
    let (rows, cols) = match *xa.shape() {
        [r, c] => (r, c),
        _ => {
            return Err(PyValueError::new_err(format!(
                "expected a 2-D array; got shape {:?}",
                xa.shape()
            )))
        }
    };
    let xs = contiguous(&xa, "input")?;
    match bias {
        Some(b) => {
            let ba = borrow::<T>(b, "bias")?;
            check_shape("bias", ba.shape(), &[cols])?;
            let bs = contiguous(&ba, "bias")?;
            // SAFETY: filled by the copy below.
            let out = unsafe { new_array::<T>(py, &[rows, cols]) }?;
            {
                let mut w = out.readwrite();
                let os = w
                    .as_slice_mut()
                    .map_err(|e| PyValueError::new_err(e.to_string()))?;
                os.copy_from_slice(xs);
                mm::add_bias_rows(os, bs);
            }
            Ok(out.into_any())
        }
        None => {
            // SAFETY: sum_rows writes every element.
            let out = unsafe { new_array::<T>(py, &[cols]) }?;
            {
                let mut w = out.readwrite();
                let os = w
                    .as_slice_mut()
                    .map_err(|e| PyValueError::new_err(e.to_string()))?;
                mm::sum_rows(xs, rows, cols, os);
            }
            Ok(out.into_any())
        }
    }
}

/// `x + bias` broadcast over the rows of a 2-D array, or, with `bias=None`, `x.sum(axis=0)`.
#[pyfunction]
#[pyo3(signature = (x, bias=None))]
fn add_rows<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    bias: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    by_dtype!(py, x, "input", rows_t(py, x, bias))
}

/// Registers the layer kernels in `_core`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(conv2d, m)?)?;
    m.add_function(wrap_pyfunction!(conv2d_backward, m)?)?;
    m.add_function(wrap_pyfunction!(conv_transpose2d, m)?)?;
    m.add_function(wrap_pyfunction!(conv_transpose2d_backward, m)?)?;
    m.add_function(wrap_pyfunction!(pad, m)?)?;
    m.add_function(wrap_pyfunction!(pad_backward, m)?)?;
    m.add_function(wrap_pyfunction!(matmul, m)?)?;
    m.add_function(wrap_pyfunction!(add_rows, m)?)?;
    Ok(())
}
