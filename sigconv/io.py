"""Arrays from and to files, for the ``sigconv`` command line: ``.npy``, ``.npz``, ``.csv``, ``.wav``
and images (``.png``, ``.jpg``/``.jpeg``, ``.tif``/``.tiff``, read and written with Pillow).

:func:`read` returns a :class:`Data`: the array, the format, the sample rate of a ``.wav`` and the
channel axis (the last axis of a colour image or a multichannel ``.wav``; filters run on each
channel separately). :func:`write` picks the format from the file name's extension;
:func:`cast` converts a result back to a stored dtype (integers: rounded and clipped to the dtype's
range). Every failure (missing or unreadable file, corrupt data, an extension or dtype the format
cannot hold) raises :class:`DataFileError`, a ``ValueError`` whose one-line message names the file.

What each format holds:

* ``.npy``: any array (no pickled objects), dtype kept.
* ``.npz``: an archive of one array (read whatever its name; written as ``arr_0``, numpy's name
  for an unnamed array); an archive of several is refused, naming them.
* ``.csv``: 1-D or 2-D numbers, comma-separated (``#`` starts a comment); read as float64.
* ``.wav``: ``(samples,)`` or ``(samples, channels)``; uint8, int16, int32, float32 or float64 and
  the sample rate are kept (24-bit files read as int32).
* images: greyscale ``(H, W)`` or colour ``(H, W, 3|4)``. PNG holds uint8 (greyscale, RGB, RGBA) and
  uint16 greyscale; JPEG uint8 greyscale or RGB; TIFF uint8 (greyscale, RGB, RGBA), uint16 and
  float32 greyscale; PNG and TIFF also uint16 RGB(A) through OpenCV where it is installed (Pillow
  keeps only 8 bits of those; without OpenCV they are refused, not truncated). Palette and other
  modes are read as RGB(A). A file of several frames (a TIFF
  stack, an animated PNG) reads as ``(frames, H, W)`` or ``(frames, H, W, 3|4)`` with
  ``frame_axis=0`` (every frame must have the first one's size and mode); ``write(...,
  frames=True)`` stores such a stack as a multi-frame TIFF.
"""

from __future__ import annotations

import os
import struct
import warnings
from dataclasses import dataclass
from typing import Optional

import numpy as np

__all__ = ["Data", "DataFileError", "read", "write", "cast", "FORMATS", "format_of"]

IMAGE_EXTENSIONS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF"}
FORMATS = {".npy": "npy", ".npz": "npz", ".csv": "csv", ".wav": "wav",
           **{e: "image" for e in IMAGE_EXTENSIONS}}
WAV_DTYPES = ("uint8", "int16", "int32", "float32", "float64")


class DataFileError(ValueError):
    """A file that cannot be read or written as asked; the message is one line naming the file."""


@dataclass
class Data:
    """An array read from a file, with what is needed to write it back alike."""

    array: np.ndarray
    format: str  # 'npy', 'npz', 'csv', 'wav' or 'image'
    rate: Optional[int] = None  # samples per second of a .wav
    channel_axis: Optional[int] = None  # axis holding channels (colour, stereo), filtered apart
    frame_axis: Optional[int] = None  # axis holding the frames of an image stack, filtered apart


def format_of(path) -> str:
    """``'npy'``, ``'npz'``, ``'csv'``, ``'wav'`` or ``'image'`` from the extension of ``path``."""
    ext = os.path.splitext(str(path))[1].lower()
    if ext not in FORMATS:
        raise DataFileError(f"{path}: unknown file type {ext or '(no extension)'!r}; "
                            f"use one of {', '.join(sorted(FORMATS))}")
    return FORMATS[ext]


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def read(path) -> Data:
    """The array stored in ``path`` (format from its extension) as a :class:`Data`."""
    kind = format_of(path)
    if not os.path.exists(path):
        raise DataFileError(f"{path}: no such file")
    if os.path.isdir(path):
        raise DataFileError(f"{path}: is a folder, not a file")
    try:
        data = _READERS[kind](path)
    except DataFileError:
        raise
    except (OSError, ValueError, EOFError, SyntaxError, IndexError, KeyError, TypeError, struct.error) as e:
        raise DataFileError(f"{path}: cannot read as {kind}: {_one_line(e)}") from e
    if data.array.size == 0:
        raise DataFileError(f"{path}: holds no data (shape {data.array.shape})")
    return data


def _read_npy(path) -> Data:
    with open(path, "rb") as f:
        if f.read(6) != b"\x93NUMPY":
            raise DataFileError(f"{path}: not a .npy file (no numpy header)")
    arr = np.load(path, allow_pickle=False)
    if not isinstance(arr, np.ndarray):  # an .npz archive under an .npy name
        raise DataFileError(f"{path}: is an .npz archive, not a single .npy array")
    return Data(arr, "npy")


def _read_npz(path) -> Data:
    with np.load(path, allow_pickle=False) as archive:
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise DataFileError(f"{path}: is a single .npy array, not an .npz archive; name it .npy")
        names = list(archive.files)
        if len(names) != 1:
            raise DataFileError(f"{path}: holds {len(names)} arrays ({', '.join(names) or 'none'}); "
                                "the filters read an archive of one array (save one per .npy)")
        arr = archive[names[0]]
    return Data(arr, "npz")


def _read_csv(path) -> Data:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an empty file warns; it is refused below
        arr = np.loadtxt(path, delimiter=",", dtype=np.float64, comments="#", ndmin=1)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    return Data(arr, "csv")


def _read_wav(path) -> Data:
    from scipy.io import wavfile

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unknown chunks are skipped with a warning
        rate, arr = wavfile.read(path)
    arr = np.array(arr)  # not a memory map of the file
    return Data(arr, "wav", rate=int(rate), channel_axis=1 if arr.ndim == 2 else None)


def _frame_array(img) -> np.ndarray:
    """One Pillow frame as greyscale ``(H, W)`` or colour ``(H, W, 3|4)`` numbers."""
    mode = img.mode
    if mode == "1":
        img = img.convert("L")
    elif mode in ("P", "PA"):
        img = img.convert("RGBA" if "transparency" in img.info or mode == "PA" else "RGB")
    elif mode == "LA":
        img = img.convert("RGBA")
    elif mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        img = img.convert("RGB")
    elif mode.startswith("I;16"):
        return np.array(img, dtype=np.uint16)
    arr = np.array(img)
    if arr.dtype == np.int32 and arr.size and arr.min() >= 0 and arr.max() <= 65535:
        arr = arr.astype(np.uint16)  # 16-bit files Pillow opens in mode 'I'
    return arr


def _colour_16_bit(img) -> bool:
    """Whether ``img`` (opened by Pillow) stores colour with 16 bits per sample, which Pillow reads
    as 8-bit RGB(A)."""
    if img.mode not in ("RGB", "RGBA"):
        return False
    if img.format == "PNG":
        return img.fp is not None and _png_bit_depth(img.filename) == 16
    if img.format == "TIFF":
        bits = img.tag_v2.get(258, (8,))
        return max(bits if isinstance(bits, tuple) else (bits,)) == 16
    return False


def _png_bit_depth(path) -> int:
    with open(path, "rb") as f:
        head = f.read(25)
    return head[24] if len(head) == 25 and head[12:16] == b"IHDR" else 8


def _opencv(path, what):
    cv2 = None
    try:
        import cv2
    except ImportError:
        pass
    if cv2 is None:
        raise DataFileError(f"{path}: {what} 16-bit colour PNGs needs OpenCV (pip install "
                            "opencv-python-headless; Pillow keeps only 8 bits of them), or use .tif")
    return cv2


def _read_colour_16_bit(path, fmt):
    """The frames of a 16-bit colour TIFF (read by tifffile) or PNG (by OpenCV) as uint16
    ``(H, W, 3|4)`` RGB(A)."""
    if fmt == "TIFF":
        import tifffile

        with tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            arr, axes = series.asarray(), series.axes
        if "S" not in axes or not {"Y", "X"} <= set(axes):
            raise DataFileError(f"{path}: a 16-bit colour TIFF of axes {axes!r}; expected samples, rows "
                                "and columns")
        keep = [axes.index(a) for a in "YXS"]
        arr = np.moveaxis(arr, keep, [-3, -2, -1]).reshape((-1,) + tuple(arr.shape[k] for k in keep))
        return list(arr)
    cv2 = _opencv(path, "reading")
    ok, frames = cv2.imreadmulti(str(path), flags=cv2.IMREAD_UNCHANGED)
    if not ok or not frames:
        raise DataFileError(f"{path}: OpenCV cannot read this 16-bit colour image")
    order = {3: cv2.COLOR_BGR2RGB, 4: cv2.COLOR_BGRA2RGBA}
    return [cv2.cvtColor(f, order[f.shape[2]]) if f.ndim == 3 and f.shape[2] in order else f
            for f in frames]


def _read_image(path) -> Data:
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            if _colour_16_bit(img):
                # Pillow would keep only the high 8 bits of each sample
                frames = _read_colour_16_bit(path, img.format)
            else:
                frames = []
                for frame in ImageSequence.Iterator(img):
                    frame.load()
                    frames.append(_frame_array(frame))
    except UnidentifiedImageError as e:
        raise DataFileError(f"{path}: not an image Pillow can read") from e
    first = frames[0]
    for i, f in enumerate(frames[1:], start=1):
        if f.shape != first.shape or f.dtype != first.dtype:
            raise DataFileError(f"{path}: frame {i} is {f.dtype} {f.shape}, frame 0 {first.dtype} "
                                f"{first.shape}; the frames of a stack must match")
    if len(frames) == 1:
        return Data(first, "image", channel_axis=2 if first.ndim == 3 else None)
    stack = np.stack(frames)
    return Data(stack, "image", channel_axis=3 if stack.ndim == 4 else None, frame_axis=0)


_READERS = {"npy": _read_npy, "npz": _read_npz, "csv": _read_csv, "wav": _read_wav,
            "image": _read_image}


def cast(array: np.ndarray, dtype) -> np.ndarray:
    """``array`` as ``dtype``: integers rounded to nearest and clipped to the dtype's range (NaN
    refused), floats and bool converted as numpy converts."""
    dtype = np.dtype(dtype)
    array = np.asarray(array)
    if array.dtype == dtype:
        return array
    if dtype.kind in "iu" and array.dtype.kind == "f":
        if np.isnan(array).any():
            raise DataFileError(f"the result holds NaN, which {dtype} cannot store; "
                                "write .npy, .csv or a float32 .tif instead")
        info = np.iinfo(dtype)
        return np.clip(np.rint(array), info.min, info.max).astype(dtype)
    if dtype.kind in "iu" and array.dtype.kind in "iu":
        info = np.iinfo(dtype)
        return np.clip(array, info.min, info.max).astype(dtype)
    return array.astype(dtype)


def write(path, array, *, rate: Optional[int] = None, frames: bool = False) -> None:
    """Stores ``array`` in ``path`` in the format its extension names (``rate``: for ``.wav``;
    ``frames``: the first axis holds the frames of an image stack, written as a multi-frame TIFF).

    The array is written with its own dtype; convert it first (:func:`cast`) when the format needs
    another. A dtype or shape the format cannot hold raises :class:`DataFileError` saying which ones
    it can.
    """
    kind = format_of(path)
    array = np.asarray(array)
    folder = os.path.dirname(os.path.abspath(str(path)))
    if not os.path.isdir(folder):
        raise DataFileError(f"{path}: folder {folder} does not exist")
    try:
        if frames and kind == "image":
            _write_image_stack(path, array)
        else:
            _WRITERS[kind](path, array, rate)
    except DataFileError:
        raise
    except (OSError, ValueError, TypeError, KeyError) as e:
        raise DataFileError(f"{path}: cannot write as {kind}: {_one_line(e)}") from e


def _write_npy(path, array, rate):
    if array.dtype == object:
        raise DataFileError(f"{path}: object arrays are not stored")
    with open(path, "wb") as f:  # np.save on a name would append '.npy' to other extensions
        np.save(f, array, allow_pickle=False)


def _write_npz(path, array, rate):
    if array.dtype == object:
        raise DataFileError(f"{path}: object arrays are not stored")
    with open(path, "wb") as f:  # np.savez on a name would append '.npz' to other names
        np.savez(f, array)


def _write_csv(path, array, rate):
    if array.ndim not in (1, 2):
        raise DataFileError(f"{path}: .csv holds 1-D or 2-D arrays, got shape {array.shape}; write .npy")
    if array.dtype.kind in "iub":
        fmt = "%d"
    elif array.dtype.kind == "f":
        fmt = "%.9g" if array.dtype.itemsize <= 4 else "%.17g"
    else:
        raise DataFileError(f"{path}: .csv holds real numbers, got {array.dtype}; write .npy")
    np.savetxt(path, array, fmt=fmt, delimiter=",")


def _write_wav(path, array, rate):
    from scipy.io import wavfile

    if rate is None:
        raise DataFileError(f"{path}: a .wav needs a sample rate (the input has none: give --rate)")
    if array.ndim not in (1, 2):
        raise DataFileError(f"{path}: .wav holds (samples,) or (samples, channels), got shape {array.shape}")
    if array.dtype.name not in WAV_DTYPES:
        raise DataFileError(f"{path}: .wav holds {', '.join(WAV_DTYPES)}, got {array.dtype} (use --dtype)")
    wavfile.write(path, int(rate), np.ascontiguousarray(array))


# (format, ndim, channels or None, dtype) -> Pillow mode
_IMAGE_MODES = {
    ("PNG", 2, None, "uint8"): "L", ("PNG", 2, None, "uint16"): "I;16",
    ("PNG", 3, 3, "uint8"): "RGB", ("PNG", 3, 4, "uint8"): "RGBA",
    ("JPEG", 2, None, "uint8"): "L", ("JPEG", 3, 3, "uint8"): "RGB",
    ("TIFF", 2, None, "uint8"): "L", ("TIFF", 2, None, "uint16"): "I;16",
    ("TIFF", 2, None, "float32"): "F",
    ("TIFF", 3, 3, "uint8"): "RGB", ("TIFF", 3, 4, "uint8"): "RGBA",
}


def _image_formats_text(fmt):
    kinds = [f"{dt} {'grey' if nd == 2 else {3: 'RGB', 4: 'RGBA'}[ch]}"
             for (f, nd, ch, dt) in _IMAGE_MODES if f == fmt]
    return ", ".join(kinds)


def _colour_16_bit_array(array) -> bool:
    return array.dtype == np.uint16 and array.ndim == 3 and array.shape[2] in (3, 4)


def _write_colour_16_bit(path, fmt, frames):
    """uint16 RGB(A) frames to a TIFF (written by tifffile) or a one-frame PNG (by OpenCV):
    Pillow cannot write them."""
    if fmt not in ("PNG", "TIFF") or (fmt == "PNG" and len(frames) > 1):
        raise DataFileError(f"{path}: {fmt} holds no 16-bit colour{' stack' if len(frames) > 1 else ''}; "
                            "write .tif or .npy")
    if fmt == "TIFF":
        import tifffile

        alpha = {"extrasamples": ["unassalpha"]} if frames[0].shape[2] == 4 else {}
        tifffile.imwrite(path, np.stack(frames) if len(frames) > 1 else frames[0], photometric="rgb",
                         **alpha)
        return
    cv2 = _opencv(path, "writing")
    order = {3: cv2.COLOR_RGB2BGR, 4: cv2.COLOR_RGBA2BGRA}
    bgr = [cv2.cvtColor(np.ascontiguousarray(f), order[f.shape[2]]) for f in frames]
    ok = cv2.imwrite(str(path), bgr[0]) if len(bgr) == 1 else cv2.imwritemulti(str(path), bgr)
    if not ok:
        raise DataFileError(f"{path}: OpenCV could not write it")


def _pillow_image(path, fmt, array):
    """``array`` (one frame) as a Pillow image of a mode ``fmt`` holds, or DataFileError."""
    from PIL import Image

    channels = array.shape[2] if array.ndim == 3 else None
    mode = _IMAGE_MODES.get((fmt, array.ndim, channels, array.dtype.name))
    if mode is None:
        raise DataFileError(f"{path}: {fmt} holds {_image_formats_text(fmt)}; got {array.dtype} of shape "
                            f"{array.shape} (use --dtype, or write .npy)")
    arr = np.ascontiguousarray(array)
    if mode == "I;16":
        return Image.frombuffer("I;16", (arr.shape[1], arr.shape[0]), arr.astype("<u2").tobytes(), "raw", "I;16", 0, 1)
    return Image.fromarray(arr)


def _write_image(path, array, rate):
    fmt = IMAGE_EXTENSIONS[os.path.splitext(str(path))[1].lower()]
    if _colour_16_bit_array(array):
        return _write_colour_16_bit(path, fmt, [array])
    kwargs = {"quality": 95} if fmt == "JPEG" else {}
    _pillow_image(path, fmt, array).save(path, format=fmt, **kwargs)


def _write_image_stack(path, array):
    fmt = IMAGE_EXTENSIONS[os.path.splitext(str(path))[1].lower()]
    if fmt != "TIFF":
        raise DataFileError(f"{path}: {fmt} holds one frame; write the {array.shape[0]} frames as .tif "
                            "or .npy")
    if array.ndim not in (3, 4) or array.shape[0] == 0:
        raise DataFileError(f"{path}: a stack of frames has shape (frames, H, W) or (frames, H, W, 3|4); "
                            f"got {array.shape}")
    if _colour_16_bit_array(array[0]):
        return _write_colour_16_bit(path, fmt, list(array))
    images = [_pillow_image(path, fmt, frame) for frame in array]
    images[0].save(path, format=fmt, save_all=True, append_images=images[1:])


_WRITERS = {"npy": _write_npy, "npz": _write_npz, "csv": _write_csv, "wav": _write_wav,
            "image": _write_image}
