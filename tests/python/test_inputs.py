"""Inputs of every layout are read correctly and never modified; threads and workers agree."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from conftest import assert_like_scipy, output_scale, random_array, scipy_signal

from sigconv import signal

CALLS = [
    ("convolve", {"method": "direct"}),
    ("convolve", {"method": "fft"}),
    ("correlate", {"method": "auto"}),
    ("fftconvolve", {}),
    ("oaconvolve", {}),
    ("convolve2d", {"boundary": "symm"}),
    ("correlate2d", {"boundary": "fill", "fillvalue": 2.0}),
]


def _layouts(rng, dtype):
    """(name, in1, in2) for views of every kind: strided, transposed, reversed, Fortran, big-endian,
    read-only."""
    base = random_array(rng, (9, 12), dtype)
    kern = random_array(rng, (4, 6), dtype)
    readonly = base.copy()
    readonly.flags.writeable = False
    return [
        ("contiguous", base, kern[:3, :3]),
        ("strided", base[::2, ::3], kern[::2, ::2]),
        ("transposed", base.T, kern.T),
        ("negative strides", base[::-1, ::-2], kern[::-1, :]),
        ("fortran", np.asfortranarray(base), np.asfortranarray(kern)),
        ("big-endian", base.astype(base.dtype.newbyteorder(">")), kern),
        ("read-only", readonly, kern),
    ]


@pytest.mark.parametrize("dtype", ["float64", "float32", "int16", "complex128"])
@pytest.mark.parametrize("fn,kwargs", CALLS, ids=lambda v: str(v))
def test_views_match_scipy_and_are_left_unmodified(fn, kwargs, dtype, rng):
    for name, a, b in _layouts(rng, dtype):
        before_a, before_b = a.copy(), b.copy()
        got = getattr(signal, fn)(a, b, "same", **kwargs)
        ref = getattr(scipy_signal, fn)(a, b, "same", **kwargs)
        fft = kwargs.get("method") != "direct" and fn not in ("convolve2d", "correlate2d")
        assert_like_scipy(got, ref, output_scale(a, b, 2.0), fft=fft)
        np.testing.assert_array_equal(a, before_a, err_msg=name)
        np.testing.assert_array_equal(b, before_b, err_msg=name)
        assert got.flags.writeable and not np.shares_memory(got, a)


def test_lists_and_tuples():
    assert_like_scipy(signal.convolve2d([[1, 2], [3, 4]], ((1, -1),)), scipy_signal.convolve2d([[1, 2], [3, 4]], ((1, -1),)))
    assert_like_scipy(signal.correlate((1.0, 2.0, 3.0), [1j, 2]), scipy_signal.correlate((1.0, 2.0, 3.0), [1j, 2]))
    assert_like_scipy(signal.fftconvolve([1, 2, 3], [1, 1]), scipy_signal.fftconvolve([1, 2, 3], [1, 1]), 10, fft=True)


def test_eight_threads_give_identical_results(rng):
    x = random_array(rng, (48, 40), "float64")
    k = random_array(rng, (5, 4), "float64")
    calls = [
        lambda: signal.convolve(x, k, "same", "direct"),
        lambda: signal.correlate(x, k, "full", "fft"),
        lambda: signal.convolve2d(x, k, "same", "wrap"),
        lambda: signal.oaconvolve(x, k, "valid"),
    ]
    expected = [call() for call in calls]
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [(i, pool.submit(calls[i % len(calls)])) for i in range(32)]
        for i, future in futures:
            np.testing.assert_array_equal(future.result(), expected[i % len(calls)])


@pytest.mark.parametrize("workers", [1, 2, -1])
def test_workers_do_not_change_results(workers, rng):
    x, k = random_array(rng, (64, 50), "float64"), random_array(rng, (7, 5), "float64")
    xi, ki = random_array(rng, (40, 30), "int64"), random_array(rng, (5, 3), "int64")
    np.testing.assert_array_equal(
        signal.convolve(x, k, "same", "direct", workers=workers), signal.convolve(x, k, "same", "direct")
    )
    np.testing.assert_array_equal(
        signal.convolve2d(xi, ki, "full", "symm", workers=workers), signal.convolve2d(xi, ki, "full", "symm")
    )
    np.testing.assert_allclose(
        signal.fftconvolve(x, k, workers=workers), signal.fftconvolve(x, k), atol=1e-12 * output_scale(x, k)
    )
