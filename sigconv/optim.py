"""Optimizers with torch's update rules: :class:`SGD`, :class:`Adam`, :class:`AdamW`.

Each keeps ``param_groups`` (a list of dicts with ``'params'`` and the hyper-parameters) and a
per-parameter ``state``; ``step()`` updates the parameters in place from their ``.grad``.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from sigconv import _core
from sigconv._gpu_array import GpuArray, is_gpu
from sigconv.autograd import Tensor

__all__ = ["Optimizer", "SGD", "Adam", "AdamW"]


class Optimizer:
    """Base class: parameter groups, ``zero_grad``, ``state_dict`` / ``load_state_dict``."""

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.param_groups = []
        for g in groups:
            group = dict(self.defaults)
            group.update(g)
            group["params"] = list(group["params"])
            for p in group["params"]:
                if not isinstance(p, Tensor):
                    raise TypeError(f"optimizer can only optimize Tensors, got {type(p).__name__}")
            self.param_groups.append(group)
        self.state = {}

    def zero_grad(self, set_to_none=True):
        for g in self.param_groups:
            for p in g["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.zero_()

    def _params(self):
        return [p for g in self.param_groups for p in g["params"]]

    def state_dict(self):
        """``{'state': {index: {name: array}}, 'param_groups': [...]}`` with parameters as indices."""
        index = {id(p): i for i, p in enumerate(self._params())}
        state = {index[k]: {n: (v.copy() if isinstance(v, np.ndarray) else v) for n, v in s.items()} for k, s in self.state.items() if k in index}
        groups = []
        for g in self.param_groups:
            d = {k: v for k, v in g.items() if k != "params"}
            d["params"] = [index[id(p)] for p in g["params"]]
            groups.append(d)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        params = self._params()
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(f"load_state_dict: {len(groups)} parameter groups in the state dict, {len(self.param_groups)} here")
        for mine, theirs in zip(self.param_groups, groups):
            for k, v in theirs.items():
                if k != "params":
                    mine[k] = tuple(v) if isinstance(v, list) else v
        self.state = {}
        for i, s in state_dict["state"].items():
            p = params[int(i)]
            self.state[id(p)] = {n: (np.array(v) if isinstance(v, np.ndarray) else copy.copy(v)) for n, v in s.items()}

    def step(self):
        raise NotImplementedError


def _gpu_grad(p):
    """The GPU gradient of GPU parameter ``p`` (ValueError when it lives in host memory)."""
    g = p.grad._data
    if not is_gpu(g):
        raise ValueError("a GPU parameter has a gradient in host memory: move both with .to('gpu')")
    return g


def _zeros(p):
    """A GPU state buffer of zeros shaped like parameter ``p``."""
    return GpuArray.full(p.shape, 0, p.dtype)


def _check(name, value, low=0.0):
    if not isinstance(value, (int, float)) or value < low:
        raise ValueError(f"{name} must be a number >= {low}, got {value!r}")


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, dampening, weight decay and Nesterov momentum.

    As ``torch.optim.SGD``: ``g = grad + weight_decay * p``; ``b = momentum * b + (1 - dampening) * g``
    (``b = g`` on the first step); ``g = g + momentum * b`` if nesterov else ``b``; ``p -= lr * g``.

    Examples
    --------
    >>> import sigconv
    >>> from sigconv import optim
    >>> w = sigconv.tensor([1.0], requires_grad=True)
    >>> opt = optim.SGD([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w.numpy()
    array([0.8], dtype=float32)
    """

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
        _check("lr", lr)
        _check("momentum", momentum)
        _check("weight_decay", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov, maximize=maximize))

    def step(self):
        for group in self.param_groups:
            lr, mom, damp, wd, nest = group["lr"], group["momentum"], group["dampening"], group["weight_decay"], group["nesterov"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                if is_gpu(p._data):
                    self._gpu_step(p, group)
                    continue
                g = p.grad._data
                if group["maximize"]:
                    g = -g
                if wd:
                    g = g + wd * p._data
                if mom:
                    st = self.state.setdefault(id(p), {})
                    buf = st.get("momentum_buffer")
                    if buf is None:
                        buf = st["momentum_buffer"] = np.array(g, dtype=p._data.dtype)
                    else:
                        buf *= mom
                        buf += (1 - damp) * g
                    g = g + mom * buf if nest else buf
                p._data -= p._data.dtype.type(lr) * g

    def _gpu_step(self, p, group):
        """The same update, one fused kernel on the device (``rust/gpu/shaders/sgd_step.wgsl``)."""
        buf, first = None, False
        if group["momentum"]:
            st = self.state.setdefault(id(p), {})
            buf = st.get("momentum_buffer")
            first = buf is None
            if first:
                buf = st["momentum_buffer"] = _zeros(p)
        _core.dev_sgd_step(p._data._h, _gpu_grad(p)._h, None if buf is None else buf._h,
                           float(group["lr"]), float(group["momentum"]), float(group["dampening"]),
                           float(group["weight_decay"]), bool(group["nesterov"]),
                           bool(group["maximize"]), first)


class Adam(Optimizer):
    """Adam (optionally AMSGrad), as ``torch.optim.Adam``.

    ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2``,
    ``p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``; ``weight_decay`` adds
    ``weight_decay * p`` to the gradient (L2, not decoupled; see :class:`AdamW`).

    Examples
    --------
    >>> import sigconv
    >>> from sigconv import optim
    >>> w = sigconv.tensor([1.0], requires_grad=True)
    >>> opt = optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w.numpy().round(4)
    array([0.9], dtype=float32)
    """

    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, maximize=False):
        _check("lr", lr)
        _check("eps", eps)
        _check("weight_decay", weight_decay)
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError(f"betas must lie in [0, 1), got {betas!r}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize))

    def step(self):
        for group in self.param_groups:
            lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                if is_gpu(p._data):
                    self._gpu_step(p, group)
                    continue
                g = p.grad._data
                if group["maximize"]:
                    g = -g
                x = p._data
                if wd:
                    if self._decoupled:
                        x *= x.dtype.type(1 - lr * wd)
                    else:
                        g = g + wd * x
                st = self.state.get(id(p))
                if st is None:
                    st = self.state[id(p)] = {"step": 0, "exp_avg": np.zeros_like(x), "exp_avg_sq": np.zeros_like(x)}
                    if group["amsgrad"]:
                        st["max_exp_avg_sq"] = np.zeros_like(x)
                st["step"] += 1
                t = st["step"]
                m, v = st["exp_avg"], st["exp_avg_sq"]
                m *= b1
                m += (1 - b1) * g
                v *= b2
                v += (1 - b2) * (g * g)
                if group["amsgrad"]:
                    np.maximum(st["max_exp_avg_sq"], v, out=st["max_exp_avg_sq"])
                    v = st["max_exp_avg_sq"]
                bc1 = 1 - b1**t
                bc2 = 1 - b2**t
                denom = np.sqrt(v) / x.dtype.type(math.sqrt(bc2)) + x.dtype.type(eps)
                x -= x.dtype.type(lr / bc1) * m / denom

    def _gpu_step(self, p, group):
        """The same update, one fused kernel on the device (``rust/gpu/shaders/adam_step.wgsl``)."""
        st = self.state.get(id(p))
        if st is None:
            st = self.state[id(p)] = {"step": 0, "exp_avg": _zeros(p), "exp_avg_sq": _zeros(p)}
            if group["amsgrad"]:
                st["max_exp_avg_sq"] = _zeros(p)
        st["step"] += 1
        vmax = st.get("max_exp_avg_sq") if group["amsgrad"] else None
        b1, b2 = group["betas"]
        _core.dev_adam_step(p._data._h, _gpu_grad(p)._h, st["exp_avg"]._h, st["exp_avg_sq"]._h,
                            None if vmax is None else vmax._h, float(group["lr"]),
                            (float(b1), float(b2)), float(group["eps"]),
                            float(group["weight_decay"]), self._decoupled,
                            bool(group["amsgrad"]), bool(group["maximize"]), st["step"])


class AdamW(Adam):
    """Adam with decoupled weight decay (``p *= 1 - lr * weight_decay``), as ``torch.optim.AdamW``."""

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)
