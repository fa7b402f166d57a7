"""Layers with torch's names, constructor arguments, defaults and initialisation."""

from __future__ import annotations

import functools
import math
from collections import OrderedDict

import numpy as np

from sigconv import autograd as _ag
from sigconv._gpu_array import GpuArray
from sigconv.autograd import Tensor, _compute_device
from sigconv.nn import functional as F
from sigconv.nn import _pooling

__all__ = [
    "Parameter",
    "Module",
    "Sequential",
    "ModuleList",
    "Identity",
    "Conv1d",
    "Conv2d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "MaxPool1d",
    "MaxPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "MinPool1d",
    "MinPool2d",
    "MaxUnpool1d",
    "MaxUnpool2d",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "Upsample",
    "Linear",
    "Flatten",
    "Dropout",
    "BatchNorm1d",
    "BatchNorm2d",
    "Embedding",
    "ReLU",
    "LeakyReLU",
    "Sigmoid",
    "Tanh",
    "Softmax",
    "LogSoftmax",
    "CrossEntropyLoss",
    "MSELoss",
    "NLLLoss",
]


class Parameter(Tensor):
    """A tensor that a :class:`Module` registers as trainable (``requires_grad`` by default).

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import nn
    >>> nn.Parameter(np.zeros(3, np.float32)).requires_grad
    True
    """

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = np.zeros(0, np.float32)
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


def _uniform(shape, bound, dtype=np.float32):
    return _ag.default_generator().uniform(-bound, bound, size=shape).astype(dtype)


def _to_host(a):
    """``a`` in host memory (a GPU array copied back)."""
    return a.numpy() if isinstance(a, GpuArray) else a


class Module:
    """Base class of every layer and model: registers parameters, buffers and sub-modules.

    Subclasses assign :class:`Parameter` s and modules as attributes in ``__init__`` and define
    ``forward``; calling the module runs ``forward`` (and any forward hooks). The constructor
    arguments are recorded so that :func:`sigconv.nn.save` can rebuild the model.

    Examples
    --------
    >>> from sigconv import nn
    >>> class Net(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc = nn.Linear(3, 2)
    ...     def forward(self, x):
    ...         return self.fc(x).relu()
    >>> [name for name, _ in Net().named_parameters()]
    ['fc.weight', 'fc.bias']
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None:
            return

        @functools.wraps(init)
        def recording_init(self, *args, **kw):
            if "_config" not in self.__dict__:
                object.__setattr__(self, "_config", (args, kw))
            init(self, *args, **kw)

        cls.__init__ = recording_init

    def __init__(self):
        d = self.__dict__
        d.setdefault("_config", ((), {}))
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_modules"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["training"] = True

    # ---- registration ----------------------------------------------------------------------
    def __setattr__(self, name, value):
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError("call super().__init__() before assigning attributes in a Module")
        for store in ("_parameters", "_buffers", "_modules"):
            d[store].pop(name, None)
        if isinstance(value, Parameter):
            d["_parameters"][name] = value
            d.pop(name, None)
        elif isinstance(value, Module):
            d["_modules"][name] = value
            d.pop(name, None)
        elif name in d.get("_buffer_names", ()):
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name):
        for store in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__[store]:
                del self.__dict__[store][name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        if param is None:
            self.__dict__["_parameters"][name] = None
        else:
            setattr(self, name, param)

    def register_buffer(self, name, tensor):
        """Register state that is saved with the model but not trained (e.g. running means)."""
        self.__dict__.setdefault("_buffer_names", set()).add(name)
        self.__dict__.pop(name, None)
        self._buffers[name] = tensor

    def add_module(self, name, module):
        self._modules[name] = module

    def register_forward_hook(self, hook):
        """Call ``hook(module, inputs, output)`` after each forward; returns a handle with ``remove()``."""
        key = object()
        self._forward_hooks[key] = hook
        hooks = self._forward_hooks

        class _Handle:
            def remove(self):
                hooks.pop(key, None)

        return _Handle()

    # ---- traversal -------------------------------------------------------------------------
    def children(self):
        return iter(self._modules.values())

    def named_children(self):
        return iter(self._modules.items())

    def named_modules(self, prefix="", _memo=None):
        """``(name, module)`` for this module and every sub-module, each module once."""
        memo = set() if _memo is None else _memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(prefix + ("." if prefix else "") + name, memo)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_parameters(self, prefix="", recurse=True):
        """``(name, parameter)`` pairs; a parameter shared by several layers is listed once."""
        seen = set()
        mods = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mname, m in mods:
            for pname, p in m._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (mname + "." if mname else "") + pname, p

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix=""):
        for mname, m in self.named_modules(prefix):
            for bname, b in m._buffers.items():
                if b is not None:
                    yield (mname + "." if mname else "") + bname, b

    def buffers(self):
        for _, b in self.named_buffers():
            yield b

    # ---- modes and state -------------------------------------------------------------------
    def train(self, mode=True):
        for m in self.modules():
            m.__dict__["training"] = bool(mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    def to(self, device=None, dtype=None):
        """Move the module to a device (``'cpu'``, ``'gpu'``, ``'auto'``) or convert floating
        parameters and buffers to ``dtype``; returns the module (changed in place, as torch's).

        ``'gpu'`` (:class:`sigconv.GpuUnavailableError` where no adapter answers) copies the
        parameters, their gradients and the floating buffers into GPU memory, where they stay
        (integer buffers, counters read on the host, stay there): a forward
        and backward pass on inputs moved with ``x.to('gpu')`` and an optimiser step then run
        entirely on the device (see ``sigconv._gpu_array`` for the operations that have GPU
        kernels; the others raise). ``'cpu'`` copies everything back. ``'auto'`` keeps the
        tensors in host memory and lets each convolution and pooling call choose where to
        compute (the GPU where it pays for the transfers).
        """
        if device is not None and not isinstance(device, str):
            dtype, device = device, None
        if device is not None:
            chosen = _compute_device(device)
            place = GpuArray.from_numpy if chosen == "gpu" else _to_host
            for t in list(self.parameters()) + list(self.buffers()):
                if t._data.dtype.kind != "f":
                    continue  # counters (BatchNorm's num_batches_tracked) stay where they are read
                t._data = place(t._data)
                if t.grad is not None:
                    t.grad._data = place(t.grad._data)
            for m in self.modules():
                m.__dict__["_device"] = chosen
        if dtype is not None:
            dt = np.dtype(dtype)
            for t in list(self.parameters()) + list(self.buffers()):
                if t._data.dtype.kind == "f":
                    t._data = t._data.astype(dt)
                    if t.grad is not None:
                        t.grad._data = t.grad._data.astype(dt)
        return self

    def double(self):
        return self.to(np.float64)

    def float(self):
        return self.to(np.float32)

    def cpu(self):
        return self.to("cpu")

    @property
    def compute_device(self):
        """Where this module lives and computes: ``'cpu'`` (the default), ``'gpu'`` (parameters
        in GPU memory) or ``'auto'`` (host memory; each convolution and pooling call chooses),
        as set by :meth:`to`."""
        return self.__dict__.get("_device", "cpu")

    def _all_modules(self, prefix=""):
        # every path to every module, as torch's state_dict walks them (a shared layer appears twice)
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m._all_modules(prefix + ("." if prefix else "") + name)

    def state_dict(self):
        """An ordered mapping of parameter and buffer names to tensors (shared, detached)."""
        out = OrderedDict()
        for mname, m in self._all_modules():
            pre = mname + "." if mname else ""
            for k, p in m._parameters.items():
                if p is not None:
                    out[pre + k] = p.detach()
            for k, b in m._buffers.items():
                if b is not None:
                    out[pre + k] = b.detach()
        return out

    def load_state_dict(self, state_dict, strict=True):
        """Copy values from ``state_dict`` (tensors or arrays) into the parameters and buffers."""
        own = OrderedDict()
        for mname, m in self._all_modules():
            pre = mname + "." if mname else ""
            for store in (m._parameters, m._buffers):
                for k, t in store.items():
                    if t is not None:
                        own[pre + k] = t
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            raise ValueError(f"load_state_dict: missing keys {missing}, unexpected keys {unexpected}")
        for k, t in own.items():
            if k not in state_dict:
                continue
            v = state_dict[k]
            v = v.numpy() if isinstance(v, Tensor) else np.asarray(v)
            if v.shape != t._data.shape:
                raise ValueError(f"load_state_dict: {k} has shape {v.shape} in the state dict but {t._data.shape} in the model")
            v = np.array(v, dtype=t._data.dtype)
            t._data = GpuArray.from_numpy(v) if isinstance(t._data, GpuArray) else v  # stays on its device
        return missing, unexpected

    # ---- calling ---------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        out = self.forward(*args, **kwargs)
        if self._forward_hooks:
            for hook in list(self._forward_hooks.values()):
                r = hook(self, args, out)
                if r is not None:
                    out = r
        return out

    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = []
        for name, m in self._modules.items():
            body = repr(m).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n" + "\n".join(lines) + "\n)"

    def __dir__(self):
        return list(super().__dir__()) + list(self._parameters) + list(self._modules) + list(self._buffers)


class Sequential(Module):
    """Modules applied one after another; indexable and iterable (as ``torch.nn.Sequential``).

    Examples
    --------
    >>> from sigconv import nn
    >>> net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    >>> len(net), type(net[1]).__name__
    (3, 'ReLU')
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (OrderedDict, dict)):
            for k, m in modules[0].items():
                self.add_module(k, m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, i):
        mods = list(self._modules.values())
        if isinstance(i, slice):
            return Sequential(*mods[i])
        return mods[i]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self._modules)), module)
        return self


class ModuleList(Module):
    """A list of modules whose parameters the parent registers."""

    def __init__(self, modules=()):
        super().__init__()
        for i, m in enumerate(modules):
            self.add_module(str(i), m)

    def __getitem__(self, i):
        return list(self._modules.values())[i]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self._modules)), module)
        return self


class Identity(Module):
    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


# ---- convolution -----------------------------------------------------------------------------
_MAX_SIZE = np.iinfo(np.int64).max


def _tuple(v, n):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def _positive_int(name, v):
    """`v` as an int from 1 to 2**63 - 1 (a size numpy can index), else ValueError naming `name`."""
    if (isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < 1
            or v > _MAX_SIZE):
        raise ValueError(f"{name} must be a positive integer of at most 2**63 - 1, got {v!r}")
    return int(v)


class _ConvNd(Module):
    """Shared checks, parameters and initialisation of the convolution layers (as torch's _ConvNd)."""

    _nd = 2
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True, padding_mode="zeros", output_padding=0, dtype=None):
        super().__init__()
        nd = self._nd
        for name, v in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
            _positive_int(name, v)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"groups={groups} must divide in_channels={in_channels} and out_channels={out_channels}")
        if padding_mode not in F._PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {F._PADDING_MODES}, got {padding_mode!r}")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"padding must be 'valid', 'same', an int or a tuple, got {padding!r}")
            if padding == "same" and any(s != 1 for s in _tuple(stride, nd)):
                raise ValueError(f"padding='same' is not supported for strided convolutions, got stride={stride}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = F._ntuple(kernel_size, nd, "kernel_size", 1)
        self.stride = _tuple(stride, nd)
        self.padding = padding if isinstance(padding, str) else _tuple(padding, nd)
        self.dilation = _tuple(dilation, nd)
        self.output_padding = _tuple(output_padding, nd)
        self.groups = int(groups)
        self.padding_mode = padding_mode
        dt = np.dtype(dtype or np.float32)
        if self._transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        # kaiming_uniform_(a=sqrt(5)): bound = 1 / sqrt(fan_in), fan_in = weight.size(1) * prod(kernel)
        fan_in = shape[1] * int(np.prod(self.kernel_size))
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        self.weight = Parameter(_uniform(shape, bound, dt))
        self.bias = Parameter(_uniform((out_channels,), bound, dt)) if bias else None
        if not bias:
            self.register_parameter("bias", None)

    def extra_repr(self):
        nd = self._nd
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        opts = [
            ("padding", self.padding, (0,) * nd),
            ("dilation", self.dilation, (1,) * nd),
            ("output_padding", self.output_padding, (0,) * nd),
            ("groups", self.groups, 1),
            ("bias", self.bias is not None, True),
            ("padding_mode", repr(self.padding_mode), "'zeros'"),
        ]
        for k, v, d in opts:
            if v != d:
                s += f", {k}={v}"
        return s


class Conv1d(_ConvNd):
    """1-D convolution layer over ``(N, C_in, L)``, as ``torch.nn.Conv1d``.

    ``L_out = floor((L + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1)``. The weight
    ``(C_out, C_in / groups, K)`` and bias start uniform in ``+-1 / sqrt(C_in / groups * K)``.

    Examples
    --------
    >>> import numpy as np, sigconv
    >>> from sigconv import nn
    >>> nn.Conv1d(1, 4, 9)(sigconv.tensor(np.zeros((2, 1, 100), np.float32))).shape
    (2, 4, 92)
    """

    _nd = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True, padding_mode="zeros", dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode, dtype=dtype)

    def forward(self, x):
        return F.conv1d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups, self.padding_mode,
                        device=self.compute_device)


class Conv2d(_ConvNd):
    """2-D convolution layer over ``(N, C_in, H, W)``, as ``torch.nn.Conv2d``.

    ``H_out = floor((H + 2 * padding[0] - dilation[0] * (kernel_size[0] - 1) - 1) / stride[0] + 1)``.

    Examples
    --------
    >>> import numpy as np, sigconv
    >>> from sigconv import nn
    >>> nn.Conv2d(1, 6, 5)(sigconv.tensor(np.zeros((1, 1, 32, 32), np.float32))).shape
    (1, 6, 28, 28)
    """

    _nd = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True, padding_mode="zeros", dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode, dtype=dtype)

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups, self.padding_mode,
                        device=self.compute_device)


class ConvTranspose1d(_ConvNd):
    """Transposed 1-D convolution layer, as ``torch.nn.ConvTranspose1d``.

    ``L_out = (L - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1``.

    Examples
    --------
    >>> import numpy as np, sigconv
    >>> from sigconv import nn
    >>> nn.ConvTranspose1d(2, 1, 2, stride=2)(sigconv.tensor(np.zeros((1, 2, 5), np.float32))).shape
    (1, 1, 10)
    """

    _nd = 1
    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros", dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f"padding_mode must be 'zeros' for ConvTranspose1d, got {padding_mode!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode, output_padding, dtype=dtype)

    def forward(self, x):
        return F.conv_transpose1d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding, self.groups,
                                  self.dilation, device=self.compute_device)


class ConvTranspose2d(_ConvNd):
    """Transposed 2-D convolution layer, as ``torch.nn.ConvTranspose2d``.

    Examples
    --------
    >>> import numpy as np, sigconv
    >>> from sigconv import nn
    >>> nn.ConvTranspose2d(4, 2, 2, stride=2)(sigconv.tensor(np.zeros((1, 4, 7, 7), np.float32))).shape
    (1, 2, 14, 14)
    """

    _nd = 2
    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros", dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f"padding_mode must be 'zeros' for ConvTranspose2d, got {padding_mode!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode, output_padding, dtype=dtype)

    def forward(self, x):
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding, self.groups,
                                  self.dilation, device=self.compute_device)


# ---- pooling ---------------------------------------------------------------------------------
class _PoolNd(Module):
    _fn = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, x):
        return type(self)._fn(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode, self.return_indices,
                              device=self.compute_device)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, dilation={self.dilation}, ceil_mode={self.ceil_mode}"


class MaxPool1d(_PoolNd):
    """Max pooling layer over ``(N, C, L)``, as ``torch.nn.MaxPool1d``."""

    _fn = staticmethod(F.max_pool1d)


class MaxPool2d(_PoolNd):
    """Max pooling layer over ``(N, C, H, W)``, as ``torch.nn.MaxPool2d``.

    Examples
    --------
    >>> import numpy as np, sigconv
    >>> from sigconv import nn
    >>> nn.MaxPool2d(2)(sigconv.tensor(np.zeros((1, 3, 8, 8), np.float32))).shape
    (1, 3, 4, 4)
    """

    _fn = staticmethod(F.max_pool2d)


class MinPool1d(_PoolNd):
    """Min pooling layer over ``(N, C, L)`` (an extra; arguments as MaxPool1d)."""

    _fn = staticmethod(F.min_pool1d)


class MinPool2d(_PoolNd):
    """Min pooling layer over ``(N, C, H, W)`` (an extra; arguments as MaxPool2d)."""

    _fn = staticmethod(F.min_pool2d)


class _AvgPoolNd(Module):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """Average pooling layer over ``(N, C, L)``, as ``torch.nn.AvgPool1d``."""

    def forward(self, x):
        return F.avg_pool1d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                            device=self.compute_device)


class AvgPool2d(_AvgPoolNd):
    """Average pooling layer over ``(N, C, H, W)``, as ``torch.nn.AvgPool2d``."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                            self.divisor_override, device=self.compute_device)


class _MaxUnpoolNd(Module):
    _fn = None

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding

    def forward(self, x, indices, output_size=None):
        return type(self)._fn(x, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """Inverse of MaxPool1d given its indices, as ``torch.nn.MaxUnpool1d``."""

    _fn = staticmethod(F.max_unpool1d)


class MaxUnpool2d(_MaxUnpoolNd):
    """Inverse of MaxPool2d given its indices, as ``torch.nn.MaxUnpool2d``."""

    _fn = staticmethod(F.max_unpool2d)


class AdaptiveAvgPool1d(Module):
    """Average pooling to a fixed length, as ``torch.nn.AdaptiveAvgPool1d``."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return F.adaptive_avg_pool1d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(AdaptiveAvgPool1d):
    """Average pooling to a fixed size, as ``torch.nn.AdaptiveAvgPool2d``."""

    def forward(self, x):
        return F.adaptive_avg_pool2d(x, self.output_size)


class Upsample(Module):
    """Resampling layer (``'nearest'``, ``'linear'``, ``'bilinear'``, ``'bed_of_nails'``), as
    ``torch.nn.Upsample``.

    Examples
    --------
    >>> import numpy as np, sigconv
    >>> from sigconv import nn
    >>> nn.Upsample(scale_factor=2)(sigconv.tensor(np.zeros((1, 1, 3, 3), np.float32))).shape
    (1, 1, 6, 6)
    """

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None):
        super().__init__()
        if mode not in _pooling.INTERPOLATE_MODES:
            raise ValueError(f"mode must be one of {_pooling.INTERPOLATE_MODES}, got {mode!r}")
        self.size, self.scale_factor, self.mode, self.align_corners = size, scale_factor, mode, align_corners

    def forward(self, x):
        return F.interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners)

    def extra_repr(self):
        what = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        return f"{what}, mode={self.mode!r}"


# ---- dense, shape and regularisation layers --------------------------------------------------
class Linear(Module):
    """``y = x @ weight.T + bias``, as ``torch.nn.Linear``; weight and bias start uniform in
    ``+-1 / sqrt(in_features)``.

    Examples
    --------
    >>> import numpy as np, sigconv
    >>> from sigconv import nn
    >>> nn.Linear(120, 84)(sigconv.tensor(np.zeros((5, 120), np.float32))).shape
    (5, 84)
    """

    def __init__(self, in_features, out_features, bias=True, dtype=None):
        super().__init__()
        for name, v in (("in_features", in_features), ("out_features", out_features)):
            _positive_int(name, v)
        self.in_features, self.out_features = int(in_features), int(out_features)
        dt = np.dtype(dtype or np.float32)
        bound = 1.0 / math.sqrt(in_features)
        self.weight = Parameter(_uniform((out_features, in_features), bound, dt))
        if bias:
            self.bias = Parameter(_uniform((out_features,), bound, dt))
        else:
            self.register_parameter("bias", None)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Flatten(Module):
    """Merge axes ``start_dim..end_dim`` (default: all but the batch axis), as ``torch.nn.Flatten``."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return F.flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Zero elements with probability ``p`` in training mode, as ``torch.nn.Dropout``."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must lie in [0, 1], got {p!r}")
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"


class _BatchNorm(Module):
    _dims = (2, 3)

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, dtype=None):
        super().__init__()
        self.num_features = _positive_int("num_features", num_features)
        self.eps = F._real("eps", eps, 0.0)
        self.momentum = None if momentum is None else F._real("momentum", momentum)
        self.affine, self.track_running_stats = affine, track_running_stats
        dt = np.dtype(dtype or np.float32)
        if affine:
            self.weight = Parameter(np.ones(num_features, dt))
            self.bias = Parameter(np.zeros(num_features, dt))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dt)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dt)))
            self.register_buffer("num_batches_tracked", Tensor(np.zeros((), np.int64)))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def forward(self, x):
        nd = x.ndim if hasattr(x, "ndim") else np.ndim(x)
        if nd not in self._dims:
            raise ValueError(f"{type(self).__name__} expects input with {' or '.join(map(str, self._dims))} dimensions, got {nd}")
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked._data = self.num_batches_tracked._data + 1
            if momentum is None:
                momentum = 1.0 / float(self.num_batches_tracked._data)
        use_batch = self.training or not self.track_running_stats
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, use_batch, momentum, self.eps)

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over ``(N, C)`` or ``(N, C, L)``, as ``torch.nn.BatchNorm1d``."""

    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over ``(N, C, H, W)``, as ``torch.nn.BatchNorm2d``.

    Examples
    --------
    >>> import numpy as np, sigconv
    >>> from sigconv import nn
    >>> bn = nn.BatchNorm2d(3)
    >>> y = bn(sigconv.tensor(np.random.default_rng(0).normal(2, 3, (4, 3, 5, 5)).astype(np.float32)))
    >>> abs(float(y.mean())) < 1e-5
    True
    """

    _dims = (4,)


class Embedding(Module):
    """Lookup table of ``num_embeddings`` vectors, initialised N(0, 1), as ``torch.nn.Embedding``."""

    def __init__(self, num_embeddings, embedding_dim, dtype=None):
        super().__init__()
        self.num_embeddings = _positive_int("num_embeddings", num_embeddings)
        self.embedding_dim = _positive_int("embedding_dim", embedding_dim)
        dt = np.dtype(dtype or np.float32)
        self.weight = Parameter(_ag.default_generator().standard_normal((num_embeddings, embedding_dim)).astype(dt))

    def forward(self, x):
        return F.embedding(x, self.weight)

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}"


# ---- activations -----------------------------------------------------------------------------
class ReLU(Module):
    """``max(x, 0)``."""

    def __init__(self, inplace=False):
        super().__init__()

    def forward(self, x):
        return F.relu(x)


class LeakyReLU(Module):
    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)


class Sigmoid(Module):
    """``1 / (1 + exp(-x))``."""

    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    """Hyperbolic tangent."""

    def forward(self, x):
        return F.tanh(x)


class Softmax(Module):
    """Softmax along ``dim``."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.softmax(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    def forward(self, x):
        return F.log_softmax(x, self.dim)


# ---- losses ----------------------------------------------------------------------------------
class CrossEntropyLoss(Module):
    """Cross-entropy of logits against class indices or probabilities, as ``torch.nn.CrossEntropyLoss``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import nn
    >>> loss = nn.CrossEntropyLoss()
    >>> round(float(loss(np.zeros((2, 4)), np.array([0, 3]))), 4)  # log(4)
    1.3863
    """

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__()
        F._check_reduction(reduction)
        self.weight = None if weight is None else np.asarray(weight._data if isinstance(weight, Tensor) else weight)
        self.ignore_index, self.reduction, self.label_smoothing = ignore_index, reduction, label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction, self.label_smoothing)


class NLLLoss(Module):
    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__()
        self.weight, self.ignore_index, self.reduction = weight, ignore_index, reduction

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class MSELoss(Module):
    """Mean squared error, as ``torch.nn.MSELoss``."""

    def __init__(self, reduction="mean"):
        super().__init__()
        F._check_reduction(reduction)
        self.reduction = reduction

    def forward(self, input, target):
        return F.mse_loss(input, target, self.reduction)

