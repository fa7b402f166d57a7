"""The GPU backend (device='gpu'): every GPU kernel against sigconv's CPU kernel on seeded shapes,
the tiled path, device='auto', devices(), and the errors.

On CI and developer machines without a GPU, scripts/setup.sh installs Mesa's lavapipe, so these run
there; where no adapter answers at all they skip (the tests of the "no GPU" errors still run, with
SIGCONV_DISABLE_GPU=1 in a subprocess).
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import sigconv
from sigconv import _core, signal

ADAPTER = _core.gpu_adapter()
needs_gpu = pytest.mark.skipif(
    ADAPTER is None, reason=f"no GPU adapter: {_core.gpu_unavailable_reason()}"
)
needs_f64 = pytest.mark.skipif(
    ADAPTER is None or not ADAPTER["f64"], reason="the GPU adapter has no SHADER_F64"
)

# Relative to the largest output any input of these magnitudes could give (conftest.output_scale).
RTOL = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-12}


def scale_of(in1, in2, fillvalue=0.0):
    a, b = np.abs(in1), np.abs(in2)
    return max(a.max() * b.sum(), b.max() * a.sum(), abs(fillvalue) * b.sum(), 1e-30)


def assert_close(gpu, cpu, in1, in2, fillvalue=0.0):
    assert gpu.dtype == cpu.dtype and gpu.shape == cpu.shape
    rtol = RTOL[np.dtype(np.finfo(cpu.dtype).dtype)]
    err = np.max(np.abs(gpu - cpu)) if cpu.size else 0.0
    assert err <= rtol * scale_of(in1, in2, fillvalue), (err, in1.shape, in2.shape)


def shapes_1d(rng, n=8):
    for _ in range(n):
        yield (int(rng.choice([1, 2, 3, 7, 64, 257, 600])),), (int(rng.choice([1, 2, 5, 31, 300])),)


def shapes_2d(rng, n=8):
    for _ in range(n):
        yield (
            tuple(int(v) for v in rng.choice([1, 2, 5, 17, 33], 2)),
            tuple(int(v) for v in rng.choice([1, 2, 3, 4, 9, 20], 2)),
        )


def fits_valid(s1, s2):
    return all(a >= b for a, b in zip(s1, s2)) or all(b >= a for a, b in zip(s1, s2))


# ---------------------------------------------------------------------------------------------------
# kernels against the CPU
# ---------------------------------------------------------------------------------------------------


@needs_gpu
@pytest.mark.parametrize("dtype", ["float32", pytest.param("float64", marks=needs_f64)])
@pytest.mark.parametrize("func", ["convolve", "correlate"])
def test_convolve_and_correlate_match_cpu(func, dtype):
    rng = np.random.default_rng(11)
    f = getattr(signal, func)
    for s1, s2 in list(shapes_1d(rng)) + list(shapes_2d(rng)):
        a = rng.standard_normal(s1).astype(dtype)
        b = rng.standard_normal(s2).astype(dtype)
        for mode in ("full", "same", "valid"):
            if mode == "valid" and not fits_valid(s1, s2):
                continue
            gpu = f(a, b, mode, device="gpu")
            assert_close(gpu, f(a, b, mode, method="direct", device="cpu"), a, b)


@needs_gpu
@pytest.mark.parametrize("dtype", ["float32", pytest.param("float64", marks=needs_f64)])
@pytest.mark.parametrize("func", ["convolve2d", "correlate2d"])
@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
def test_2d_boundaries_match_cpu(func, boundary, dtype):
    rng = np.random.default_rng(12)
    f = getattr(signal, func)
    for s1, s2 in shapes_2d(rng, 6):
        a = rng.standard_normal(s1).astype(dtype)
        b = rng.standard_normal(s2).astype(dtype)
        for mode in ("full", "same", "valid"):
            if mode == "valid" and not fits_valid(s1, s2):
                continue
            for fill in (0.0, 1.5) if boundary == "fill" else (0.0,):
                gpu = f(a, b, mode, boundary, fill, device="gpu")
                cpu = f(a, b, mode, boundary, fill, device="cpu")
                assert_close(gpu, cpu, a, b, fill)


@needs_gpu
def test_kernel_larger_than_input_and_odd_sizes():
    rng = np.random.default_rng(13)
    a = rng.standard_normal((3, 5)).astype(np.float32)
    b = rng.standard_normal((9, 12)).astype(np.float32)
    for mode in ("full", "same", "valid"):
        for boundary in ("fill", "wrap", "symm"):
            gpu = signal.convolve2d(a, b, mode, boundary, device="gpu")
            assert_close(gpu, signal.convolve2d(a, b, mode, boundary), a, b)


@needs_gpu
def test_complex_inputs_run_as_real_parts_on_gpu():
    rng = np.random.default_rng(14)
    a = (rng.standard_normal(50) + 1j * rng.standard_normal(50)).astype(np.complex64)
    b = rng.standard_normal(7).astype(np.float32)
    gpu = signal.convolve(a, b, device="gpu")
    cpu = signal.convolve(a, b, method="direct")
    assert gpu.dtype == np.complex64
    assert np.max(np.abs(gpu - cpu)) <= 1e-5 * scale_of(np.abs(a), b)


@needs_gpu
@pytest.mark.parametrize("func", ["fftconvolve", "oaconvolve"])
def test_fft_functions_run_the_direct_kernel_on_gpu(func):
    rng = np.random.default_rng(15)
    f = getattr(signal, func)
    a = rng.standard_normal((20, 31)).astype(np.float32)
    b = rng.standard_normal((5, 4)).astype(np.float32)
    for mode in ("full", "same", "valid"):
        assert_close(f(a, b, mode, device="gpu"), f(a, b, mode), a, b)
    # axes=1 with in2 of height 1 on axis 0: a broadcast the direct convolution reproduces
    b1 = rng.standard_normal((1, 6)).astype(np.float32)
    assert_close(f(a, b1, "same", axes=1, device="gpu"), f(a, b1, "same", axes=1), a, b1)
    # a broadcast it cannot reproduce: a clear ValueError, not a wrong answer
    with pytest.raises(ValueError, match="device='gpu'.*device='cpu'"):
        f(a, rng.standard_normal((20, 3)).astype(np.float32), axes=1, device="gpu")


# The separable ndimage filters: each pass is a 1-D GPU correlation along its axis.
ND_MODES = ["reflect", "constant", "nearest", "mirror", "wrap"]


@needs_gpu
@pytest.mark.parametrize("dtype", ["float32", pytest.param("float64", marks=needs_f64)])
@pytest.mark.parametrize("mode", ND_MODES)
def test_separable_filters_match_cpu(mode, dtype):
    from sigconv import ndimage

    rng = np.random.default_rng(11)
    tol = RTOL[np.dtype(dtype)]
    for shape in [(1,), (37,), (300,), (5, 7), (64, 33), (3, 17, 9), (2, 3, 4, 5)]:
        x = rng.standard_normal(shape).astype(dtype)
        sigma = float(rng.choice([0.5, 1.5, 3.0]))
        size = int(rng.choice([1, 2, 3, 6]))
        axis = int(rng.integers(x.ndim))
        cases = [
            ("gaussian_filter", (sigma,), dict(mode=mode, cval=0.5)),
            ("gaussian_filter", (sigma,), dict(mode=mode, order=1)),
            ("uniform_filter", (size,), dict(mode=mode, origin=size // 3)),
            ("gaussian_filter1d", (sigma,), dict(mode=mode, axis=axis)),
            ("uniform_filter1d", (size,), dict(mode=mode, axis=axis)),
            ("correlate1d", ([1.0, -2.0, 0.5, 3.0],), dict(mode=mode, axis=axis, origin=-1)),
            ("convolve1d", ([1.0, -2.0, 0.5],), dict(mode=mode, axis=axis, cval=-1.0)),
        ]
        for name, args, kw in cases:
            fn = getattr(ndimage, name)
            before = x.copy()
            gpu = fn(x, *args, device="gpu", **kw)
            cpu = fn(x, *args, device="cpu", **kw)
            np.testing.assert_array_equal(x, before)
            assert gpu.dtype == cpu.dtype and gpu.shape == cpu.shape
            scale = max(np.abs(x).max(), 1.0) * 7.0  # >= sum |weights| * max |input| here
            err = np.max(np.abs(gpu - cpu))
            assert err <= tol * scale, (name, shape, kw, err)


ORDER_MODES = ["reflect", "constant", "nearest", "mirror", "wrap"]


@needs_gpu
@pytest.mark.parametrize("dtype", ["float32", pytest.param("float64", marks=needs_f64)])
@pytest.mark.parametrize("mode", ORDER_MODES)
def test_min_max_and_median_filters_equal_cpu(mode, dtype):
    # comparisons round nothing: the GPU's values are the CPU's exactly
    from sigconv import ndimage

    rng = np.random.default_rng(ORDER_MODES.index(mode))
    cases = [((17, 23), 3, 0), ((9, 40), (2, 5), (0, -1)), ((3, 12, 11), (1, 4, 3), (0, 1, -1)), ((50,), 7, 2)]
    for shape, size, origin in cases:
        x = rng.standard_normal(shape).astype(dtype)
        x0 = x.copy()
        for name in ["minimum_filter", "maximum_filter", "median_filter"]:
            f = getattr(ndimage, name)
            kw = dict(size=size, mode=mode, cval=0.5, origin=origin)
            np.testing.assert_array_equal(f(x, **kw, device="gpu"), f(x, **kw), err_msg=f"{name} {shape}")
        np.testing.assert_array_equal(
            ndimage.maximum_filter1d(x, 4, axis=0, mode=mode, device="gpu"),
            ndimage.maximum_filter1d(x, 4, axis=0, mode=mode))
        np.testing.assert_array_equal(x, x0)


@needs_gpu
def test_rank_filters_with_footprints_nan_and_the_limits_on_gpu():
    from sigconv import ndimage

    rng = np.random.default_rng(4)
    x = rng.standard_normal((6, 21, 19)).astype(np.float32)
    fp = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 1]], bool)
    for f in (ndimage.median_filter, ndimage.minimum_filter):
        np.testing.assert_array_equal(f(x, footprint=fp[None], device="gpu"), f(x, footprint=fp[None]))
    # the filtered axes need not be the last ones: sigconv brings them there
    np.testing.assert_array_equal(ndimage.median_filter(x, size=(3, 1, 5), device="gpu"),
                                  ndimage.median_filter(x, size=(3, 1, 5)))
    # NaN: a window holding one gives NaN, as on the CPU
    xn = x.copy()
    xn[2, 5, 7] = np.nan
    for f in (ndimage.median_filter, ndimage.maximum_filter):
        np.testing.assert_array_equal(f(xn, size=(1, 3, 3), device="gpu"), f(xn, size=(1, 3, 3)))
    np.testing.assert_array_equal(ndimage.median_filter(x, size=(1, 3, 3), mode="constant", cval=np.nan, device="gpu"),
                                  ndimage.median_filter(x, size=(1, 3, 3), mode="constant", cval=np.nan))
    # 2-D footprints of at most 64 samples on the GPU; 'auto' keeps the CPU
    for size in [(1, 9, 9), 3]:
        with pytest.raises(ValueError, match="device='cpu'"):
            ndimage.median_filter(x, size=size, device="gpu")
    np.testing.assert_array_equal(ndimage.median_filter(x, size=9, device="auto"),
                                  ndimage.median_filter(x, size=9))
    with pytest.raises(TypeError, match="float32"):
        ndimage.median_filter(np.arange(20).reshape(4, 5), size=3, device="gpu")


@needs_gpu
@pytest.mark.parametrize("mode", ["reflect", "constant", "wrap"])
def test_order_filters_tile_rows_and_planes_larger_than_a_binding(small_bindings, mode):
    # 4 KiB bindings (1024 float32): a 40 x 50 plane, and a 3000-sample signal, are cut into tiles
    from sigconv import ndimage

    rng = np.random.default_rng(12)
    img = rng.standard_normal((2, 40, 50)).astype(np.float32)
    img[1, 20, 7] = np.nan
    sig = rng.standard_normal(3000).astype(np.float32)
    kw = dict(mode=mode, cval=0.25)
    cases = [
        (ndimage.maximum_filter, img, dict(size=(1, 4, 3), origin=(0, 1, 0))),
        (ndimage.minimum_filter1d, img, dict(size=5, axis=1)),
        (ndimage.median_filter, img, dict(footprint=np.ones((1, 5, 5), bool))),
        (ndimage.median_filter, img, dict(size=(1, 3, 2))),
        (ndimage.maximum_filter1d, sig, dict(size=7)),
        (ndimage.median_filter, sig, dict(size=9)),
    ]
    for f, x, args in cases:
        np.testing.assert_array_equal(f(x, **args, **kw, device="gpu"), f(x, **args, **kw),
                                      err_msg=f"{f.__name__} {x.shape} {args}")


@needs_gpu
def test_inputs_are_not_modified():
    rng = np.random.default_rng(16)
    a = rng.standard_normal((9, 9)).astype(np.float32)
    b = rng.standard_normal((3, 3)).astype(np.float32)
    a0, b0 = a.copy(), b.copy()
    signal.convolve2d(a, b, "same", "symm", device="gpu")
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(b, b0)


@needs_gpu
def test_golden_values_on_gpu():
    # scipy.signal.convolve([1, 2, 3], [0, 1, 0.5]) -> [0, 1, 2.5, 4, 1.5]
    got = signal.convolve(np.array([1, 2, 3], np.float32), np.array([0, 1, 0.5], np.float32),
                          device="gpu")
    np.testing.assert_array_equal(got, np.array([0, 1, 2.5, 4, 1.5], np.float32))
    # scipy.signal.convolve2d(np.arange(9.).reshape(3, 3), np.ones((2, 2)), 'same', 'wrap')
    # -> [[16, 14, 18], [10, 8, 12], [22, 20, 24]]
    got = signal.convolve2d(np.arange(9, dtype=np.float32).reshape(3, 3), np.ones((2, 2), np.float32),
                            "same", "wrap", device="gpu")
    np.testing.assert_array_equal(got, [[16, 14, 18], [10, 8, 12], [22, 20, 24]])


# ---------------------------------------------------------------------------------------------------
# tiles: inputs larger than one buffer binding
# ---------------------------------------------------------------------------------------------------


@pytest.fixture
def small_bindings():
    """Caps a GPU buffer binding at 4 KiB (1024 float32), so small inputs take the tiled path."""
    _core.gpu_set_binding_cap(4096)
    yield
    _core.gpu_set_binding_cap(None)


@needs_gpu
@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
def test_tiles_with_halos_match_cpu(small_bindings, boundary):
    rng = np.random.default_rng(17)
    a = rng.standard_normal((70, 90)).astype(np.float32)  # 25 KiB: many tiles
    for ks in ((3, 3), (7, 2), (15, 15)):
        b = rng.standard_normal(ks).astype(np.float32)
        for mode in ("full", "same", "valid"):
            gpu = signal.correlate2d(a, b, mode, boundary, 0.5, device="gpu")
            cpu = signal.correlate2d(a, b, mode, boundary, 0.5)
            assert_close(gpu, cpu, a, b, 0.5)
    x = rng.standard_normal(5000).astype(np.float32)
    k = rng.standard_normal(401).astype(np.float32)
    for mode in ("full", "same", "valid"):
        assert_close(signal.convolve(x, k, mode, device="gpu"),
                     signal.convolve(x, k, mode, method="direct"), x, k)


@needs_gpu
def test_tiles_with_a_kernel_too_large_for_a_binding(small_bindings):
    a = np.ones(3000, np.float32)
    with pytest.raises(ValueError, match="larger than one GPU buffer binding"):
        signal.convolve(a, np.ones(2000, np.float32), device="gpu")


# ---------------------------------------------------------------------------------------------------
# device='auto', devices(), info()
# ---------------------------------------------------------------------------------------------------


def test_auto_keeps_small_work_on_the_cpu():
    assert _core.choose_device("auto", [64, 64], [3, 3], "same", "float32") == "cpu"
    assert _core.choose_device("cpu", [4096, 4096], [15, 15], "same", "float32") == "cpu"
    assert _core.choose_device("auto", [4096], [3], "full", "int64") == "cpu"


@needs_gpu
def test_auto_on_a_cpu_adapter_keeps_the_cpu():
    big = [8192, 8192]
    got = _core.choose_device("auto", big, [15, 15], "same", "float32")
    if ADAPTER["type"] == "cpu":  # llvmpipe shares the CPU's cores: never worth the transfers
        assert got == "cpu"
    else:
        assert got == "gpu"
    assert _core.choose_device("gpu", [8, 8], [3, 3], "same", "float32") == "gpu"


def test_devices_lists_the_cpu_first_and_the_adapter():
    found = sigconv.devices()
    assert found[0]["device"] == "cpu" and found[0]["f64"] is True
    assert sigconv.info()["devices"] == found
    if ADAPTER is None:
        assert len(found) == 1
    else:
        gpu = found[1]
        assert gpu["device"] == "gpu" and gpu["name"] == ADAPTER["name"]
        assert gpu["type"] in ("discrete", "integrated", "virtual", "cpu", "other")
        assert isinstance(gpu["f64"], bool) and gpu["max_binding_bytes"] > 0


# ---------------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------------


@needs_gpu
def test_integer_inputs_on_gpu_raise_type_error_naming_float32():
    with pytest.raises(TypeError, match="float32"):
        signal.convolve(np.arange(5), np.arange(3), device="gpu")
    with pytest.raises(TypeError, match="float32"):
        signal.convolve2d(np.ones((3, 3), int), np.ones((2, 2), int), device="gpu")


@needs_gpu
def test_more_than_two_dimensions_on_gpu_raise_value_error():
    a = np.ones((3, 4, 5), np.float32)
    with pytest.raises(ValueError, match="1-D and 2-D"):
        signal.convolve(a, a, device="gpu")


def test_unknown_device_is_a_value_error():
    with pytest.raises(ValueError, match="device.*'cpu', 'gpu', 'auto'.*'cuda'"):
        signal.convolve([1.0, 2.0], [1.0], device="cuda")


def test_disabled_gpu_raises_gpu_unavailable_and_auto_runs_on_cpu():
    code = textwrap.dedent(
        """
        import numpy as np, sigconv
        from sigconv import signal
        assert [d["device"] for d in sigconv.devices()] == ["cpu"]
        x = np.arange(6, dtype=np.float32)
        np.testing.assert_allclose(signal.convolve(x, x[:2], device="auto"), signal.convolve(x, x[:2]))
        for call in (lambda: signal.convolve(x, x, device="gpu"),
                     lambda: signal.convolve2d(x[None], x[None], device="gpu"),
                     lambda: signal.fftconvolve(x, x, device="gpu"),
                     lambda: signal.fftconvolve(np.zeros(0), np.ones(3), device="gpu"),
                     lambda: signal.convolve(2.0, 3.0, device="gpu"),
                     lambda: sigconv.nn.functional.conv2d(np.ones((1, 1, 3, 3), np.float32),
                                                          np.ones((1, 1, 2, 2), np.float32),
                                                          device="gpu"),
                     lambda: sigconv.nn.Conv2d(1, 1, 3).to("gpu"),
                     lambda: sigconv.tensor([1.0]).to("gpu")):
            try:
                call()
            except sigconv.GpuUnavailableError as e:
                assert "SIGCONV_DISABLE_GPU" in str(e), e
            else:
                raise AssertionError("no GpuUnavailableError")
        print("ok")
        """
    )
    env = dict(os.environ, SIGCONV_DISABLE_GPU="1")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


# Pooling: max/min with indices (bitwise the CPU's: the same comparisons in the same order), their
# gradients (the same sums in the same order), and average pooling (to float rounding).
POOL_CASES = [
    # (shape, kernel, stride, padding, dilation, ceil_mode)
    ((2, 3, 17, 20), 3, 2, 1, 1, False),
    ((1, 2, 9, 9), 2, None, 0, 1, True),
    ((3, 11, 13), (3, 2), (1, 2), (1, 1), (2, 1), True),
    ((2, 5, 64, 66), 2, 2, 0, 1, False),
    ((1, 1, 1, 1), 1, 1, 0, 1, False),
    ((4, 7, 5), (5, 1), (3, 1), (2, 0), 1, True),
]


@needs_gpu
@pytest.mark.parametrize("dtype", ["float32", pytest.param("float64", marks=needs_f64)])
@pytest.mark.parametrize("case", POOL_CASES)
def test_pooling_matches_cpu(case, dtype):
    assert_pooling_matches(case, dtype)


def assert_pooling_matches(case, dtype):
    """Max/min pooling (values, indices, gradients) equal to the CPU's, average pooling within
    rounding, on `case`."""
    from sigconv.nn import _pooling as P

    shape, k, s, p, d, ceil = case
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape).astype(dtype)
    for name in ["max_pool2d", "min_pool2d"]:
        fn, bwd = getattr(P, name), getattr(P, name + "_backward")
        y_cpu, i_cpu = fn(x, k, s, p, d, ceil, True)
        y_gpu, i_gpu = fn(x, k, s, p, d, ceil, True, device="gpu")
        np.testing.assert_array_equal(y_gpu, y_cpu)
        np.testing.assert_array_equal(i_gpu, i_cpu)
        assert i_gpu.dtype == np.int64
        np.testing.assert_array_equal(fn(x, k, s, p, d, ceil, device="gpu"), y_cpu)
        g = rng.standard_normal(y_cpu.shape).astype(dtype)
        np.testing.assert_array_equal(bwd(g, i_cpu, x.shape, device="gpu"), bwd(g, i_cpu, x.shape))
    if d != 1:
        return
    tol = RTOL[np.dtype(dtype)]
    for inc in (True, False):
        for div in (None, 3):
            y_cpu = P.avg_pool2d(x, k, s, p, ceil, inc, div)
            y_gpu = P.avg_pool2d(x, k, s, p, ceil, inc, div, device="gpu")
            np.testing.assert_allclose(y_gpu, y_cpu, rtol=tol, atol=tol * np.abs(x).max())
            g = rng.standard_normal(y_cpu.shape).astype(dtype)
            gi_cpu = P.avg_pool2d_backward(g, x.shape, k, s, p, ceil, inc, div)
            gi_gpu = P.avg_pool2d_backward(g, x.shape, k, s, p, ceil, inc, div, device="gpu")
            np.testing.assert_allclose(gi_gpu, gi_cpu, rtol=tol, atol=tol * np.abs(g).max() * 9)


@needs_gpu
def test_pooling_1d_and_functional_ops_on_gpu():
    from sigconv import tensor
    from sigconv.nn import _pooling as P
    from sigconv.nn import functional as F

    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 50)).astype(np.float32)
    np.testing.assert_array_equal(P.max_pool1d(x, 3, 2, 1, device="gpu"), P.max_pool1d(x, 3, 2, 1))
    np.testing.assert_allclose(P.avg_pool1d(x, 4, 3, 2, True, False, device="gpu"),
                               P.avg_pool1d(x, 4, 3, 2, True, False), rtol=1e-6)
    # through autograd: forward and gradient on the GPU equal the CPU's
    x2 = rng.standard_normal((2, 3, 12, 10)).astype(np.float32)
    grads = []
    for device in ("cpu", "gpu"):
        t = tensor(x2, requires_grad=True)
        (F.max_pool2d(t, 2, device=device).sum() + F.avg_pool2d(t, 3, 1, 1, device=device).sum()).backward()
        grads.append(t.grad)
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-6)


@needs_gpu
def test_pooling_batches_and_planes_larger_than_a_binding_run_in_chunks_and_bands(small_bindings):
    from sigconv.nn import _pooling as P

    # 4 KiB bindings: 12 planes of 20 x 20 float32 (1600 bytes each) run 2 at a time
    rng = np.random.default_rng(8)
    x = rng.standard_normal((3, 4, 20, 20)).astype(np.float32)
    y_cpu, i_cpu = P.max_pool2d(x, 3, 2, 1, 1, False, True)
    y_gpu, i_gpu = P.max_pool2d(x, 3, 2, 1, 1, False, True, device="gpu")
    np.testing.assert_array_equal(y_gpu, y_cpu)
    np.testing.assert_array_equal(i_gpu, i_cpu)
    g = rng.standard_normal(y_cpu.shape).astype(np.float32)
    np.testing.assert_array_equal(P.max_pool2d_backward(g, i_cpu, x.shape, device="gpu"),
                                  P.max_pool2d_backward(g, i_cpu, x.shape))
    np.testing.assert_allclose(P.avg_pool2d(x, 3, 2, 1, device="gpu"), P.avg_pool2d(x, 3, 2, 1),
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(P.avg_pool2d_backward(g, x.shape, 3, 2, 1, device="gpu"),
                               P.avg_pool2d_backward(g, x.shape, 3, 2, 1), rtol=1e-6, atol=1e-6)
    # planes larger than a binding: bands of output rows with the input rows their windows reach
    # (the gradients add the bands' overlapping rows; max pooling's stay equal to the CPU's)
    for case in [((2, 1, 70, 30), 3, 2, 1, 1, False), ((1, 2, 45, 37), (3, 2), (1, 2), (1, 1), (2, 1), True),
                 ((1, 1, 101, 40), 5, 3, 2, 1, True), ((1, 1, 64, 33), 2, 2, 0, 1, False)]:
        assert_pooling_matches(case, "float32")
    with pytest.raises(ValueError, match="device='cpu'"):  # one input row beyond a binding
        P.max_pool2d(np.ones((1, 1, 4, 2000), np.float32), 2, device="gpu")


def test_pooling_device_errors():
    from sigconv.nn import _pooling as P

    x = np.ones((1, 1, 4, 4), np.float32)
    with pytest.raises(ValueError, match="device"):
        P.max_pool2d(x, 2, device="tpu")
    if ADAPTER is not None:
        idx = np.full((1, 1, 2, 2), 99)
        with pytest.raises(ValueError, match="indices"):
            P.max_pool2d_backward(np.ones((1, 1, 2, 2), np.float32), idx, x.shape, device="gpu")


# Convolution layers: forward, backward-data and backward-weight on the GPU against the CPU's
# im2col GEMM, to rounding: the error is bounded relative to the same sums over absolute values.
# (shape of x, weight shape, stride, padding, dilation, groups)
CONV_CASES = [
    ((2, 3, 11, 13), (4, 3, 3, 3), 1, 1, 1, 1),
    ((3, 4, 17, 9), (6, 2, 3, 2), (2, 1), (1, 0), 1, 2),
    ((1, 6, 20, 20), (6, 1, 5, 5), 2, 2, 2, 6),
    ((2, 8, 7, 7), (70, 8, 1, 1), 1, 0, 1, 1),
    ((5, 2, 9, 30), (3, 2, 4, 7), 3, (2, 3), (1, 2), 1),
    ((1, 1, 1, 1), (1, 1, 1, 1), 1, 0, 1, 1),
    # backward-weight sums 4 x 40 x 40 positions: split-k
    ((4, 2, 40, 40), (3, 2, 3, 3), 1, 1, 1, 1),
]
CONV_RTOL = {np.dtype(np.float32): 2e-6, np.dtype(np.float64): 1e-14}


def assert_conv_close(gpu, cpu, bound):
    """|gpu - cpu| within rtol of `bound` (the same computation on |x| and |w|) at every sample."""
    assert gpu.dtype == cpu.dtype and gpu.shape == cpu.shape
    rtol = CONV_RTOL[cpu.dtype]
    err = np.abs(gpu - cpu)
    assert np.all(err <= rtol * (np.abs(bound) + 1e-30)), float(np.max(err / (bound + 1e-30)))


def conv_case(case, dtype, seed):
    from sigconv.nn import _conv as C

    shape, wshape, stride, padding, dilation, groups = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal(wshape).astype(dtype)
    b = rng.standard_normal(wshape[0]).astype(dtype)
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    y = C.conv2d(x, w, b, **kw)
    dy = rng.standard_normal(y.shape).astype(dtype)
    return C, x, w, b, dy, kw


@needs_gpu
@pytest.mark.parametrize("dtype", ["float32", pytest.param("float64", marks=needs_f64)])
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_layer_passes_match_cpu(case, dtype):
    C, x, w, b, dy, kw = conv_case(case, dtype, seed=len(str(case)))
    x0, w0, dy0 = x.copy(), w.copy(), dy.copy()
    ax, aw, ady = np.abs(x), np.abs(w), np.abs(dy)
    assert_conv_close(C.conv2d(x, w, b, **kw, device="gpu"), C.conv2d(x, w, b, **kw),
                      C.conv2d(ax, aw, np.abs(b), **kw))
    gpu = C.conv2d_backward(dy, x, w, **kw, device="gpu")
    cpu = C.conv2d_backward(dy, x, w, **kw)
    bound = C.conv2d_backward(ady, ax, aw, **kw)
    for g, c, s in zip(gpu, cpu, bound):
        assert_conv_close(g, c, s)
    for a, a0 in ((x, x0), (w, w0), (dy, dy0)):
        np.testing.assert_array_equal(a, a0)


@needs_gpu
def test_conv1d_transposed_and_masked_passes_on_gpu():
    from sigconv.nn import _conv as C

    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 4, 50)).astype(np.float32)
    w = rng.standard_normal((6, 2, 5)).astype(np.float32)
    kw = dict(stride=2, padding=3, dilation=2, groups=2)
    ax, aw = np.abs(x), np.abs(w)
    assert_conv_close(C.conv1d(x, w, **kw, device="gpu"), C.conv1d(x, w, **kw), C.conv1d(ax, aw, **kw))
    dy = rng.standard_normal(C.conv1d(x, w, **kw).shape).astype(np.float32)
    gx, gw, gb = C.conv1d_backward(dy, x, w, **kw, output_mask=(True, False, True), device="gpu")
    assert gw is None
    cx, _, cb = C.conv1d_backward(dy, x, w, **kw)
    bx, _, bb = C.conv1d_backward(np.abs(dy), ax, aw, **kw)
    assert_conv_close(gx, cx, bx)
    assert_conv_close(gb, cb, bb)
    # transposed: weight (C_in, C_out / groups, k)
    wt = rng.standard_normal((4, 3, 3)).astype(np.float32)
    tk = dict(stride=2, padding=1, output_padding=1, groups=2)
    assert_conv_close(C.conv_transpose1d(x, wt, **tk, device="gpu"), C.conv_transpose1d(x, wt, **tk),
                      C.conv_transpose1d(ax, np.abs(wt), **tk))
    dyt = rng.standard_normal(C.conv_transpose1d(x, wt, **tk).shape).astype(np.float32)
    for g, c, s in zip(C.conv_transpose1d_backward(dyt, x, wt, **tk, device="gpu"),
                       C.conv_transpose1d_backward(dyt, x, wt, **tk),
                       C.conv_transpose1d_backward(np.abs(dyt), ax, np.abs(wt), **tk)):
        assert_conv_close(g, c, s)


def assert_gpu_passes_match(case, seed):
    """The forward and both backward passes of `case` on the GPU against the CPU."""
    C, x, w, b, dy, kw = conv_case(case, "float32", seed=seed)
    ax, aw = np.abs(x), np.abs(w)
    assert_conv_close(C.conv2d(x, w, b, **kw, device="gpu"), C.conv2d(x, w, b, **kw),
                      C.conv2d(ax, aw, np.abs(b), **kw))
    for g, c, s in zip(C.conv2d_backward(dy, x, w, **kw, device="gpu"), C.conv2d_backward(dy, x, w, **kw),
                       C.conv2d_backward(np.abs(dy), ax, aw, **kw)):
        assert_conv_close(g, c, s)
    return C, w


@needs_gpu
def test_conv_batches_and_samples_larger_than_a_binding_run_in_chunks_and_bands(small_bindings):
    # 4 KiB bindings: 5 samples (outputs of 4 x 8 x 8 float32, 1 KiB each) run 4 and then 1
    assert_gpu_passes_match(((5, 3, 8, 8), (4, 3, 3, 3), 1, 1, 1, 1), seed=3)
    # one sample of 3 x 40 x 40 (19 KiB): bands of output rows, each with the input rows it reads
    C, w = assert_gpu_passes_match(((2, 3, 40, 40), (4, 3, 3, 3), 2, 2, 1, 1), seed=4)
    with pytest.raises(ValueError, match="device='cpu'"):  # one input row beyond a binding
        C.conv2d(np.ones((1, 3, 4, 400), np.float32), w, device="gpu")


def _train(model, device, steps=6):
    """Losses and the model after `steps` SGD steps, with the model and the batch moved to
    `device` (the tensors in GPU memory for 'gpu'; 'auto': host memory, each call choosing)."""
    import copy

    from sigconv import nn, optim

    model = copy.deepcopy(model).to(device)
    rng = np.random.default_rng(9)
    x = sigconv.tensor(rng.standard_normal((16, 1, 12, 12)).astype(np.float32))
    y = sigconv.tensor(rng.integers(0, 3, 16))
    if device == "gpu":
        x, y = x.to("gpu"), y.to("gpu")
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return np.array(losses), model


@needs_gpu
def test_training_on_gpu_matches_cpu():
    from sigconv import nn

    sigconv.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, groups=2), nn.ReLU(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(6 * 2 * 2, 3),
    )
    cpu_losses, cpu_model = _train(model, "cpu")
    for device in ("gpu", "auto"):
        losses, trained = _train(model, device)
        assert trained.compute_device == device and trained[0].compute_device == device
        assert all(p.device == ("gpu" if device == "gpu" else "cpu") for p in trained.parameters())
        assert cpu_losses[-1] < cpu_losses[0]
        np.testing.assert_allclose(losses, cpu_losses, rtol=1e-4)
        for (name, pc), (_, pg) in zip(cpu_model.named_parameters(), trained.named_parameters()):
            np.testing.assert_allclose(pg.numpy(), pc.numpy(), rtol=1e-3, atol=1e-5, err_msg=name)


@needs_gpu
def test_profiled_launches_return_the_result_and_their_phases():
    from sigconv.nn import _conv as C

    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 9, 9)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    y, t = _core.gpu_conv2d_profiled(x, w, [1, 1], [(1, 1), (1, 1)], [1, 1], 1)
    assert_conv_close(y, C.conv2d(x, w, padding=1), C.conv2d(np.abs(x), np.abs(w), padding=1))
    img = rng.standard_normal((20, 30)).astype(np.float32)
    k = rng.standard_normal((3, 3)).astype(np.float32)
    out, t2 = _core.gpu_correlate_profiled(img, k, [-1, -1], "fill", 0.0)
    assert_close(out, signal.correlate2d(img, k, "same"), img, k)
    for phases in (t, t2):
        assert set(phases) == {"upload", "compute", "download"}
        assert all(v >= 0 for v in phases.values()) and phases["compute"] > 0


@needs_gpu
def test_zoo_training_on_gpu_matches_cpu_and_the_cli_takes_device(tmp_path, capsys):
    from sigconv import zoo
    from sigconv.cli import main

    runs = [zoo.run("lenet5", "digits", epochs=1, limit=64, progress=False, device=d) for d in ("cpu", "gpu")]
    assert runs[1].model.compute_device == "gpu"
    for key in set(runs[0].history.history) - {"time"}:
        np.testing.assert_allclose(runs[1].history[key], runs[0].history[key], rtol=1e-3, atol=1e-5,
                                   err_msg=key)
    assert main(["train", "--model", "lenet5", "--dataset", "digits", "--epochs", "1", "--limit", "32",
                 "--device", "gpu", "--quiet"]) == 0
    assert "layers on gpu" in capsys.readouterr().out
