"""Errors: type and message for bad options, shapes and dtypes."""

import os

import numpy as np
import pytest

import sigconv
from sigconv import signal

ADAPTER = sigconv._core.gpu_adapter()
HAVE_GPU = ADAPTER is not None

X1, K1 = np.ones(5), np.ones(3)
X2, K2 = np.ones((4, 4)), np.ones((2, 2))

ALL = [
    ("convolve", X1, K1),
    ("correlate", X1, K1),
    ("fftconvolve", X1, K1),
    ("oaconvolve", X1, K1),
    ("convolve2d", X2, K2),
    ("correlate2d", X2, K2),
]


@pytest.mark.parametrize("fn,x,k", ALL)
def test_bad_mode_names_parameter_value_and_choices(fn, x, k):
    with pytest.raises(ValueError, match=r"mode.*'full', 'same', 'valid'.*mode='fulll'"):
        getattr(signal, fn)(x, k, mode="fulll")
    with pytest.raises(ValueError, match="mode"):
        getattr(signal, fn)(x, k, mode=2)


@pytest.mark.parametrize("fn", ["convolve", "correlate"])
def test_bad_method(fn):
    with pytest.raises(ValueError, match=r"method.*'auto', 'direct', 'fft'.*method='oa'"):
        getattr(signal, fn)(X1, K1, method="oa")


@pytest.mark.parametrize("fn", ["convolve2d", "correlate2d"])
def test_bad_boundary(fn):
    with pytest.raises(ValueError, match=r"boundary.*'fill'.*'wrap'.*'symm'.*boundary='reflect'"):
        getattr(signal, fn)(X2, K2, boundary="reflect")


@pytest.mark.parametrize("fn,x,k", ALL)
def test_device(fn, x, k):
    with pytest.raises(ValueError, match=r"device.*'cpu', 'gpu', 'auto'.*device='tpu'"):
        getattr(signal, fn)(x, k, device="tpu")
    if HAVE_GPU and ADAPTER["f64"]:  # float64 ones: exact on the GPU too (lavapipe has f64)
        want = getattr(signal, fn)(x, k)
        np.testing.assert_allclose(getattr(signal, fn)(x, k, device="gpu"), want, rtol=1e-12)
    elif HAVE_GPU:
        with pytest.raises(TypeError, match="float32"):
            getattr(signal, fn)(x, k, device="gpu")
    else:
        with pytest.raises(sigconv.GpuUnavailableError):
            getattr(signal, fn)(x, k, device="gpu")
    np.testing.assert_array_equal(getattr(signal, fn)(x, k, device="auto"), getattr(signal, fn)(x, k))


@pytest.mark.skipif(HAVE_GPU, reason="a GPU adapter is present (test_gpu.py checks these paths "
                    "with SIGCONV_DISABLE_GPU=1)")
def test_gpu_is_refused_on_paths_that_skip_the_core():
    with pytest.raises(sigconv.GpuUnavailableError):
        signal.fftconvolve(np.zeros(0), np.ones(3), device="gpu")
    with pytest.raises(sigconv.GpuUnavailableError):
        signal.convolve(2.0, 3.0, device="gpu")


@pytest.mark.parametrize("workers", [0, 1.5, "2", True, -(os.cpu_count() or 1) - 1])
@pytest.mark.parametrize("fn,x,k", ALL)
def test_bad_workers(fn, x, k, workers):
    with pytest.raises(ValueError, match="workers"):
        getattr(signal, fn)(x, k, workers=workers)


@pytest.mark.parametrize("fn", ["convolve", "correlate", "fftconvolve", "oaconvolve"])
def test_dimensionality_mismatch(fn):
    with pytest.raises(ValueError, match="same dimensionality"):
        getattr(signal, fn)(X2, K1)


@pytest.mark.parametrize("fn", ["convolve2d", "correlate2d"])
def test_convolve2d_needs_2d(fn):
    for a, b in [(X1, K1), (X2, K1), (np.ones((2, 2, 2)), K2), (2.0, 3.0)]:
        with pytest.raises(ValueError, match="2-D"):
            getattr(signal, fn)(a, b)


@pytest.mark.parametrize("fn", [f for f, _, _ in ALL])
def test_valid_mode_needs_one_input_to_contain_the_other(fn):
    with pytest.raises(ValueError, match="valid"):
        getattr(signal, fn)(np.ones((3, 5)), np.ones((5, 3)), "valid")


@pytest.mark.parametrize("fn,x,k", ALL)
def test_object_and_string_dtypes(fn, x, k):
    with pytest.raises(TypeError, match="object"):
        getattr(signal, fn)(x.astype(object), k)
    with pytest.raises(TypeError, match="<U1"):
        getattr(signal, fn)(x, np.full(k.shape, "a"))
    with pytest.raises(TypeError, match="datetime64"):
        getattr(signal, fn)(x.astype("datetime64[s]"), k)


@pytest.mark.parametrize("fn", ["convolve2d", "correlate2d"])
def test_bad_fillvalue(fn):
    with pytest.raises(ValueError, match="fillvalue"):
        getattr(signal, fn)(X2, K2, fillvalue=[1, 2])
    with pytest.raises(ValueError, match="fillvalue"):
        getattr(signal, fn)(X2, K2, fillvalue=np.array([]))
    with pytest.raises(ValueError, match="fillvalue"):
        getattr(signal, fn)(X2, K2, fillvalue=1 + 2j)  # complex into a float result
    with pytest.raises(ValueError, match="fillvalue"):
        getattr(signal, fn)(X2.astype(np.int8), K2.astype(np.int8), fillvalue=300)
    with pytest.raises(ValueError, match="fillvalue"):
        getattr(signal, fn)(X2, K2, fillvalue="a")


def test_correlation_lags_errors():
    with pytest.raises(ValueError, match="mode.*'bad'"):
        signal.correlation_lags(3, 2, "bad")
    with pytest.raises(ValueError, match="in1_len"):
        signal.correlation_lags(-1, 2)
    with pytest.raises(ValueError, match="in2_len"):
        signal.correlation_lags(3, 2.5)


def test_choose_conv_method_bad_mode():
    with pytest.raises(ValueError, match="mode"):
        signal.choose_conv_method(X1, K1, "bad")


@pytest.mark.parametrize("workers", [10**12, 2**31, 2**64])
def test_huge_workers_are_capped_at_the_cpus(workers):
    # scipy.fft caps workers at the CPU count; more threads only oversubscribe, and a huge count
    # must neither spawn threads without end (it used to hang) nor overflow the core's usize.
    np.testing.assert_array_equal(signal.convolve(X1, K1, workers=workers), signal.convolve(X1, K1))
    assert signal._workers(workers) == (os.cpu_count() or 1)


@pytest.mark.parametrize("n1,n2", [(10**12, 3), (10, 10**12), (10, 2**63)])
def test_correlation_lags_too_many_to_allocate(n1, n2):
    # scipy's arange raises MemoryError; the core used to abort the process or panic.
    with pytest.raises(MemoryError, match="in1_len"):
        signal.correlation_lags(n1, n2)


@pytest.mark.parametrize("mysize", [10**12, (10**12, 3), 2**63])
def test_wiener_window_too_big_to_allocate(mysize):
    with pytest.raises(ValueError, match="too large"):
        signal.wiener(X2, mysize)


@pytest.mark.parametrize("kw,name", [
    ({"axis": None}, "axis"), ({"axis": "0"}, "axis"), ({"axis": 1.0}, "axis"),
    ({"delta": None}, "delta"), ({"delta": "1"}, "delta"), ({"delta": 1 + 2j}, "delta"),
    ({"delta": [1.0, 2.0]}, "delta"),
])
def test_savgol_filter_axis_and_delta_are_checked(kw, name):
    # these used to fail inside the comparison or the coefficients with TypeErrors naming
    # neither parameter ("'<=' not supported between instances of 'int' and 'NoneType'")
    with pytest.raises(ValueError, match=name):
        signal.savgol_filter(np.ones(9), 5, 2, **kw)
    assert signal.savgol_filter(np.ones(9), 5, 2, delta=np.array(2.0), deriv=1).shape == (9,)


@pytest.mark.parametrize("size", [float("inf"), float("nan")])
def test_medfilt_kernel_size_not_finite(size):
    # inf raised OverflowError from int(), nan a message naming no parameter
    with pytest.raises(ValueError, match="kernel_size"):
        signal.medfilt(np.ones(9), size)
