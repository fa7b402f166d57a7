//! `_core` functions about devices: `check_device`, `gpu_adapter`, the tiling test hook
//! `gpu_set_binding_cap`, and `gpu_correlate_profiled` / `gpu_conv2d_profiled` for benchmarks.

use crate::ops::device;
use crate::params::Boundary;
use numpy::{
    PyArrayDescrMethods, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Checks a `device=` name: returns it, or raises ValueError (unknown name) or
/// GpuUnavailableError (`'gpu'` with no adapter).
#[pyfunction]
pub fn check_device(name: &str) -> PyResult<String> {
    device::check(name)?;
    Ok(name.to_string())
}

/// The GPU adapter sigconv uses, as a dict (`name`, `type`, `backend`, `driver`, `f64`,
/// `max_binding_bytes`), or None when there is none; `reason` says why not.
#[pyfunction]
pub fn gpu_adapter(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    #[cfg(feature = "gpu")]
    {
        match crate::gpu::get() {
            Ok(gpu) => {
                let s = &gpu.summary;
                let d = PyDict::new(py);
                d.set_item("name", &s.name)?;
                d.set_item("type", s.kind)?;
                d.set_item("backend", &s.backend)?;
                d.set_item("driver", &s.driver)?;
                d.set_item("f64", s.f64)?;
                d.set_item("max_binding_bytes", s.max_binding_bytes)?;
                Ok(d.into_any())
            }
            Err(_) => Ok(py.None().into_bound(py)),
        }
    }
    #[cfg(not(feature = "gpu"))]
    {
        Ok(py.None().into_bound(py))
    }
}

/// Why `device='gpu'` is unavailable, or None when it is available.
#[pyfunction]
pub fn gpu_unavailable_reason() -> Option<String> {
    device::gpu_available().err().map(|e| e.to_string())
}

/// Test hook: caps the bytes of one GPU buffer binding (None: the adapter's limit), so that small
/// inputs take the tiled path that large ones take.
#[pyfunction]
#[pyo3(signature = (nbytes=None))]
pub fn gpu_set_binding_cap(nbytes: Option<u64>) -> PyResult<()> {
    if nbytes == Some(0) {
        return Err(PyValueError::new_err(
            "nbytes must be positive or None; got 0",
        ));
    }
    #[cfg(feature = "gpu")]
    crate::gpu::set_binding_cap(nbytes);
    Ok(())
}

/// Correlation on the GPU with the explicit geometry of `_core.correlate`, returning the result and
/// a dict of seconds: `upload`, `compute`, `download` (the device drained between phases).
#[pyfunction]
#[pyo3(signature = (x, weights, start, boundary="fill", cval=0.0, out_shape=None))]
pub fn gpu_correlate_profiled<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    weights: &Bound<'py, PyAny>,
    start: Vec<isize>,
    boundary: &str,
    cval: f64,
    out_shape: Option<Vec<usize>>,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyDict>)> {
    #[cfg(feature = "gpu")]
    {
        macro_rules! run {
            ($t:ty) => {{
                let xa: PyReadonlyArrayDyn<$t> = x.extract()?;
                let wa: PyReadonlyArrayDyn<$t> = weights.extract()?;
                let shape = out_shape.clone().unwrap_or_else(|| xa.shape().to_vec());
                let boundary = Boundary::parse(boundary, cval as $t)?;
                // SAFETY: a new C-ordered array; correlate_into writes every element before any read.
                let out = unsafe { PyArrayDyn::<$t>::new(py, shape.clone(), false) };
                let mut t = crate::gpu::Timings::default();
                {
                    let mut out_rw = out.readwrite();
                    let (xv, wv) = (xa.as_array(), wa.as_array());
                    let buf = out_rw.as_slice_mut().expect("new arrays are contiguous");
                    py.detach(|| {
                        crate::gpu::correlate_into(xv, wv, &start, buf, &shape, boundary, Some(&mut t))
                    })?;
                }
                Ok((out.into_any(), timings_dict(py, &t)?))
            }};
        }
        let dtype = x.cast::<numpy::PyUntypedArray>()?.dtype();
        if dtype.is_equiv_to(&numpy::dtype::<f32>(py)) {
            run!(f32)
        } else if dtype.is_equiv_to(&numpy::dtype::<f64>(py)) {
            run!(f64)
        } else {
            Err(PyTypeError::new_err(format!(
                "gpu_correlate_profiled computes in float32 or float64; got dtype {dtype}"
            )))
        }
    }
    #[cfg(not(feature = "gpu"))]
    {
        let _ = (py, x, weights, start, boundary, cval, out_shape);
        Err(device::gpu_available().unwrap_err().into())
    }
}

/// A launch's phases as `{'upload', 'compute', 'download'}` in seconds.
#[cfg(feature = "gpu")]
fn timings_dict<'py>(py: Python<'py>, t: &crate::gpu::Timings) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("upload", t.upload)?;
    d.set_item("compute", t.compute)?;
    d.set_item("download", t.download)?;
    Ok(d)
}

/// The convolution layer's forward pass (`_conv.conv2d` geometry, NCHW, zero padding per axis)
/// on the GPU, profiled: `(y, {'upload', 'compute', 'download'})` in seconds, as
/// [`gpu_correlate_profiled`]. float32 or float64, for benchmarks.
#[pyfunction]
#[pyo3(signature = (x, w, stride, padding, dilation, groups))]
pub fn gpu_conv2d_profiled<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    w: &Bound<'py, PyAny>,
    stride: [usize; 2],
    padding: [(usize, usize); 2],
    dilation: [usize; 2],
    groups: usize,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyDict>)> {
    #[cfg(feature = "gpu")]
    {
        macro_rules! run {
            ($t:ty) => {{
                let xa: PyReadonlyArrayDyn<$t> = x.extract()?;
                let wa: PyReadonlyArrayDyn<$t> = w.extract()?;
                let p = crate::ops::conv::conv_params(
                    xa.shape(),
                    wa.shape(),
                    stride,
                    padding,
                    dilation,
                    groups,
                )?;
                let (xs, ws) = (xa.as_slice()?, wa.as_slice()?);
                // SAFETY: a new C-ordered array; forward writes every element before any read.
                let out = unsafe { PyArrayDyn::<$t>::new(py, p.output_shape().to_vec(), false) };
                let mut t = crate::gpu::Timings::default();
                {
                    let mut out_rw = out.readwrite();
                    let buf = out_rw.as_slice_mut().expect("new arrays are contiguous");
                    py.detach(|| {
                        crate::gpu::conv::forward_profiled(xs, ws, None, &p, buf, Some(&mut t))
                    })?;
                }
                Ok((out.into_any(), timings_dict(py, &t)?))
            }};
        }
        let dtype = x.cast::<numpy::PyUntypedArray>()?.dtype();
        if dtype.is_equiv_to(&numpy::dtype::<f32>(py)) {
            run!(f32)
        } else if dtype.is_equiv_to(&numpy::dtype::<f64>(py)) {
            run!(f64)
        } else {
            Err(PyTypeError::new_err(format!(
                "gpu_conv2d_profiled computes in float32 or float64; got dtype {dtype}"
            )))
        }
    }
    #[cfg(not(feature = "gpu"))]
    {
        let _ = (py, x, w, stride, padding, dilation, groups);
        Err(device::gpu_available().unwrap_err().into())
    }
}

/// `'cpu'` or `'gpu'`: where `convolve(x, k, mode, device=request)` runs for these shapes and
/// dtype (`'float32'`, `'float64'`, `'int64'`) with a zero fill boundary.
#[pyfunction]
pub fn choose_device(
    request: &str,
    shape1: Vec<usize>,
    shape2: Vec<usize>,
    mode: &str,
    dtype: &str,
) -> PyResult<&'static str> {
    use crate::ops::convolve::choose_device as choose;
    let request = device::check(request)?;
    let mode = crate::params::Mode::parse(mode)?;
    let d = match dtype {
        "float32" => choose::<f32>(request, &shape1, &shape2, mode, true)?,
        "float64" => choose::<f64>(request, &shape1, &shape2, mode, true)?,
        _ => choose::<i64>(request, &shape1, &shape2, mode, true)?,
    };
    Ok(match d {
        device::Device::Cpu => "cpu",
        device::Device::Gpu => "gpu",
    })
}

/// Registers these functions in `_core`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(check_device, m)?)?;
    m.add_function(wrap_pyfunction!(choose_device, m)?)?;
    m.add_function(wrap_pyfunction!(gpu_adapter, m)?)?;
    m.add_function(wrap_pyfunction!(gpu_unavailable_reason, m)?)?;
    m.add_function(wrap_pyfunction!(gpu_set_binding_cap, m)?)?;
    m.add_function(wrap_pyfunction!(gpu_correlate_profiled, m)?)?;
    m.add_function(wrap_pyfunction!(gpu_conv2d_profiled, m)?)?;
    Ok(())
}
