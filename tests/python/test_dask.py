"""Dask arrays through sigconv.signal, sigconv.ndimage and sigconv.denoise on a 2-process
LocalCluster: every function and mode against the in-memory call on the same data, with uneven
chunks smaller than and comparable to the halo. Everything must agree bit for bit but the FFT
functions, whose chunks' transforms round differently from the whole array's (to rounding). One
test kills a worker process mid-computation."""

import os
import signal as os_signal
import subprocess
import sys
import time

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import dask  # noqa: E402

from sigconv import denoise, ndimage, signal  # noqa: E402
from sigconv.dask import map_files  # noqa: E402

ND_MODES = ["reflect", "constant", "nearest", "mirror", "wrap", "grid-constant", "grid-mirror",
            "grid-wrap"]
# Uneven chunks: some shorter than the halos below, some about as long.
SHAPE = (61, 203)
CHUNKS = ((5, 20, 36), (7, 60, 3, 133))


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                       host="127.0.0.1", dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    x = rng.standard_normal(SHAPE).astype(np.float32)
    return x, da.from_array(x, chunks=CHUNKS)


def check_all(pairs, exact=True, rtol=1e-12):
    """`pairs` of (dask result, in-memory result): each a dask array of the same shape and dtype,
    and bit for bit equal (or within `rtol` of the largest value)."""
    for got, _ in pairs:
        assert isinstance(got, da.Array), type(got)
    computed = dask.compute(*[g for g, _ in pairs])
    for value, (lazy, ref) in zip(computed, pairs):
        assert value.shape == ref.shape == lazy.shape, (value.shape, ref.shape, lazy.shape)
        assert value.dtype == ref.dtype == lazy.dtype, (value.dtype, ref.dtype, lazy.dtype)
        if exact:
            np.testing.assert_array_equal(value, ref)
        else:
            scale = max(float(np.max(np.abs(ref))), 1e-30)
            np.testing.assert_allclose(value, ref, rtol=0, atol=rtol * scale)


ND_CASES = {
    "gaussian_filter": lambda f, x, m: f.gaussian_filter(x, 2.0, mode=m, cval=0.5),
    "gaussian_filter order/radius/axes": lambda f, x, m: f.gaussian_filter(
        x, (1.5, 3.0), order=(1, 0), radius=(4, 7), mode=m, axes=(0, 1)),
    "gaussian_filter1d axis 0": lambda f, x, m: f.gaussian_filter1d(x, 3.0, axis=0, mode=m,
                                                                    truncate=3.0),
    "uniform_filter origin": lambda f, x, m: f.uniform_filter(x, (4, 9), origin=(1, -3), mode=m,
                                                              cval=-1.0),
    "uniform_filter1d": lambda f, x, m: f.uniform_filter1d(x, 12, mode=m),
    "correlate1d": lambda f, x, m: f.correlate1d(x, [1.0, -2.0, 0.5, 3.0], axis=0, mode=m,
                                                 origin=1),
    "convolve1d": lambda f, x, m: f.convolve1d(x, np.arange(9.0), mode=m, cval=2.0),
    "correlate": lambda f, x, m: f.correlate(x, np.arange(20.0).reshape(4, 5) - 7, mode=m,
                                             origin=(1, -1)),
    "convolve axes": lambda f, x, m: f.convolve(x, [0.25, 0.5, 1.0], mode=m, axes=1),
    "median_filter": lambda f, x, m: f.median_filter(x, size=(3, 7), mode=m),
    "median_filter footprint": lambda f, x, m: f.median_filter(
        x, footprint=[[1, 0, 1], [0, 1, 1], [1, 1, 0], [0, 0, 1]], mode=m, origin=(-1, 0)),
    "minimum_filter": lambda f, x, m: f.minimum_filter(x, size=5, mode=m, cval=0.3),
    "minimum_filter1d": lambda f, x, m: f.minimum_filter1d(x, 40, mode=m),
    "maximum_filter footprint": lambda f, x, m: f.maximum_filter(
        x, footprint=np.eye(5, dtype=bool), mode=m),
    "maximum_filter1d": lambda f, x, m: f.maximum_filter1d(x, 6, axis=0, mode=m, origin=-2),
}


@pytest.mark.parametrize("case", sorted(ND_CASES))
def test_ndimage_every_mode_bit_for_bit(client, data, case):
    x, dx = data
    fn = ND_CASES[case]
    exact = True
    pairs = [(fn(ndimage, dx, m), fn(ndimage, x, m)) for m in ND_MODES]
    check_all(pairs, exact=exact)


@pytest.mark.parametrize("case", sorted(ND_CASES))
def test_ndimage_row_chunks_bit_for_bit(client, case):
    # Chunks along axis 0 only: each chunk is filtered in place and its edges repaired from strips
    # (the separable linear filters compute only the strip rows they repair).
    x = np.random.default_rng(11).standard_normal((150, 70)).astype(np.float32)
    dx = da.from_array(x, chunks=((40, 30, 80), 70))
    fn = ND_CASES[case]
    check_all([(fn(ndimage, dx, m), fn(ndimage, x, m)) for m in ND_MODES])
    x64 = x.astype(np.float64)
    dx64 = da.from_array(x64, chunks=((40, 30, 80), 70))
    check_all([(fn(ndimage, dx64, m), fn(ndimage, x64, m)) for m in ("reflect", "wrap")],
              exact=True)


ND_3D_CASES = {
    "gaussian_filter": lambda f, x, m: f.gaussian_filter(x, 1.5, mode=m, cval=0.5),
    "gaussian_filter axes 1, 2": lambda f, x, m: f.gaussian_filter(x, (2.0, 1.0), axes=(1, 2),
                                                                 mode=m),
    "uniform_filter long": lambda f, x, m: f.uniform_filter(x, (3, 15, 5), mode=m),
    "correlate1d axis 1": lambda f, x, m: f.correlate1d(x, [1.0, -2.0, 0.5, 3.0], axis=1, mode=m),
    "maximum_filter": lambda f, x, m: f.maximum_filter(x, (2, 5, 3), mode=m),
    "median_filter": lambda f, x, m: f.median_filter(x, 3, mode=m),
    "correlate": lambda f, x, m: f.correlate(x, np.arange(27.0).reshape(3, 3, 3) / 27, mode=m),
}


@pytest.mark.parametrize("case", sorted(ND_3D_CASES))
def test_ndimage_3d_chunks_bit_for_bit(client, case):
    # Three axes chunked unevenly, down to chunks of one sample: the passes along the middle axis
    # (fused with the last in memory) and the halos of every axis, every mode.
    x = np.random.default_rng(13).standard_normal((12, 31, 26)).astype(np.float32)
    chunks = ((5, 7), (1, 9, 2, 19), (13, 4, 9))
    fn = ND_3D_CASES[case]
    for xt in (x, x.astype(np.float64)):
        dx = da.from_array(xt, chunks=chunks)
        check_all([(fn(ndimage, dx, m), fn(ndimage, xt, m)) for m in ND_MODES])


def test_only_marked_filters_compute_strip_rows_alone(client):
    # A block function that filters its own result along axis 0 needs its whole strip: the rows of
    # a strip computed alone would be filtered again as if they were the strip.
    from sigconv import _dask

    def twice(b, sigma):
        return ndimage.gaussian_filter(ndimage.gaussian_filter(b, sigma), sigma)

    x = np.random.default_rng(12).standard_normal((150, 70)).astype(np.float32)
    dx = da.from_array(x, chunks=((40, 30, 80), 70))
    got = _dask._filter(twice, {"input": dx, "sigma": 1.5}, (14, 0), set(), "input")
    assert not getattr(twice, "sigconv_rows_alone", False) and ndimage.gaussian_filter.sigconv_rows_alone
    np.testing.assert_array_equal(got.compute(), twice(x, 1.5))


def test_ndimage_integer_input_and_output_dtype(client, data):
    x, _ = data
    xi = (x * 50).astype(np.int16)
    dxi = da.from_array(xi, chunks=CHUNKS)
    check_all([
        (ndimage.gaussian_filter(dxi, 1.5), ndimage.gaussian_filter(xi, 1.5)),
        (ndimage.median_filter(dxi, 3, mode="mirror"), ndimage.median_filter(xi, 3, mode="mirror")),
        (ndimage.uniform_filter(dxi, 3, output=np.float32),
         ndimage.uniform_filter(xi, 3, output=np.float32)),
        (ndimage.maximum_filter(dxi.astype(np.uint64), 4),
         ndimage.maximum_filter(xi.astype(np.uint64), 4)),
    ])


def test_float64_box_filters(client, data):
    # Windows up to 12 sum each window in order; longer ones run on running sums, which hold
    # every window's sum exactly (a double-double for float64), so a chunk's means equal the
    # whole line's: bit for bit either way, also for samples 2^±12 apart.
    rng = np.random.default_rng(11)
    spread = data[0] * 2.0 ** rng.integers(-12, 13, SHAPE)
    for x64 in (data[0].astype(np.float64), spread):
        dx = da.from_array(x64, chunks=CHUNKS)
        check_all([(ndimage.uniform_filter(dx, size, mode=m),
                    ndimage.uniform_filter(x64, size, mode=m))
                   for size in ((5, 12), 15, (31, 17)) for m in ND_MODES])
        check_all([(ndimage.uniform_filter1d(dx, 40, axis=a, mode=m),
                    ndimage.uniform_filter1d(x64, 40, axis=a, mode=m))
                   for a in (0, 1) for m in ("reflect", "wrap")])
    check_all([(ndimage.gaussian_filter(dx, 2, mode=m), ndimage.gaussian_filter(x64, 2, mode=m))
               for m in ND_MODES])


def test_chunks_large_enough_for_reused_buffers():
    # Chunks of 1 MiB and up write their results into reused buffers (sigconv/_chunk_buffers.py):
    # run twice in one process with 2 threads (the second run reuses the first's buffers), and in
    # every mode, the results equal the in-memory ones bit for bit.
    from sigconv import _chunk_buffers

    _chunk_buffers.release()
    x = np.random.default_rng(5).standard_normal((1024, 1024)).astype(np.float32)
    dx = da.from_array(x, chunks=(256, 1024))  # 1 MiB chunks
    calls = [lambda f, a, m: f.gaussian_filter(a, 3.0, mode=m),
             lambda f, a, m: f.uniform_filter(a, 5, mode=m),
             lambda f, a, m: f.maximum_filter(a, (7, 3), mode=m)]
    for _ in range(2):
        for m in ND_MODES:
            lazy = [c(ndimage, dx, m) for c in calls]
            for got, c in zip(dask.compute(*lazy, scheduler="threads", num_workers=2), calls):
                np.testing.assert_array_equal(got, c(ndimage, x, m))
    assert _chunk_buffers.spare_bytes() >= 2**20  # the buffers were used and came back
    _chunk_buffers.release()


def test_three_dimensional_and_one_dimensional(client):
    rng = np.random.default_rng(3)
    v = rng.standard_normal((9, 22, 70)).astype(np.float32)
    dv = da.from_array(v, chunks=(4, (5, 17), (30, 40)))
    s = rng.standard_normal(3001)
    ds = da.from_array(s, chunks=(100, 900, 2001))
    check_all([
        (ndimage.gaussian_filter(dv, 1.2, mode="mirror"), ndimage.gaussian_filter(v, 1.2, mode="mirror")),
        (ndimage.median_filter(dv, 3), ndimage.median_filter(v, 3)),
        (ndimage.correlate(dv, np.ones((2, 3, 4))), ndimage.correlate(v, np.ones((2, 3, 4)))),
        (signal.convolve(dv, np.ones((2, 3, 5)), "full", method="direct"),
         signal.convolve(v, np.ones((2, 3, 5)), "full", method="direct")),
        (ndimage.gaussian_filter1d(ds, 8, mode="mirror"), ndimage.gaussian_filter1d(s, 8, mode="mirror")),
        (signal.convolve(ds, s[:301], "valid", method="direct"),
         signal.convolve(s, s[:301], "valid", method="direct")),
    ])


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_signal_convolution_modes(client, data, mode):
    x, dx = data
    k = np.random.default_rng(1).standard_normal((4, 7)).astype(np.float32)
    pairs = [
        (signal.convolve(dx, k, mode, method="direct"), signal.convolve(x, k, mode, method="direct")),
        (signal.correlate(dx, k, mode, method="direct"),
         signal.correlate(x, k, mode, method="direct")),
    ]
    for b in ["fill", "wrap", "symm"]:
        pairs.append((signal.convolve2d(dx, k, mode, b, fillvalue=1.5),
                      signal.convolve2d(x, k, mode, b, fillvalue=1.5)))
        pairs.append((signal.correlate2d(dx, k[:3, :6], mode, b, fillvalue=-2),
                      signal.correlate2d(x, k[:3, :6], mode, b, fillvalue=-2)))
    xi = (x * 10).astype(np.int32)
    dxi = da.from_array(xi, chunks=CHUNKS)
    ki = np.arange(6, dtype=np.int8).reshape(2, 3)
    pairs.append((signal.convolve(dxi, ki, mode), signal.convolve(xi, ki, mode)))
    xc = x + 1j * x[::-1]
    pairs.append((signal.correlate(da.from_array(xc, chunks=CHUNKS), k, mode, method="direct"),
                  signal.correlate(xc, k, mode, method="direct")))
    check_all(pairs)
    # FFT-based: the chunks' transforms round differently from the whole array's.
    fft = [(signal.fftconvolve(dx, k, mode), signal.fftconvolve(x, k, mode)),
           (signal.oaconvolve(dx, k, mode), signal.oaconvolve(x, k, mode)),
           (signal.fftconvolve(dx, k[:1], mode, axes=1), signal.fftconvolve(x, k[:1], mode, axes=1)),
           (signal.convolve(dx, k, mode, method="fft"), signal.convolve(x, k, mode, method="fft"))]
    check_all(fft, exact=False, rtol=1e-5)


def test_signal_smoothing_filters(client, data):
    x, dx = data
    pairs = [
        (signal.medfilt(dx, (3, 5)), signal.medfilt(x, (3, 5))),
        (signal.medfilt2d(dx, 5), signal.medfilt2d(x, 5)),
        (signal.wiener(dx, (3, 5), noise=0.2), signal.wiener(x, (3, 5), noise=0.2)),
    ]
    for m in ["interp", "mirror", "constant", "nearest", "wrap"]:
        pairs.append((signal.savgol_filter(dx, 11, 3, mode=m, cval=0.5),
                      signal.savgol_filter(x, 11, 3, mode=m, cval=0.5)))
        pairs.append((signal.savgol_filter(dx, 8, 2, deriv=1, axis=0, mode=m),
                      signal.savgol_filter(x, 8, 2, deriv=1, axis=0, mode=m)))
    # the default noise is a global mean, summed exactly in both: equal bit for bit too
    pairs += [(signal.wiener(dx), signal.wiener(x)),
              (signal.wiener(dx, 5), signal.wiener(x, 5))]
    check_all(pairs)


def test_denoise(client, data):
    x, _ = data
    rng = np.random.default_rng(5)
    lost = rng.random(x.shape) < 0.25
    lost[10:40, 50:140] = True  # a hole much wider than the window: several rounds of passes
    xn = np.where(lost, np.nan, x)
    dxn = da.from_array(xn, chunks=CHUNKS)
    pairs = []
    for kw in [{}, {"sigma": 1.0}, {"size": (3, 5), "mode": "reflect"}, {"mode": "wrap"},
               {"max_iter": 2, "mode": "nearest"}, {"kernel": np.ones((3, 2)), "mode": "mirror"}]:
        pairs.append((denoise.fill_missing(dxn, **kw), denoise.fill_missing(xn, **kw)))
    pairs.append((denoise.fill_missing(da.from_array(x, chunks=(30, 50)), da.from_array(lost)),
                  denoise.fill_missing(x, lost)))
    dx = da.from_array(x, chunks=CHUNKS)
    pairs += [
        (denoise.moving_average(dx, 5), denoise.moving_average(x, 5)),
        (denoise.gaussian(dx, 1.5, mode="nearest"), denoise.gaussian(x, 1.5, mode="nearest")),
        (denoise.median(dx, 3), denoise.median(x, 3)),
        (denoise.savgol(dx, 9, 2), denoise.savgol(x, 9, 2)),
    ]
    check_all(pairs)


def test_fill_missing_unreachable_warns_and_all_lost_raises(client):
    x = np.ones((20, 30))
    lost = np.zeros_like(x, dtype=bool)
    lost[:, 10:20] = True
    # a kernel reading only along axis 0 never reaches a lost column
    with pytest.warns(RuntimeWarning, match="cannot be reached"):
        got = denoise.fill_missing(da.from_array(x, chunks=7), lost, kernel=np.ones((3, 1)))
    with pytest.warns(RuntimeWarning):
        ref = denoise.fill_missing(x, lost, kernel=np.ones((3, 1)))
    np.testing.assert_array_equal(got.compute(), ref)
    with pytest.raises(ValueError, match="every sample"):
        denoise.fill_missing(da.full((10, 10), np.nan, chunks=5))


def test_choose_conv_method_and_lags(client, data):
    x, dx = data
    k = np.ones((5, 5))
    assert signal.choose_conv_method(dx, k) == signal.choose_conv_method(x, k)
    xi = (x * 100).astype(np.int64)
    assert (signal.choose_conv_method(da.from_array(xi, chunks=CHUNKS), k.astype(int), "same")
            == signal.choose_conv_method(xi, k.astype(int), "same"))
    with pytest.raises(ValueError, match="measure"):
        signal.choose_conv_method(dx, k, measure=True)


def test_kernel_as_dask_and_numpy_in1_with_dask_in2(client, data):
    x, dx = data
    k = np.arange(12.0).reshape(3, 4)
    check_all([
        (signal.convolve(dx, da.from_array(k), "same", method="direct"),
         signal.convolve(x, k, "same", method="direct")),
        (signal.convolve2d(x, da.from_array(k), "full"), signal.convolve2d(x, k, "full")),
    ])


def test_bad_arguments_raise_at_the_call(data):
    x, dx = data
    with pytest.raises(ValueError, match="mode"):
        ndimage.gaussian_filter(dx, 2, mode="bogus")
    with pytest.raises(ValueError, match="sigma"):
        ndimage.gaussian_filter(dx, float("nan"))
    with pytest.raises(ValueError, match="size or footprint"):
        ndimage.minimum_filter(dx)
    with pytest.raises(ValueError, match="output"):
        ndimage.gaussian_filter(dx, 2, output=np.empty(x.shape, np.float32))
    with pytest.raises(ValueError, match="valid"):
        signal.convolve(dx[:3, :3], np.ones((4, 4)), "valid")
    with pytest.raises(ValueError, match="boundary"):
        signal.convolve2d(dx, np.ones((2, 2)), boundary="bogus")
    with pytest.raises(ValueError, match="window_length"):
        signal.savgol_filter(dx[:, :5], 7, 2)
    with pytest.raises(TypeError, match="dtype"):
        ndimage.gaussian_filter(da.from_array(x.astype(complex)), 2)


def test_map_files_on_the_cluster(client, tmp_path):
    rng = np.random.default_rng(11)
    arrays = {f"img{i}": rng.standard_normal((40, 50)).astype(np.float32) for i in range(4)}
    paths = []
    for name, a in arrays.items():
        paths.append(tmp_path / f"{name}.npy")
        np.save(paths[-1], a)
    np.savetxt(tmp_path / "sig.csv", arrays["img0"][0], delimiter=",")
    paths.append(tmp_path / "sig.csv")
    outs = map_files(ndimage.gaussian_filter, paths, tmp_path / "out", client=client, sigma=1.5,
                     workers=1)
    assert [os.path.basename(o) for o in outs] == [f"img{i}.npy" for i in range(4)] + ["sig.npy"]
    for name, o in zip(list(arrays) + ["sig"], outs):
        src = arrays[name] if name != "sig" else np.loadtxt(tmp_path / "sig.csv", delimiter=",")
        np.testing.assert_array_equal(np.load(o), ndimage.gaussian_filter(src, 1.5))
    with pytest.raises(ValueError, match="unknown file type"):
        map_files(ndimage.gaussian_filter, [tmp_path / "x.xyz"], tmp_path, sigma=1)
    with pytest.raises(ValueError, match="no such file"):
        map_files(ndimage.gaussian_filter, [tmp_path / "missing.png"], tmp_path, sigma=1)


def test_core_does_not_import_dask():
    code = ("import sys, numpy as np, sigconv; from sigconv import denoise; "
            "sigconv.ndimage.gaussian_filter(np.ones((4, 4)), 1); "
            "sigconv.signal.convolve(np.ones(5), np.ones(2)); "
            "assert not any(m == 'dask' or m.startswith('dask.') for m in sys.modules), 'dask'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_killed_worker_mid_computation_still_gives_the_right_answer(client):
    """Kill one worker process (SIGKILL) while a graph runs; the nanny restarts it and the
    scheduler recomputes the lost tasks. Runs last: the cluster has a new worker afterwards."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((400, 640)).astype(np.float32)
    dx = da.from_array(x, chunks=(20, 128))  # 100 chunks

    def slow(b):
        time.sleep(0.05)
        return b

    graph = ndimage.gaussian_filter(dx, 2.0, mode="mirror").map_blocks(slow, dtype=np.float32)
    graph = ndimage.median_filter(graph, 3)
    ref = ndimage.median_filter(ndimage.gaussian_filter(x, 2.0, mode="mirror"), 3)
    pids = client.run(os.getpid)
    future = client.compute(graph)
    deadline = time.monotonic() + 60
    while not any(client.has_what().values()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not future.done(), "the graph finished before a worker could be killed"
    victim = sorted(pids.values())[0]
    os.kill(victim, os_signal.SIGKILL)
    result = future.result(timeout=180)
    with pytest.raises(ProcessLookupError):
        os.kill(victim, 0)
    np.testing.assert_array_equal(result, ref)
