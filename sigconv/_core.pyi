"""Type stub of the private Rust extension ``sigconv._core``.

These functions take canonical, already-validated arguments; the public API is :mod:`sigconv.signal`.
"""

from typing import Literal

import numpy as np
import numpy.typing as npt

class GpuUnavailableError(RuntimeError): ...

def convolve(
    x: npt.NDArray[np.generic],
    k: npt.NDArray[np.generic],
    mode: str,
    boundary: str = "fill",
    fillvalue: float | int | None = None,
    method: str = "auto",
    workers: int | None = None,
    device: str = "cpu",
) -> npt.NDArray[np.generic]: ...
def fftconvolve(
    x: npt.NDArray[np.floating],
    k: npt.NDArray[np.floating],
    mode: str,
    axes: list[int],
    blocked: bool = False,
    workers: int | None = None,
    device: str = "cpu",
) -> npt.NDArray[np.floating]: ...
def choose_method(
    shape1: list[int], shape2: list[int], mode: str, dtype: str
) -> Literal["direct", "fft"]: ...
def valid_swap_needed(mode: str, shape1: list[int], shape2: list[int]) -> bool: ...
def correlation_lags(n1: int, n2: int, mode: str) -> npt.NDArray[np.int64]: ...
def simd_level() -> Literal["avx512", "avx2", "scalar"]: ...
def default_threads() -> int: ...
def exact_sum_terms(
    x: npt.NDArray[np.float64], workers: int | None = None
) -> tuple[list[tuple[int, int]], bool, bool, bool]: ...
def correlate(
    x: npt.NDArray[np.floating],
    weights: npt.NDArray[np.floating],
    start: list[int],
    boundary: str = "reflect",
    cval: float = 0.0,
    out_shape: list[int] | None = None,
    workers: int | None = None,
    device: str = "cpu",
) -> npt.NDArray[np.floating]: ...
def fill_missing(
    x: npt.NDArray[np.floating],
    lost: npt.NDArray[np.bool_],
    weights: npt.NDArray[np.floating],
    start: list[int],
    factors: list[npt.NDArray[np.floating]] | None = None,
    boundary: str = "constant",
    max_iter: int | None = None,
    first_pass: str = "auto",
    workers: int | None = None,
    device: str = "cpu",
) -> tuple[npt.NDArray[np.floating], int, int]: ...
def filter_axes(
    x: npt.NDArray[np.generic],
    passes: list[tuple[int, str, list[float], int, int, str]],
    cval: float = 0.0,
    workers: int | None = None,
    device: str = "cpu",
    out: npt.NDArray[np.generic] | None = None,
    rows: tuple[int, int] | None = None,
) -> npt.NDArray[np.generic]: ...
def rank_filter(
    x: npt.NDArray[np.generic],
    footprint: list[bool],
    fshape: list[int],
    rank: int,
    start: list[int],
    mode: str = "reflect",
    cval: float = 0.0,
    workers: int | None = None,
    device: str = "cpu",
) -> npt.NDArray[np.generic]: ...
def check_device(name: str) -> str: ...
def gpu_adapter() -> dict[str, object] | None: ...
def gpu_unavailable_reason() -> str | None: ...
def gpu_set_binding_cap(nbytes: int | None = None) -> None: ...
def gpu_correlate_profiled(
    x: npt.NDArray[np.floating],
    weights: npt.NDArray[np.floating],
    start: list[int],
    boundary: str = "fill",
    cval: float = 0.0,
    out_shape: list[int] | None = None,
) -> tuple[npt.NDArray[np.floating], dict[str, float]]: ...
def choose_device(
    request: str, shape1: list[int], shape2: list[int], mode: str, dtype: str
) -> Literal["cpu", "gpu"]: ...

# Pooling and resampling (sigconv.nn._pooling calls these; the last two axes are the plane).
_Pair = tuple[int, int]

def pool_extreme(
    x: npt.NDArray[np.floating], kernel: _Pair, stride: _Pair, padding: _Pair, dilation: _Pair,
    ceil_mode: bool, minimum: bool, return_indices: bool, workers: int | None = None,
    device: str = "cpu",
) -> npt.NDArray[np.floating] | tuple[npt.NDArray[np.floating], npt.NDArray[np.int64]]: ...
def pool_extreme_backward(
    grad_output: npt.NDArray[np.floating], indices: npt.NDArray[np.int64],
    input_shape: list[int] | tuple[int, ...], workers: int | None = None, device: str = "cpu",
) -> npt.NDArray[np.floating]: ...
def pool_avg(
    x: npt.NDArray[np.floating], kernel: _Pair, stride: _Pair, padding: _Pair, ceil_mode: bool,
    count_include_pad: bool, divisor: int | None = None, workers: int | None = None,
    device: str = "cpu",
) -> npt.NDArray[np.floating]: ...
def pool_avg_backward(
    grad_output: npt.NDArray[np.floating], input_shape: list[int] | tuple[int, ...],
    kernel: _Pair, stride: _Pair, padding: _Pair, ceil_mode: bool, count_include_pad: bool,
    divisor: int | None = None, workers: int | None = None, device: str = "cpu",
) -> npt.NDArray[np.floating]: ...
def max_unpool(
    x: npt.NDArray[np.floating], indices: npt.NDArray[np.int64], out_size: _Pair,
    workers: int | None = None,
) -> npt.NDArray[np.floating]: ...
def max_unpool_backward(
    grad_output: npt.NDArray[np.floating], indices: npt.NDArray[np.int64],
    workers: int | None = None,
) -> npt.NDArray[np.floating]: ...
def adaptive_avg_pool(
    x: npt.NDArray[np.floating], out_size: _Pair, workers: int | None = None
) -> npt.NDArray[np.floating]: ...
def adaptive_avg_pool_backward(
    grad_output: npt.NDArray[np.floating], input_shape: list[int] | tuple[int, ...],
    workers: int | None = None,
) -> npt.NDArray[np.floating]: ...
def interpolate(
    x: npt.NDArray[np.floating], out_size: _Pair, scales: tuple[float | None, float | None],
    mode: str, align_corners: bool, two_d: bool, workers: int | None = None,
) -> npt.NDArray[np.floating]: ...
def interpolate_backward(
    grad_output: npt.NDArray[np.floating], input_shape: list[int] | tuple[int, ...],
    scales: tuple[float | None, float | None], mode: str, align_corners: bool, two_d: bool,
    workers: int | None = None,
) -> npt.NDArray[np.floating]: ...

# ---- GPU-resident arrays (feature gpu; sigconv._gpu_array builds GpuArray on them) -----------
_Grads = tuple["DeviceArray | None", "DeviceArray | None", "DeviceArray | None"]

class DeviceArray:
    """A flat array in GPU memory (float32, float64 or int32); shapes live in Python."""
    @property
    def len(self) -> int: ...
    @property
    def dtype(self) -> str: ...
    def download(self) -> npt.NDArray[np.generic]: ...
    def assign(self, src: DeviceArray) -> None: ...
    def gather(self, shape: list[int], strides: list[int], offset: int) -> DeviceArray: ...
    def scatter(self, src: DeviceArray, shape: list[int], strides: list[int], offset: int) -> None: ...
    def same_buffer(self, other: DeviceArray) -> bool: ...

def dev_upload(arr: npt.NDArray[np.generic]) -> DeviceArray: ...
def dev_zeros(len: int, dtype: str) -> DeviceArray: ...
def dev_assemble(dtype: str, len: int, blocks: list[tuple[DeviceArray, int, int, int]]) -> DeviceArray: ...
def dev_synchronize() -> None: ...
def dev_binary(op: str, a: DeviceArray, b: DeviceArray | float, inner: int = 1, swap: bool = False) -> DeviceArray: ...
def dev_unary(op: str, a: DeviceArray) -> DeviceArray: ...
def dev_int_to_float(a: DeviceArray, dtype: str) -> DeviceArray: ...
def dev_float_to_int(a: DeviceArray) -> DeviceArray: ...
def dev_dropout_mask(len: int, dtype: str, p: float, seed: int) -> DeviceArray: ...
def dev_sum(a: DeviceArray, outer: int, mid: int, inner: int, op: str = "sum") -> DeviceArray: ...
def dev_argmax(a: DeviceArray, outer: int, n: int, inner: int) -> DeviceArray: ...
def dev_take_axis(
    src: DeviceArray, idx: DeviceArray, outer: int, n: int, count: int, inner: int,
    strides: tuple[int, int, int],
) -> DeviceArray: ...
def dev_put_axis(
    dst: DeviceArray, idx: DeviceArray, values: DeviceArray, outer: int, n: int, count: int, inner: int,
) -> None: ...
def dev_segment_sum(
    values: DeviceArray, order: npt.NDArray[np.int32], offsets: npt.NDArray[np.int32], rows: int, inner: int,
) -> DeviceArray: ...
def dev_conv2d(
    x: DeviceArray, w: DeviceArray, bias: DeviceArray | None, x_shape: list[int], w_shape: list[int],
    stride: list[int], padding: list[tuple[int, int]], dilation: list[int], groups: int,
) -> DeviceArray: ...
def dev_conv2d_backward(
    dy: DeviceArray, x: DeviceArray, w: DeviceArray, x_shape: list[int], w_shape: list[int],
    stride: list[int], padding: list[tuple[int, int]], dilation: list[int], groups: int,
    mask: tuple[bool, bool, bool],
) -> _Grads: ...
def dev_conv_transpose2d(
    x: DeviceArray, w: DeviceArray, bias: DeviceArray | None, x_shape: list[int], w_shape: list[int],
    stride: list[int], padding: list[int], output_padding: list[int], dilation: list[int], groups: int,
) -> tuple[DeviceArray, list[int]]: ...
def dev_conv_transpose2d_backward(
    dy: DeviceArray, x: DeviceArray, w: DeviceArray, x_shape: list[int], w_shape: list[int],
    stride: list[int], padding: list[int], output_padding: list[int], dilation: list[int], groups: int,
    mask: tuple[bool, bool, bool],
) -> _Grads: ...
def dev_pool_extreme(
    x: DeviceArray, shape: list[int], kernel: _Pair, stride: _Pair, padding: _Pair, dilation: _Pair,
    ceil_mode: bool, minimum: bool,
) -> tuple[DeviceArray, DeviceArray, _Pair]: ...
def dev_pool_extreme_backward(
    grad_output: DeviceArray, indices: DeviceArray, input_shape: list[int], out_plane_len: int
) -> DeviceArray: ...
def dev_pool_avg(
    x: DeviceArray, shape: list[int], kernel: _Pair, stride: _Pair, padding: _Pair, ceil_mode: bool,
    count_include_pad: bool, divisor: int | None = None,
) -> tuple[DeviceArray, _Pair]: ...
def dev_pool_avg_backward(
    grad_output: DeviceArray, input_shape: list[int], kernel: _Pair, stride: _Pair, padding: _Pair,
    ceil_mode: bool, count_include_pad: bool, divisor: int | None = None,
) -> DeviceArray: ...
def dev_cross_entropy(
    logits: DeviceArray, targets: DeviceArray, rows: int, classes: int, ignore_index: int
) -> tuple[DeviceArray, DeviceArray, DeviceArray]: ...
def dev_sgd_step(
    x: DeviceArray, grad: DeviceArray, buf: DeviceArray | None, lr: float, momentum: float,
    dampening: float, weight_decay: float, nesterov: bool, maximize: bool, first: bool,
) -> None: ...
def dev_adam_step(
    x: DeviceArray, grad: DeviceArray, m: DeviceArray, v: DeviceArray, vmax: DeviceArray | None,
    lr: float, betas: tuple[float, float], eps: float, weight_decay: float, decoupled: bool,
    amsgrad: bool, maximize: bool, step: int,
) -> None: ...

def resample_taps(
    n_in: int, n_out: int, scale: float | None, mode: str, align_corners: bool, dtype: str,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64] | None, npt.NDArray[np.floating] | None, npt.NDArray[np.floating] | None]: ...
def adaptive_windows(n_in: int, n_out: int) -> tuple[list[int], list[int]]: ...
