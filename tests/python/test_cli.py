"""The sigconv command line: every subcommand on small inputs, file round trips through the
filters (scipy as the oracle), error paths (one line on stderr, non-zero exit, no traceback, no
output file), the quick demo's report, and `python -m sigconv` in a subprocess."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.ndimage as sn
import scipy.signal as ss

import sigconv
from sigconv import io, kernels
from sigconv.cli import main

ROOT = Path(__file__).resolve().parents[2]
RNG = np.random.default_rng(7)


def run(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Traceback" not in out
    return rc, out, err


def ok(capsys, *argv):
    rc, out, err = run(capsys, *argv)
    assert rc == 0, err
    return out


# ---- filter ----------------------------------------------------------------------------------
def test_filter_gaussian_on_rgb_png_filters_each_channel_and_keeps_uint8(tmp_path, capsys):
    img = RNG.integers(0, 256, (24, 20, 3), dtype=np.uint8)
    io.write(tmp_path / "in.png", img)
    before = (tmp_path / "in.png").read_bytes()
    out = ok(capsys, "filter", "gaussian", tmp_path / "in.png", tmp_path / "out.png", "--sigma", 1.5)
    assert "out.png" in out
    got = io.read(tmp_path / "out.png").array
    want = np.stack([sn.gaussian_filter(img[..., c].astype(np.float64), 1.5) for c in range(3)], axis=-1)
    assert got.dtype == np.uint8 and got.shape == img.shape
    assert np.abs(got.astype(float) - np.clip(np.rint(want), 0, 255)).max() <= 1
    assert (tmp_path / "in.png").read_bytes() == before  # the input file is untouched


def test_filter_median_on_stereo_wav_filters_along_time_and_keeps_rate(tmp_path, capsys):
    x = (RNG.standard_normal((200, 2)) * 3000).astype(np.int16)
    io.write(tmp_path / "in.wav", x, rate=22050)
    ok(capsys, "filter", "median", tmp_path / "in.wav", tmp_path / "out.wav", "--size", 5)
    back = io.read(tmp_path / "out.wav")
    assert back.rate == 22050 and back.array.dtype == np.int16
    want = np.stack([sn.median_filter(x[:, c], 5) for c in range(2)], axis=1)
    np.testing.assert_array_equal(back.array, want)


def test_filter_convolve_with_named_kernel_matches_scipy_sobel(tmp_path, capsys):
    x = RNG.random((30, 25))
    np.save(tmp_path / "in.npy", x)
    ok(capsys, "filter", "convolve", tmp_path / "in.npy", tmp_path / "out.npy", "--kernel", "sobel:axis=0",
       "--mode", "nearest")
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), sn.sobel(x, axis=0, mode="nearest"), atol=1e-12)


def test_filter_correlate_with_kernel_file_and_csv_io(tmp_path, capsys):
    x = RNG.random((12, 9))
    k = RNG.random((3, 2))
    io.write(tmp_path / "in.csv", x)
    np.save(tmp_path / "k.npy", k)
    ok(capsys, "filter", "correlate", tmp_path / "in.csv", tmp_path / "out.csv", "--kernel", tmp_path / "k.npy",
       "--mode", "constant", "--cval", 0.5)
    np.testing.assert_allclose(io.read(tmp_path / "out.csv").array, sn.correlate(x, k, mode="constant", cval=0.5),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("method,options,oracle", [
    ("uniform", ["--size", 4], lambda x: sn.uniform_filter(x, 4)),
    ("minimum", ["--size", 3, "--mode", "wrap"], lambda x: sn.minimum_filter(x, 3, mode="wrap")),
    ("maximum", ["--size", 5], lambda x: sn.maximum_filter(x, 5)),
    ("savgol", ["--window", 7, "--polyorder", 2, "--axis", 0], lambda x: ss.savgol_filter(x, 7, 2, axis=0)),
])
def test_filter_methods_on_float32_tif_match_scipy(tmp_path, capsys, method, options, oracle):
    x = RNG.random((20, 18), dtype=np.float32)
    io.write(tmp_path / "in.tif", x)
    ok(capsys, "filter", method, tmp_path / "in.tif", tmp_path / "out.tif", *options)
    got = io.read(tmp_path / "out.tif").array
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, oracle(x).astype(np.float32), rtol=1e-5, atol=1e-6)


def test_filter_dtype_option_converts_floats_for_png(tmp_path, capsys):
    np.save(tmp_path / "in.npy", RNG.random((10, 10)) * 300)
    ok(capsys, "filter", "uniform", tmp_path / "in.npy", tmp_path / "out.png", "--dtype", "uint8")
    got = io.read(tmp_path / "out.png").array
    want = np.clip(np.rint(sn.uniform_filter(np.load(tmp_path / "in.npy"), 3)), 0, 255)
    np.testing.assert_array_equal(got, want.astype(np.uint8))


# ---- denoise ---------------------------------------------------------------------------------
def test_denoise_fill_nan_npy_fills_every_hole_and_keeps_valid_samples(tmp_path, capsys):
    x = RNG.random((40, 40))
    lost = RNG.random(x.shape) < 0.2
    np.save(tmp_path / "in.npy", np.where(lost, np.nan, x))
    out = ok(capsys, "denoise", "fill", tmp_path / "in.npy", tmp_path / "out.npy")
    assert f"{lost.sum()} lost samples" in out
    y = np.load(tmp_path / "out.npy")
    assert np.isfinite(y).all()
    np.testing.assert_array_equal(y[~lost], x[~lost])


def test_denoise_fill_rgb_png_with_a_grey_mask_file(tmp_path, capsys):
    img = np.full((16, 16, 3), 100, np.uint8)
    img[..., 1] = 200
    mask = np.zeros((16, 16), np.uint8)
    mask[5:8, 5:8] = 255
    damaged = img.copy()
    damaged[mask > 0] = 0
    io.write(tmp_path / "in.png", damaged)
    io.write(tmp_path / "mask.png", mask)
    ok(capsys, "denoise", "fill", tmp_path / "in.png", tmp_path / "out.png", "--mask", tmp_path / "mask.png")
    np.testing.assert_array_equal(io.read(tmp_path / "out.png").array, img)


def test_16_bit_colour_images_keep_their_16_bits(tmp_path, capsys):
    pytest.importorskip("cv2")
    img = RNG.integers(0, 65536, (12, 14, 3), dtype=np.uint16)
    for ext in ("png", "tif"):
        io.write(tmp_path / f"in.{ext}", img)
        data = io.read(tmp_path / f"in.{ext}")
        assert data.array.dtype == np.uint16 and data.channel_axis == 2
        np.testing.assert_array_equal(data.array, img)
        ok(capsys, "filter", "uniform", tmp_path / f"in.{ext}", tmp_path / f"out.{ext}", "--size", "3")
        want = io.cast(np.stack([sn.uniform_filter(img[..., c].astype(np.float64), 3) for c in range(3)], -1),
                       np.uint16)
        got = io.read(tmp_path / f"out.{ext}").array
        assert got.dtype == np.uint16 and np.abs(got.astype(np.int64) - want).max() <= 1
    rc, _, err = run(capsys, "filter", "uniform", tmp_path / "in.png", tmp_path / "o.jpg")
    assert rc == 1 and "16-bit colour" in err


def test_npz_archives_of_one_array_in_and_out(tmp_path, capsys):
    x = RNG.random((12, 9))
    np.savez(tmp_path / "in.npz", signal=x)
    ok(capsys, "filter", "median", tmp_path / "in.npz", tmp_path / "out.npz", "--size", "3")
    with np.load(tmp_path / "out.npz") as out:
        assert out.files == ["arr_0"]
        np.testing.assert_array_equal(out["arr_0"], sn.median_filter(x, 3))
    np.savez(tmp_path / "two.npz", a=x, b=x)
    rc, _, err = run(capsys, "filter", "median", tmp_path / "two.npz", tmp_path / "o.npy")
    assert rc == 1 and "holds 2 arrays (a, b)" in err and not (tmp_path / "o.npy").exists()


def test_tiff_stacks_filter_each_frame_and_keep_every_frame(tmp_path, capsys):
    stack = RNG.integers(0, 65536, (3, 20, 30), dtype=np.uint16)
    io.write(tmp_path / "s.tif", stack, frames=True)
    data = io.read(tmp_path / "s.tif")
    assert data.frame_axis == 0 and data.channel_axis is None
    np.testing.assert_array_equal(data.array, stack)
    ok(capsys, "filter", "gaussian", tmp_path / "s.tif", tmp_path / "o.tif", "--sigma", "2")
    want = io.cast(np.stack([sn.gaussian_filter(f.astype(np.float64), 2) for f in stack]), np.uint16)
    got = io.read(tmp_path / "o.tif").array
    assert got.dtype == np.uint16 and got.shape == stack.shape
    assert np.abs(got.astype(np.int64) - want).max() <= 1  # rounding of float64 sums
    # a colour stack with one grey mask for every frame and channel
    rgb = np.full((2, 10, 12, 3), 90, np.uint8)
    rgb[1, ..., 2] = 180
    mask = np.zeros((10, 12), np.uint8)
    mask[3:5, 4:6] = 1
    damaged = rgb.copy()
    damaged[:, mask > 0] = 0
    io.write(tmp_path / "c.tif", damaged, frames=True)
    io.write(tmp_path / "m.png", mask)
    ok(capsys, "denoise", "fill", tmp_path / "c.tif", tmp_path / "f.tif", "--mask", tmp_path / "m.png")
    np.testing.assert_array_equal(io.read(tmp_path / "f.tif").array, rgb)
    rc, _, err = run(capsys, "filter", "median", tmp_path / "c.tif", tmp_path / "o.png")
    assert rc == 1 and "holds one frame" in err and not (tmp_path / "o.png").exists()


def test_denoise_fill_lost_value(tmp_path, capsys):
    x = np.arange(1.0, 11.0)
    x[4] = -1
    io.write(tmp_path / "in.csv", x)
    ok(capsys, "denoise", "fill", tmp_path / "in.csv", tmp_path / "out.csv", "--lost-value", -1)
    np.testing.assert_allclose(io.read(tmp_path / "out.csv").array[4], 5.0)


@pytest.mark.parametrize("method,options,oracle", [
    ("moving-average", ["--size", 5], lambda x: sn.uniform_filter(x, 5)),
    ("gaussian", ["--sigma", 2], lambda x: sn.gaussian_filter(x, 2.0)),
    ("median", ["--size", 3], lambda x: sn.median_filter(x, 3)),
    ("wiener", ["--size", 5], lambda x: ss.wiener(x, 5)),
    ("savgol", ["--window", 9, "--polyorder", 3], lambda x: ss.savgol_filter(x, 9, 3)),
])
def test_denoise_methods_match_scipy(tmp_path, capsys, method, options, oracle):
    x = RNG.random((25, 30))
    np.save(tmp_path / "in.npy", x)
    ok(capsys, "denoise", method, tmp_path / "in.npy", tmp_path / "out.npy", *options)
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), oracle(x), rtol=1e-9, atol=1e-12)


# ---- errors ----------------------------------------------------------------------------------
def _errors_setup(tmp_path):
    np.save(tmp_path / "x.npy", RNG.random((8, 8)))
    io.write(tmp_path / "g.png", RNG.integers(0, 256, (8, 8), dtype=np.uint8))
    (tmp_path / "bad.png").write_bytes(b"not a png")
    (tmp_path / "bad.npy").write_bytes(b"\x93NUMPY garbage")


ERRORS = [
    (["filter", "gaussian", "x.npy", "o.npy", "--bogus"], 2, "unrecognized arguments"),
    (["frobnicate"], 2, "invalid choice"),
    (["filter", "blur", "x.npy", "o.npy"], 2, "invalid choice"),
    (["filter", "gaussian", "x.npy"], 2, "required"),
    (["filter", "gaussian", "x.npy", "o.npy", "--sigma", "-1"], 2, "positive number"),
    (["filter", "gaussian", "x.npy", "o.npy", "--sigma", "abc"], 2, "positive number"),
    (["filter", "median", "x.npy", "o.npy", "--size", "0"], 2, "positive integer"),
    (["filter", "median", "x.npy", "o.npy", "--mode", "bounce"], 2, "invalid choice"),
    (["filter", "median", "x.npy", "o.npy", "--sigma", "2"], 2, "unrecognized arguments"),
    (["filter", "gaussian", "missing.npy", "o.npy"], 1, "no such file"),
    (["filter", "gaussian", "bad.png", "o.png"], 1, "not an image"),
    (["filter", "gaussian", "bad.npy", "o.npy"], 1, "bad.npy"),
    (["filter", "gaussian", "x.npy", "o.xyz"], 1, "unknown file type"),
    (["filter", "gaussian", "x.npy", "o.png"], 1, "PNG holds"),
    (["filter", "gaussian", "x.npy", "x.npy"], 1, "is the input file"),
    (["filter", "convolve", "x.npy", "o.npy", "--kernel", "nope"], 1, "unknown kernel"),
    (["filter", "convolve", "x.npy", "o.npy", "--kernel", "sobel:foo=1"], 1, "unknown parameter foo"),
    (["filter", "convolve", "x.npy", "o.npy", "--kernel", "box:size=0"], 1, "size"),
    (["filter", "savgol", "x.npy", "o.npy", "--window", "3", "--polyorder", "5"], 1, "polyorder"),
    # 81 window samples: more than the GPU's rank kernel sorts (or no GPU at all)
    (["filter", "median", "x.npy", "o.npy", "--size", "9", "--device", "gpu"], 1, "gpu"),
    (["denoise", "fill", "g.png", "o.png"], 1, "--mask"),
    (["denoise", "fill", "x.npy", "o.npy", "--mask", "g.png", "--lost-value", "0"], 1, "one of them"),
    (["train", "--model", "lenet5", "--dataset", "mnist1d"], 1, "does not train on"),
    (["train", "--model", "alexnet", "--dataset", "digits"], 2, "invalid choice"),
    (["bench", "--only", "nothing-matches", "--scale", "0.01"], 1, "no workload matches"),
]


@pytest.mark.parametrize("argv,code,match", ERRORS, ids=[" ".join(a[:3]) + f" [{m}]" for a, _, m in ERRORS])
def test_errors_give_one_line_and_non_zero_exit(tmp_path, capsys, monkeypatch, argv, code, match):
    _errors_setup(tmp_path)
    monkeypatch.chdir(tmp_path)
    rc, out, err = run(capsys, *argv)
    lines = err.strip().splitlines()
    assert rc == code, err
    assert len(lines) == 1, err
    assert lines[0].startswith("sigconv") and "error:" in lines[0] and match in lines[0]
    assert not list(tmp_path.glob("o.*"))


def test_no_command_prints_help_and_fails(capsys):
    rc, _, err = run(capsys)
    assert rc == 2 and "COMMAND" in err


# ---- train, bench, info ----------------------------------------------------------------------
def test_train_lenet5_saves_model_curves_and_metrics(tmp_path, capsys):
    out = ok(capsys, "train", "--model", "lenet5", "--dataset", "digits", "--epochs", 1, "--limit", 64,
             "--out", tmp_path / "run", "--quiet")
    assert "held-out accuracy" in out
    for name in ("model.npz", "state_dict.npz", "curves.png", "filters.png", "metrics.json"):
        assert (tmp_path / "run" / name).stat().st_size > 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["epochs"] == 1 and 0.0 <= metrics["acc"] <= 1.0
    model = sigconv.load(tmp_path / "run" / "model.npz")
    assert model(sigconv.tensor(np.zeros((2, 1, 8, 8), np.float32))).shape == (2, 10)


def test_bench_quick_subset_writes_table_and_files(tmp_path, capsys):
    out = ok(capsys, "bench", "--only", "median", "--scale", 0.02, "--repeats", 1, "--out", tmp_path)
    assert "median 5" in out and "vs scipy" in out
    rows = json.loads((tmp_path / "bench.json").read_text())["rows"]
    assert [r["name"] for r in rows] == ["median 5"] and rows[0]["ok"]
    assert (tmp_path / "bench.png").stat().st_size > 0


def test_info_text_and_json(capsys):
    out = ok(capsys, "info")
    assert f"SIMD level: {sigconv.info()['simd']}" in out and "threads:" in out and "devices:" in out
    data = json.loads(ok(capsys, "info", "--json"))
    assert data["version"] == sigconv.__version__ and data["devices"][0]["device"] == "cpu"


# ---- demo ------------------------------------------------------------------------------------
def test_demo_quick_writes_report_whose_links_resolve(tmp_path, capsys):
    out = ok(capsys, "demo", "--quick", "--out", tmp_path / "rep")
    rep = tmp_path / "rep"
    assert "report:" in out
    html = (rep / "index.html").read_text()
    links = set(re.findall(r"(?:src|href)='([^'#][^']*)'", html))
    md_links = set(re.findall(r"\]\(([^)]+)\)", (rep / "index.md").read_text()))
    expected = {"signal_before_after.png", "filter_responses.png", "image_denoise.png", "image_fill.png",
                "digits_curves.png", "digits_filters.png", "digits_feature_maps.png", "mnist1d_curves.png",
                "mnist1d_filters.png", "mnist1d_feature_maps.png", "speedup.png"}
    assert expected <= links and expected <= md_links
    for name in links | md_links:
        assert (rep / name).is_file() and (rep / name).stat().st_size > 1000, name
    results = json.loads((rep / "results.json").read_text())
    assert results["quick"] and results["failures"] == []
    assert results["fill"]["all_filled"]


# ---- as a program ----------------------------------------------------------------------------
def _env():
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def test_python_m_sigconv_help_and_error_in_a_subprocess(tmp_path):
    p = subprocess.run([sys.executable, "-m", "sigconv", "--help"], capture_output=True, text=True, env=_env(),
                       cwd=tmp_path, timeout=120)
    assert p.returncode == 0 and "filter" in p.stdout and "demo" in p.stdout
    p = subprocess.run([sys.executable, "-m", "sigconv", "filter", "gaussian", "none.npy", "o.npy"],
                       capture_output=True, text=True, env=_env(), cwd=tmp_path, timeout=120)
    assert p.returncode == 1
    assert p.stderr.strip().splitlines() == ["sigconv filter: error: none.npy: no such file"]
