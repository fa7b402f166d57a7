"""Parameter initialisation in place, as ``torch.nn.init`` (draws from :func:`sigconv.manual_seed`'s generator)."""

import math

import numpy as np

from sigconv import autograd as _ag

__all__ = ["calculate_gain", "uniform_", "normal_", "zeros_", "ones_", "constant_", "kaiming_uniform_", "kaiming_normal_", "xavier_uniform_", "xavier_normal_"]


def _fans(t):
    shape = t.shape
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need at least 2 dimensions, got shape {shape}")
    rf = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * rf, shape[0] * rf


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for ``nonlinearity`` ('linear', 'conv*', 'sigmoid', 'tanh', 'relu', 'leaky_relu')."""
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope**2))
    raise ValueError(f"nonlinearity must be one of linear, conv*, sigmoid, tanh, relu, leaky_relu, got {nonlinearity!r}")


def _set(t, values):
    t._data[...] = values.astype(t._data.dtype)
    return t


def uniform_(t, a=0.0, b=1.0):
    return _set(t, _ag.default_generator().uniform(a, b, t.shape))


def normal_(t, mean=0.0, std=1.0):
    return _set(t, _ag.default_generator().normal(mean, std, t.shape))


def constant_(t, val):
    t._data[...] = val
    return t


def zeros_(t):
    return constant_(t, 0)


def ones_(t):
    return constant_(t, 1)


def kaiming_uniform_(t, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    fan = _fans(t)[0 if mode == "fan_in" else 1]
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(t, -bound, bound)


def kaiming_normal_(t, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    fan = _fans(t)[0 if mode == "fan_in" else 1]
    return normal_(t, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan))


def xavier_uniform_(t, gain=1.0):
    fi, fo = _fans(t)
    bound = gain * math.sqrt(6.0 / (fi + fo))
    return uniform_(t, -bound, bound)


def xavier_normal_(t, gain=1.0):
    fi, fo = _fans(t)
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fi + fo)))
