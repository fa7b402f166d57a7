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
