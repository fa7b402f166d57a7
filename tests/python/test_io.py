"""sigconv.io: every format round-trips (dtype, shape, sample rate kept), and every unreadable or
unwritable case raises DataFileError with a one-line message naming the file."""

import sys

import numpy as np
import pytest

from sigconv import io

RNG = np.random.default_rng(0)

EXACT = [
    ("a.npy", RNG.random((3, 4, 5))),
    ("i.npy", RNG.integers(-5, 5, (4, 3)).astype(np.int32)),
    ("m.csv", RNG.random((5, 4))),
    ("v.csv", RNG.random(7)),
    ("s.wav", (RNG.standard_normal((100, 2)) * 1000).astype(np.int16)),
    ("f.wav", RNG.random(50).astype(np.float32)),
    ("u8.wav", RNG.integers(0, 256, 40, dtype=np.uint8)),
    ("g.png", RNG.integers(0, 256, (9, 7), dtype=np.uint8)),
    ("g16.png", RNG.integers(0, 65536, (9, 7), dtype=np.uint16)),
    ("rgb.png", RNG.integers(0, 256, (9, 7, 3), dtype=np.uint8)),
    ("rgba.png", RNG.integers(0, 256, (9, 7, 4), dtype=np.uint8)),
    ("f.tif", RNG.random((9, 7)).astype(np.float32)),
    ("g16.tiff", RNG.integers(0, 65536, (9, 7), dtype=np.uint16)),
    ("rgb.tif", RNG.integers(0, 256, (9, 7, 3), dtype=np.uint8)),
]


@pytest.mark.parametrize("name,array", EXACT, ids=[n for n, _ in EXACT])
def test_round_trip_keeps_values_dtype_and_shape(tmp_path, name, array):
    path = tmp_path / name
    io.write(path, array, rate=8000)
    back = io.read(path)
    assert back.array.dtype == array.dtype
    np.testing.assert_array_equal(back.array, array)
    if name.endswith(".wav"):
        assert back.rate == 8000
        assert back.channel_axis == (1 if array.ndim == 2 else None)
    elif name.endswith((".png", ".tif", ".tiff")):
        assert back.channel_axis == (2 if array.ndim == 3 else None)
    else:  # .npy and .csv arrays are filtered whole
        assert back.channel_axis is None


def test_jpeg_round_trip_is_close(tmp_path):
    img = np.tile(np.linspace(0, 255, 32).astype(np.uint8), (32, 1))
    io.write(tmp_path / "g.jpg", img)
    back = io.read(tmp_path / "g.jpg").array
    assert back.dtype == np.uint8 and back.shape == img.shape
    assert np.abs(back.astype(int) - img).max() <= 8


def test_cast_rounds_clips_and_refuses_nan():
    x = np.array([-3.0, 0.4, 0.6, 254.5, 300.0])
    np.testing.assert_array_equal(io.cast(x, np.uint8), [0, 0, 1, 254, 255])
    np.testing.assert_array_equal(io.cast(np.array([70000, -1]), np.uint16), [65535, 0])
    with pytest.raises(io.DataFileError, match="NaN"):
        io.cast(np.array([np.nan, 1.0]), np.uint8)


def _write_bytes(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize("name,data,match", [
    ("bad.png", b"garbage", "not an image"),
    ("bad.npy", b"garbage", "not a .npy file"),
    ("bad.wav", b"RIFFxxxxWAVEfmt ", "cannot read as wav"),
    ("bad.csv", b"1,2\nfoo,3\n", "cannot read as csv"),
    ("empty.csv", b"", "holds no data"),
])
def test_corrupt_files_raise_one_line(tmp_path, name, data, match):
    p = _write_bytes(tmp_path, name, data)
    with pytest.raises(io.DataFileError, match=match) as e:
        io.read(p)
    assert "\n" not in str(e.value) and name in str(e.value)


def test_truncated_png_and_npz_under_npy_name(tmp_path):
    io.write(tmp_path / "ok.png", np.zeros((64, 64, 3), np.uint8))
    p = _write_bytes(tmp_path, "cut.png", (tmp_path / "ok.png").read_bytes()[:60])
    with pytest.raises(io.DataFileError, match="cut.png"):
        io.read(p)
    with open(tmp_path / "z.npy", "wb") as f:
        np.savez(f, a=np.zeros(3))
    with pytest.raises(io.DataFileError):
        io.read(tmp_path / "z.npy")


def test_missing_file_folder_and_unknown_extension(tmp_path):
    with pytest.raises(io.DataFileError, match="no such file"):
        io.read(tmp_path / "none.npy")
    (tmp_path / "d.npy").mkdir()
    with pytest.raises(io.DataFileError, match="folder"):
        io.read(tmp_path / "d.npy")
    with pytest.raises(io.DataFileError, match="unknown file type"):
        io.read(tmp_path / "x.foo")
    with pytest.raises(io.DataFileError, match="does not exist"):
        io.write(tmp_path / "nope" / "x.npy", np.zeros(3))


@pytest.mark.parametrize("name,array,match", [
    ("x.png", np.zeros((3, 3)), "PNG holds"),
    ("x.jpg", np.zeros((3, 3, 4), np.uint8), "JPEG holds"),
    ("x.jpg", np.zeros((3, 3, 3), np.uint16), "JPEG holds no 16-bit colour"),
    ("x.csv", np.zeros((2, 2, 2)), "1-D or 2-D"),
    ("x.wav", np.zeros(4, np.int64), ".wav holds"),
])
def test_unwritable_dtype_or_shape_says_what_the_format_holds(tmp_path, name, array, match):
    with pytest.raises(io.DataFileError, match=match):
        io.write(tmp_path / name, array, rate=8000)
    assert not (tmp_path / name).exists()


def test_wav_without_rate_is_refused(tmp_path):
    with pytest.raises(io.DataFileError, match="--rate"):
        io.write(tmp_path / "x.wav", np.zeros(4, np.int16))


def test_16_bit_colour_tiffs_keep_their_16_bits_without_opencv(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "cv2", None)  # `import cv2` raises ImportError
    for channels in (3, 4):
        img = RNG.integers(0, 65536, (12, 14, channels), dtype=np.uint16)
        io.write(tmp_path / "one.tif", img)
        data = io.read(tmp_path / "one.tif")
        assert data.array.dtype == np.uint16 and data.channel_axis == 2
        np.testing.assert_array_equal(data.array, img)
        stack = RNG.integers(0, 65536, (3, 5, 6, channels), dtype=np.uint16)
        io.write(tmp_path / "stack.tif", stack, frames=True)
        data = io.read(tmp_path / "stack.tif")
        assert data.frame_axis == 0 and data.channel_axis == 3
        np.testing.assert_array_equal(data.array, stack)
    # planar (channels first) as other software writes them
    import tifffile  # a dependency of sigconv

    planar = RNG.integers(0, 65536, (3, 10, 11), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "planar.tif", planar, photometric="rgb", planarconfig="separate")
    np.testing.assert_array_equal(io.read(tmp_path / "planar.tif").array, np.moveaxis(planar, 0, -1))
    with pytest.raises(io.DataFileError, match="16-bit colour PNGs needs OpenCV.*or use .tif"):
        io.write(tmp_path / "x.png", RNG.integers(0, 65536, (4, 4, 3), dtype=np.uint16))
