//! The Python extension `sigconv._core`: thin wrappers that borrow numpy arrays, release the
//! interpreter for the work, and map [`Error`] onto Python exceptions. The public, documented API is
//! the Python package `sigconv`; these functions take canonical arguments it has already checked.

use crate::cpu::simd::Isa;
use crate::cpu::threads;
use crate::error::Error;
use crate::ops::{self, convolve::choose, device, ConvElement, DeviceElement};
use crate::params::{self, Boundary, Method, Mode};
use numpy::{
    Element as NpElement, IntoPyArray, PyArrayDescrMethods, PyArrayDyn, PyArrayMethods,
    PyReadonlyArrayDyn, PyUntypedArrayMethods,
};
use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;

mod gpu;
mod nn;
mod pool;
#[cfg(feature = "gpu")]
mod resident;

create_exception!(
    _core,
    GpuUnavailableError,
    PyRuntimeError,
    "device='gpu' was requested but no GPU adapter is available."
);

impl From<Error> for PyErr {
    fn from(e: Error) -> PyErr {
        match e {
            Error::Value(m) => PyValueError::new_err(m),
            Error::Type(m) => PyTypeError::new_err(m),
            Error::GpuUnavailable(m) => GpuUnavailableError::new_err(m),
            Error::Gpu(m) => PyRuntimeError::new_err(m),
        }
    }
}

/// A new uninitialised C-ordered array of `shape`, or numpy's `MemoryError` when numpy cannot
/// allocate it (rust-numpy's `PyArray::new` panics on the null pointer instead).
///
/// # Safety
/// The caller writes every element before the array reaches Python.
pub(crate) unsafe fn new_array_or_err<'py, T: NpElement>(
    py: Python<'py>,
    shape: &[usize],
) -> PyResult<Bound<'py, PyArrayDyn<T>>> {
    use numpy::npyffi::{self, npy_intp, PY_ARRAY_API};
    let mut dims = shape
        .iter()
        .map(|&d| npy_intp::try_from(d))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| {
            pyo3::exceptions::PyMemoryError::new_err(format!(
                "cannot allocate an array of shape {shape:?}"
            ))
        })?;
    // SAFETY: the arguments of numpy's PyArray_NewFromDescr as rust-numpy passes them (the dtype
    // reference is stolen); a null result carries numpy's exception, which from_owned_ptr_or_err
    // fetches.
    unsafe {
        let ptr = PY_ARRAY_API.PyArray_NewFromDescr(
            py,
            npyffi::get_type_object(py, npyffi::NpyTypes::PyArray_Type),
            T::get_dtype(py).into_dtype_ptr(),
            dims.len() as std::os::raw::c_int,
            dims.as_mut_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
            std::ptr::null_mut(),
        );
        Ok(Bound::from_owned_ptr_or_err(py, ptr)?.cast_into_unchecked())
    }
}

/// `convolve` for one element type: borrow, detach, compute, hand back.
#[allow(clippy::too_many_arguments)]
fn convolve_typed<
    'py,
    T: ConvElement + DeviceElement + NpElement + for<'a> FromPyObject<'a, 'py>,
>(
    py: Python<'py>,
    request: device::Request,
    x: &Bound<'py, PyAny>,
    k: &Bound<'py, PyAny>,
    mode: Mode,
    boundary: &str,
    fillvalue: &Bound<'py, PyAny>,
    method: Method,
    workers: Option<usize>,
) -> PyResult<Bound<'py, PyArrayDyn<T>>> {
    let xa: PyReadonlyArrayDyn<T> = x.extract().map_err(|_| same_dtype_error(x, k))?;
    let ka: PyReadonlyArrayDyn<T> = k.extract().map_err(|_| same_dtype_error(x, k))?;
    let fill: T = fillvalue.extract().map_err(|_| {
        PyTypeError::new_err(format!(
            "fillvalue must be a scalar of the inputs' type; got {fillvalue}"
        ))
    })?;
    let boundary = Boundary::parse(boundary, fill)?;
    let shape = ops::convolve::output_shape(mode, xa.shape(), ka.shape())?;
    // SAFETY: a new C-ordered array; convolve_into writes every element before anything reads it.
    let out = unsafe { PyArrayDyn::<T>::new(py, shape, false) };
    {
        let mut out_rw = out.readwrite();
        let (xv, kv, ov) = (xa.as_array(), ka.as_array(), out_rw.as_array_mut());
        py.detach(|| {
            ops::convolve::convolve_on(request, xv, kv, mode, boundary, method, workers, ov)
        })?;
    }
    Ok(out)
}

fn same_dtype_error(x: &Bound<'_, PyAny>, k: &Bound<'_, PyAny>) -> PyErr {
    let dtype = |a: &Bound<'_, PyAny>| {
        a.getattr("dtype")
            .map(|d| d.to_string())
            .unwrap_or_else(|_| a.get_type().to_string())
    };
    PyTypeError::new_err(format!(
        "in1 and in2 must be numpy arrays of one dtype among float32, float64, int64; got {} and {}",
        dtype(x),
        dtype(k)
    ))
}

/// True N-d convolution (see `sigconv::ops::convolve`). `x` and `k`: arrays of one dtype among
/// float32, float64, int64.
#[pyfunction]
#[pyo3(signature = (x, k, mode, boundary="fill", fillvalue=None, method="auto", workers=None, device="cpu"))]
#[allow(clippy::too_many_arguments)]
fn convolve<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    k: &Bound<'py, PyAny>,
    mode: &str,
    boundary: &str,
    fillvalue: Option<&Bound<'py, PyAny>>,
    method: &str,
    workers: Option<usize>,
    device: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let request = device::check(device)?;
    let mode = Mode::parse(mode)?;
    let method = Method::parse(method)?;
    let zero = 0i64.into_pyobject(py)?.into_any();
    let fill = fillvalue.unwrap_or(&zero);
    let dtype = x.cast::<numpy::PyUntypedArray>()?.dtype();
    if dtype.is_equiv_to(&numpy::dtype::<f32>(py)) {
        Ok(
            convolve_typed::<f32>(py, request, x, k, mode, boundary, fill, method, workers)?
                .into_any(),
        )
    } else if dtype.is_equiv_to(&numpy::dtype::<f64>(py)) {
        Ok(
            convolve_typed::<f64>(py, request, x, k, mode, boundary, fill, method, workers)?
                .into_any(),
        )
    } else if dtype.is_equiv_to(&numpy::dtype::<i64>(py)) {
        Ok(
            convolve_typed::<i64>(py, request, x, k, mode, boundary, fill, method, workers)?
                .into_any(),
        )
    } else {
        Err(same_dtype_error(x, k))
    }
}

/// N-d correlation with an explicit geometry, for scipy.ndimage-style filters:
/// `out[o] = sum_m ext(x)[o + start + m] * weights[m]` with `out_shape` (default: `x.shape`),
/// `boundary` any signal or ndimage mode name and `cval` its fill value. float32 or float64.
#[pyfunction]
#[pyo3(signature = (x, weights, start, boundary="reflect", cval=0.0, out_shape=None, workers=None, device="cpu"))]
#[allow(clippy::too_many_arguments)]
fn correlate<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    weights: &Bound<'py, PyAny>,
    start: Vec<isize>,
    boundary: &str,
    cval: f64,
    out_shape: Option<Vec<usize>>,
    workers: Option<usize>,
    device: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let request = device::check(device)?;
    macro_rules! run {
        ($t:ty) => {{
            let xa: PyReadonlyArrayDyn<$t> = x.extract().map_err(|_| same_dtype_error(x, weights))?;
            let wa: PyReadonlyArrayDyn<$t> = weights.extract().map_err(|_| same_dtype_error(x, weights))?;
            let shape = out_shape.clone().unwrap_or_else(|| xa.shape().to_vec());
            if shape.len() != xa.ndim() || wa.ndim() != xa.ndim() || start.len() != xa.ndim() {
                return Err(PyValueError::new_err(format!(
                    "input, weights, start and out_shape need one length per axis; got {}, {}, {} and {}",
                    xa.ndim(), wa.ndim(), start.len(), shape.len()
                )));
            }
            let boundary = Boundary::parse(boundary, cval as $t)?;
            // SAFETY: a new C-ordered array; correlate_into writes every element before any read.
            let out = unsafe { PyArrayDyn::<$t>::new(py, shape.clone(), false) };
            {
                let mut out_rw = out.readwrite();
                let (xv, wv) = (xa.as_array(), wa.as_array());
                let buf = out_rw.as_slice_mut().expect("new arrays are contiguous");
                py.detach(|| {
                    ops::convolve::correlate_on(request, xv, wv, &start, buf, &shape, boundary, workers)
                })?;
            }
            Ok(out.into_any())
        }};
    }
    let dtype = x.cast::<numpy::PyUntypedArray>()?.dtype();
    if dtype.is_equiv_to(&numpy::dtype::<f32>(py)) {
        run!(f32)
    } else if dtype.is_equiv_to(&numpy::dtype::<f64>(py)) {
        run!(f64)
    } else {
        Err(PyTypeError::new_err(format!(
            "correlate computes in float32 or float64; got dtype {dtype}"
        )))
    }
}

/// The ndimage dtype dispatch: `$body` with `$t` bound to f32, f64 or i64 (integers only where
/// `$ints`), else a TypeError naming `$what`.
macro_rules! nd_dispatch {
    ($py:expr, $x:expr, $what:expr, $ints:expr, |$t:ident| $body:block) => {{
        let dtype = $x.cast::<numpy::PyUntypedArray>()?.dtype();
        if dtype.is_equiv_to(&numpy::dtype::<f32>($py)) {
            type $t = f32;
            $body
        } else if dtype.is_equiv_to(&numpy::dtype::<f64>($py)) {
            type $t = f64;
            $body
        } else if $ints && dtype.is_equiv_to(&numpy::dtype::<i64>($py)) {
            type $t = i64;
            $body
        } else {
            Err(PyTypeError::new_err(format!(
                "{} computes in float32 or float64{}; got dtype {dtype}",
                $what,
                if $ints { " (or int64)" } else { "" }
            )))
        }
    }};
}

/// Separable ndimage passes, applied in order: each `(axis, op, weights, size, start, mode)` with
/// `op` one of `'correlate'` (uses `weights`), `'mean'`, `'min'`, `'max'` (use `size`), output
/// sample `i` reading `ext(x)[i + start ..]` along `axis`. float32/float64 (int64 for min/max).
#[pyfunction]
///
/// `out`, when given, is written instead of a new array: C-contiguous, of `x`'s shape and dtype,
/// sharing no memory with `x` (the caller checks the overlap; numpy's borrow checker refuses it).
///
/// `rows=(lo, hi)`: only rows `lo..hi` along axis 0 of the result, computed alone
/// ([`ndfilter::filter_rows`]; linear passes, on the CPU); the result (and `out`) then has `hi - lo`
/// rows.
#[pyo3(signature = (x, passes, cval=0.0, workers=None, device="cpu", out=None, rows=None))]
#[allow(clippy::type_complexity, clippy::too_many_arguments)]
fn filter_axes<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    passes: Vec<(usize, String, Vec<f64>, usize, isize, String)>,
    cval: f64,
    workers: Option<usize>,
    device: &str,
    out: Option<&Bound<'py, PyAny>>,
    rows: Option<(usize, usize)>,
) -> PyResult<Bound<'py, PyAny>> {
    use crate::ops::ndfilter::{self, Pass, PassOp};
    let request = device::check(device)?;
    if rows.is_some() && !matches!(request, device::Request::Cpu) {
        return Err(PyValueError::new_err(format!(
            "rows= runs on the CPU; got device={device:?}"
        )));
    }
    let linear = passes.iter().any(|p| p.1 == "correlate" || p.1 == "mean");
    nd_dispatch!(py, x, "filter_axes", !linear, |T| {
        let xa: PyReadonlyArrayDyn<T> = x.extract()?;
        let mut list = Vec::with_capacity(passes.len());
        for (axis, op, weights, size, start, mode) in &passes {
            let op = match op.as_str() {
                "correlate" => PassOp::Correlate(weights.iter().map(|&w| w as T).collect()),
                "mean" => PassOp::Mean(*size),
                "min" => PassOp::Min(*size),
                "max" => PassOp::Max(*size),
                other => {
                    return Err(PyValueError::new_err(format!(
                        "op must be one of 'correlate', 'mean', 'min', 'max'; got {other:?}"
                    )))
                }
            };
            let boundary = Boundary::parse(mode, cval as T)?;
            list.push(Pass {
                axis: *axis,
                op,
                start: *start,
                boundary,
            });
        }
        let xs = xa.as_array();
        let in_shape = xs.shape().to_vec();
        let mut shape = in_shape.clone();
        if let (Some((lo, hi)), Some(n0)) = (rows, shape.first_mut()) {
            if lo > hi || hi > *n0 {
                return Err(PyValueError::new_err(format!(
                    "rows must be (lo, hi) with 0 <= lo <= hi <= {n0}; got ({lo}, {hi})"
                )));
            }
            *n0 = hi - lo;
        }
        let src = xs.as_standard_layout();
        let out = match out {
            // SAFETY: a new C-ordered array; filter_passes writes every element before any read.
            None => unsafe { PyArrayDyn::<T>::new(py, shape.clone(), false) },
            Some(o) => {
                let o = o.cast::<PyArrayDyn<T>>().map_err(|_| {
                    PyTypeError::new_err("out must be an ndarray of the input's dtype")
                })?;
                if o.shape() != shape.as_slice() || !o.is_c_contiguous() {
                    return Err(PyValueError::new_err(format!(
                        "out must be C-contiguous of shape {shape:?}; got shape {:?}",
                        o.shape()
                    )));
                }
                o.clone()
            }
        };
        {
            let mut out_rw = out.try_readwrite().map_err(|e| {
                PyValueError::new_err(format!(
                    "out cannot be written (read-only or shares x's memory): {e}"
                ))
            })?;
            let buf = out_rw.as_slice_mut().expect("checked C-contiguous");
            let xs = src.as_slice().expect("standard layout");
            match rows {
                Some((lo, hi)) => py.detach(|| {
                    crate::cpu::threads::with_workers(workers, || {
                        ndfilter::filter_rows(xs, &in_shape, &list, lo..hi, buf)
                    })
                })?,
                None => py.detach(|| {
                    ndfilter::filter_passes_on(request, xs, &in_shape, &list, buf, workers)
                })?,
            }
        }
        Ok(out.into_any())
    })
}

/// Rank filter: rank `rank` of the samples under `footprint` (flat, C-ordered, shape `fshape`) at
/// every position, window sample 0 at offset `start`. float32/float64/int64.
#[pyfunction]
#[pyo3(signature = (x, footprint, fshape, rank, start, mode="reflect", cval=0.0, workers=None, device="cpu"))]
#[allow(clippy::too_many_arguments)]
fn rank_filter<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    footprint: Vec<bool>,
    fshape: Vec<usize>,
    rank: usize,
    start: Vec<isize>,
    mode: &str,
    cval: f64,
    workers: Option<usize>,
    device: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let request = device::check(device)?;
    nd_dispatch!(py, x, "rank_filter", true, |T| {
        let xa: PyReadonlyArrayDyn<T> = x.extract()?;
        let boundary = Boundary::parse(mode, cval as T)?;
        let xs = xa.as_array();
        let shape = xs.shape().to_vec();
        let src = xs.as_standard_layout();
        // SAFETY: a new C-ordered array; rank_filter writes every element before any read.
        let out = unsafe { PyArrayDyn::<T>::new(py, shape.clone(), false) };
        {
            let mut out_rw = out.readwrite();
            let buf = out_rw.as_slice_mut().expect("new arrays are contiguous");
            let xs = src.as_slice().expect("standard layout");
            py.detach(|| {
                crate::ops::ndfilter::rank_filter_on(
                    request, xs, &shape, &footprint, &fshape, rank, &start, boundary, buf, workers,
                )
            })?;
        }
        Ok(out.into_any())
    })
}

/// FFT convolution over `axes` (sorted, distinct, non-negative); the other axes broadcast.
#[pyfunction]
#[pyo3(signature = (x, k, mode, axes, blocked=false, workers=None, device="cpu"))]
#[allow(clippy::too_many_arguments)]
fn fftconvolve<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    k: &Bound<'py, PyAny>,
    mode: &str,
    axes: Vec<usize>,
    blocked: bool,
    workers: Option<usize>,
    device: &str,
) -> PyResult<Bound<'py, PyAny>> {
    device::resolve(device)?;
    let mode = Mode::parse(mode)?;
    macro_rules! run {
        ($t:ty) => {{
            let xa: PyReadonlyArrayDyn<$t> = x.extract().map_err(|_| same_dtype_error(x, k))?;
            let ka: PyReadonlyArrayDyn<$t> = k.extract().map_err(|_| same_dtype_error(x, k))?;
            let (xv, kv) = (xa.as_array(), ka.as_array());
            let out = py.detach(|| ops::fft_convolve(xv, kv, mode, &axes, blocked, workers))?;
            Ok(out.into_pyarray(py).into_any())
        }};
    }
    let dtype = x.cast::<numpy::PyUntypedArray>()?.dtype();
    if dtype.is_equiv_to(&numpy::dtype::<f32>(py)) {
        run!(f32)
    } else if dtype.is_equiv_to(&numpy::dtype::<f64>(py)) {
        run!(f64)
    } else {
        Err(PyTypeError::new_err(format!(
            "fftconvolve computes in float32 or float64; got dtype {dtype}"
        )))
    }
}

/// Normalized-convolution filling (`sigconv::cpu::fill`): a copy of `x` with the samples where
/// `lost` is true filled from the valid ones, tap `m` of `weights` reading `p + start + m` through
/// `boundary` (an ndimage mode; `'constant'`: outside the array counts as lost). float32 or float64.
/// `factors`: one 1-D array per axis whose outer product is `weights`, when it is separable.
/// `first_pass`: `'auto'`, `'dense'` or `'sparse'` (see `FirstPass`). Returns
/// `(filled, passes, unfilled)`; unfilled samples are NaN.
#[pyfunction]
#[pyo3(signature = (x, lost, weights, start, factors=None, boundary="constant", max_iter=None, first_pass="auto", workers=None, device="cpu"))]
#[allow(clippy::too_many_arguments)]
fn fill_missing<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    lost: PyReadonlyArrayDyn<'py, bool>,
    weights: &Bound<'py, PyAny>,
    start: Vec<isize>,
    factors: Option<Vec<Bound<'py, PyAny>>>,
    boundary: &str,
    max_iter: Option<usize>,
    first_pass: &str,
    workers: Option<usize>,
    device: &str,
) -> PyResult<(Bound<'py, PyAny>, usize, usize)> {
    use crate::cpu::fill::FirstPass;
    device::resolve(device)?;
    let first_pass = match first_pass {
        "auto" => FirstPass::Auto,
        "dense" => FirstPass::Dense,
        "sparse" => FirstPass::Sparse,
        other => {
            return Err(PyValueError::new_err(format!(
                "first_pass must be one of 'auto', 'dense', 'sparse'; got {other:?}"
            )))
        }
    };
    macro_rules! run {
        ($t:ty) => {{
            let xa: PyReadonlyArrayDyn<$t> =
                x.extract().map_err(|_| same_dtype_error(x, weights))?;
            let wa: PyReadonlyArrayDyn<$t> = weights
                .extract()
                .map_err(|_| same_dtype_error(x, weights))?;
            if lost.shape() != xa.shape() {
                return Err(PyValueError::new_err(format!(
                    "mask has shape {:?}; expected the shape of x, {:?}",
                    lost.shape(),
                    xa.shape()
                )));
            }
            let boundary = Boundary::parse(boundary, 0.0 as $t)?;
            let shape = xa.shape().to_vec();
            let k_shape = wa.shape().to_vec();
            // The output starts as a row-major copy of x; only lost samples are written.
            let row_major = |a: ndarray::ArrayViewD<'_, $t>| match a.as_slice() {
                Some(s) => s.to_vec(),
                None => a.iter().copied().collect(),
            };
            let mut values: Vec<$t> = row_major(xa.as_array());
            let taps: Vec<$t> = row_major(wa.as_array());
            let factors: Option<Vec<Vec<$t>>> = match &factors {
                None => None,
                Some(fs) => Some(
                    fs.iter()
                        .map(|f| {
                            let fa: PyReadonlyArrayDyn<$t> =
                                f.extract().map_err(|_| same_dtype_error(x, f))?;
                            Ok(row_major(fa.as_array()))
                        })
                        .collect::<PyResult<_>>()?,
                ),
            };
            let lost_v: std::borrow::Cow<'_, [bool]> = match lost.as_slice() {
                Ok(s) => s.into(),
                Err(_) => lost
                    .as_array()
                    .iter()
                    .copied()
                    .collect::<Vec<bool>>()
                    .into(),
            };
            let report = py.detach(|| {
                threads::with_workers(workers, || {
                    crate::cpu::fill::fill_missing(
                        &mut values,
                        &lost_v,
                        &shape,
                        &taps,
                        &k_shape,
                        &start,
                        factors.as_deref(),
                        boundary,
                        max_iter,
                        first_pass,
                    )
                })
            })?;
            let out = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&shape), values)
                .expect("shape matches length");
            Ok((
                out.into_pyarray(py).into_any(),
                report.iterations,
                report.remaining,
            ))
        }};
    }
    let dtype = x.cast::<numpy::PyUntypedArray>()?.dtype();
    if dtype.is_equiv_to(&numpy::dtype::<f32>(py)) {
        run!(f32)
    } else if dtype.is_equiv_to(&numpy::dtype::<f64>(py)) {
        run!(f64)
    } else {
        Err(PyTypeError::new_err(format!(
            "fill_missing computes in float32 or float64; got dtype {dtype}"
        )))
    }
}

/// `'direct'` or `'fft'`: the method sigconv's cost model picks for these shapes and dtype.
#[pyfunction]
fn choose_method(
    shape1: Vec<usize>,
    shape2: Vec<usize>,
    mode: &str,
    dtype: &str,
) -> PyResult<&'static str> {
    let mode = Mode::parse(mode)?;
    let method = match dtype {
        "float32" => choose::<f32>(&shape1, &shape2, mode)?,
        "float64" => choose::<f64>(&shape1, &shape2, mode)?,
        _ => choose::<i64>(&shape1, &shape2, mode)?,
    };
    Ok(if method == Method::Direct {
        "direct"
    } else {
        "fft"
    })
}

/// scipy's `_inputs_swap_needed`: whether `valid` mode swaps the operands (errors if neither fits).
#[pyfunction]
fn valid_swap_needed(mode: &str, shape1: Vec<usize>, shape2: Vec<usize>) -> PyResult<bool> {
    Ok(params::valid_swap_needed(
        Mode::parse(mode)?,
        &shape1,
        &shape2,
    )?)
}

/// Lags of a cross-correlation (scipy.signal.correlation_lags).
#[pyfunction]
fn correlation_lags<'py>(
    py: Python<'py>,
    n1: usize,
    n2: usize,
    mode: &str,
) -> PyResult<Bound<'py, PyAny>> {
    // The full lags (n1 + n2 - 1 of them) are built first: lengths whose lags cannot be allocated
    // raise MemoryError, as scipy's arange does, instead of aborting the process.
    let fits = n1
        .checked_add(n2)
        .filter(|&n| n <= isize::MAX as usize)
        .is_some_and(|n| Vec::<i64>::new().try_reserve_exact(n).is_ok());
    if !fits {
        return Err(pyo3::exceptions::PyMemoryError::new_err(format!(
            "cannot allocate the lags of in1_len={n1} and in2_len={n2}"
        )));
    }
    let lags: Vec<i64> = params::correlation_lags(n1, n2, Mode::parse(mode)?)
        .into_iter()
        .map(|l| l as i64)
        .collect();
    Ok(lags.into_pyarray(py).into_any())
}

/// The SIMD level the kernels run with: `'avx512'`, `'avx2'` or `'scalar'`.
#[pyfunction]
fn simd_level() -> &'static str {
    Isa::detect().name()
}

/// The exact sum of a float64 array (see `cpu::exact_sum`): its nonzero terms `(shift, sum)`,
/// the total being `sum(sum << shift) * 2**-1074`, and whether it met NaN, +inf and -inf.
#[pyfunction]
#[pyo3(signature = (x, workers=None))]
fn exact_sum_terms(
    py: Python<'_>,
    x: PyReadonlyArrayDyn<'_, f64>,
    workers: Option<usize>,
) -> ExactSumTerms {
    let view = x.as_array();
    let s = match view.as_slice_memory_order() {
        Some(values) => py.detach(|| crate::cpu::exact_sum::exact_sum(values, workers)),
        None => {
            let values: Vec<f64> = view.iter().copied().collect();
            py.detach(|| crate::cpu::exact_sum::exact_sum(&values, workers))
        }
    };
    (s.terms(), s.nan, s.pos_inf, s.neg_inf)
}

type ExactSumTerms = (Vec<(u32, i128)>, bool, bool, bool);

/// Threads a call with `workers=None` uses.
#[pyfunction]
fn default_threads() -> usize {
    threads::current_threads()
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add(
        "GpuUnavailableError",
        m.py().get_type::<GpuUnavailableError>(),
    )?;
    m.add_function(wrap_pyfunction!(convolve, m)?)?;
    m.add_function(wrap_pyfunction!(fftconvolve, m)?)?;
    m.add_function(wrap_pyfunction!(correlate, m)?)?;
    m.add_function(wrap_pyfunction!(fill_missing, m)?)?;
    m.add_function(wrap_pyfunction!(filter_axes, m)?)?;
    m.add_function(wrap_pyfunction!(rank_filter, m)?)?;
    m.add_function(wrap_pyfunction!(choose_method, m)?)?;
    m.add_function(wrap_pyfunction!(valid_swap_needed, m)?)?;
    m.add_function(wrap_pyfunction!(correlation_lags, m)?)?;
    m.add_function(wrap_pyfunction!(simd_level, m)?)?;
    m.add_function(wrap_pyfunction!(default_threads, m)?)?;
    m.add_function(wrap_pyfunction!(exact_sum_terms, m)?)?;
    pool::register(m)?;
    nn::register(m)?;
    gpu::register(m)?;
    #[cfg(feature = "gpu")]
    resident::register(m)?;
    Ok(())
}
