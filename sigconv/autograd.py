"""Tensors with reverse-mode automatic differentiation, torch-style.

A :class:`Tensor` wraps an array and, when it takes part in an operation on a tensor that requires
gradients, remembers its parents and a ``backward`` closure that maps the gradient of the result onto
the gradients of the parents (micrograd's layout: each op's backward sits right under its forward).
:meth:`Tensor.backward` sorts the graph topologically and replays the closures once each, summing the
gradients of a tensor used several times (residual and skip connections), and accumulates the result
into ``.grad`` of the leaves.

Storage: every op reads its operands' arrays through ``Tensor._data`` and wraps its result with
``_result``; nothing else touches storage. ``_data`` is a numpy array (``device == 'cpu'``) or,
after ``Tensor.to('gpu')``, a :class:`sigconv._gpu_array.GpuArray` (``device == 'gpu'``): it offers
the numpy operations the ops use, each a GPU kernel, so an op's code serves both; an op with no GPU
kernel raises TypeError on a GPU tensor instead of copying it to host memory.
"""

from __future__ import annotations

import numbers

import numpy as np

from sigconv._gpu_array import GpuArray

__all__ = [
    "Tensor",
    "tensor",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "cat",
    "stack",
    "zeros",
    "ones",
    "randn",
    "arange",
    "float32",
    "float64",
    "int64",
    "manual_seed",
    "as_tensor",
]

float32 = np.float32
float64 = np.float64
int64 = np.int64

_grad_enabled = True


def is_grad_enabled():
    """Whether operations are being recorded for differentiation."""
    return _grad_enabled


class no_grad:
    """Context manager (and decorator) in which operations are not recorded.

    Examples
    --------
    >>> import sigconv
    >>> w = sigconv.tensor([1.0, 2.0], requires_grad=True)
    >>> with sigconv.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """

    _mode = False

    def __enter__(self):
        global _grad_enabled
        self._prev = _grad_enabled
        _grad_enabled = self._mode

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self._prev
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class enable_grad(no_grad):
    """Context manager that turns recording back on inside :class:`no_grad`."""

    _mode = True


def _default_array(data, dtype=None):
    """The array a new tensor holds: numpy arrays keep their dtype, Python floats become float32."""
    if isinstance(data, Tensor):
        data = data._data
    if isinstance(data, GpuArray):
        return data.astype(data.dtype if dtype is None else dtype)  # a copy, on the device
    if dtype is not None:
        return np.array(data, dtype=np.dtype(dtype))
    if isinstance(data, np.ndarray):
        return np.array(data)
    arr = np.array(data)
    if arr.dtype.kind == "f":
        arr = arr.astype(np.float32)
    elif arr.dtype.kind in "iu":
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "bc":
        raise TypeError(f"tensor: data must be numeric, got dtype {arr.dtype}")
    return arr


def _as_array(out, dtype=None):
    """A reduction's result as an array on the device of the operand (numpy returns scalars)."""
    if isinstance(out, GpuArray):
        return out
    return np.asarray(out, dtype=dtype)


def _unbroadcast(g, shape):
    """Sum ``g`` over the axes that broadcasting added or stretched, back to ``shape``."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    if lead > 0:
        g = g.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def _result(data, parents, backward):
    """Wrap an op's output; record the graph edge only when a parent needs gradients."""
    out = Tensor.__new__(Tensor)
    out._data = data
    out.grad = None
    if _grad_enabled:
        for p in parents:
            if p.requires_grad:
                out.requires_grad = True
                out._parents = parents
                out._backward = backward
                return out
    out.requires_grad = False
    out._parents = ()
    out._backward = None
    return out


def _wrap(data):
    """A tensor around ``data`` (no copy) that requires no gradient."""
    out = Tensor.__new__(Tensor)
    out._data = data
    out.grad = None
    out.requires_grad = False
    out._parents = ()
    out._backward = None
    return out


def _lift(other, like):
    """``other`` as a tensor for a binary op with ``like``: Python scalars take ``like``'s dtype."""
    if isinstance(other, Tensor):
        return other
    if isinstance(other, numbers.Number) and not isinstance(other, bool):
        kind = like._data.dtype.kind
        if kind == "f" or (kind in "iu" and isinstance(other, numbers.Integral)):
            return _wrap(np.asarray(other, dtype=like._data.dtype))
        return _wrap(np.asarray(other, dtype=np.float32))
    arr = np.asarray(other)
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"a Tensor operand must be a number, a Tensor or a real numeric array; got "
            f"{type(other).__name__} {other!r:.60}"
        )
    return _wrap(arr)


def _axes(dim, ndim):
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        return tuple(d % ndim for d in dim)
    return dim % ndim if ndim else dim


def _is_basic_index(idx):
    items = idx if isinstance(idx, tuple) else (idx,)
    for it in items:
        if not (it is None or it is Ellipsis or isinstance(it, (slice, numbers.Integral))):
            return False
        if isinstance(it, (bool, np.bool_)):
            return False
    return True


class Tensor:
    """An n-dimensional array that records operations for reverse-mode differentiation.

    Create one with :func:`tensor`. Arithmetic (``+ - * / ** @``, with numpy broadcasting), reductions,
    shape changes and indexing return new tensors; when any operand has ``requires_grad=True`` the
    result remembers how to send gradients back, and :meth:`backward` fills ``.grad`` of the leaves.

    Examples
    --------
    >>> import sigconv
    >>> x = sigconv.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad.numpy()
    array([[2., 4.],
           [6., 8.]], dtype=float32)
    """

    __slots__ = ("_data", "requires_grad", "grad", "_parents", "_backward", "__weakref__")
    __array_priority__ = 1000  # numpy defers to the reflected operators below
    __hash__ = object.__hash__

    def __init__(self, data, requires_grad=False, dtype=None):
        self._data = _default_array(data, dtype)
        self.grad = None
        self._parents = ()
        self._backward = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # ---- storage and metadata ---------------------------------------------------------------
    def numpy(self):
        """The values as a numpy array: shares memory as torch's ``Tensor.numpy`` for a tensor in
        host memory; a GPU tensor's values are copied back (waiting for the device)."""
        if isinstance(self._data, GpuArray):
            return self._data.numpy()
        return self._data

    def __array__(self, dtype=None, copy=None):
        a = self._data
        if isinstance(a, GpuArray):
            a.__array__()  # raises: a GPU tensor is not copied to host memory implicitly
        return a if dtype is None else a.astype(dtype)

    @property
    def data(self):
        """The same values as a tensor outside the graph (``x.data``, as torch)."""
        return _wrap(self._data)

    @data.setter
    def data(self, value):
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    @property
    def shape(self):
        return self._data.shape

    def size(self, dim=None):
        return self._data.shape if dim is None else self._data.shape[dim]

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def device(self):
        """``'gpu'`` for a GPU-resident tensor, else ``'cpu'``."""
        return "gpu" if isinstance(self._data, GpuArray) else "cpu"

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    def numel(self):
        return int(self._data.size)

    @property
    def is_leaf(self):
        return not self._parents

    def __len__(self):
        return len(self._data)

    def __repr__(self):
        body = np.array2string(self.numpy(), separator=", ", prefix="tensor(")
        extra = ", requires_grad=True" if self.requires_grad else ""
        if self._data.dtype != np.float32:
            extra = f", dtype={self._data.dtype}" + extra
        if self.device != "cpu":
            extra = f", device='{self.device}'" + extra
        return f"tensor({body}{extra})"

    def item(self):
        """The single value as a Python number."""
        if self._data.size != 1:
            raise ValueError(f"item: only a one-element tensor converts to a number, got shape {self.shape}")
        return self._data.reshape(()).item()

    def tolist(self):
        return self.numpy().tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise ValueError("the truth value of a tensor with more than one element is ambiguous")
        return bool(self._data.reshape(()))

    def detach(self):
        """The same values (shared) outside the graph."""
        return _wrap(self._data)

    def clone(self):
        data = self._data.copy()
        return _result(data, (self,), lambda g: (g,))

    def requires_grad_(self, requires_grad=True):
        """Set whether gradients are tracked for this leaf tensor; returns it."""
        if requires_grad and self._data.dtype.kind not in "fc":
            raise TypeError(f"requires_grad_: only floating tensors can require gradients, got {self.dtype}")
        if not requires_grad and self._parents:
            raise ValueError("requires_grad_: a non-leaf tensor cannot stop requiring gradients; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def to(self, target=None, dtype=None):
        """Convert the dtype (``x.to(np.float64)``) or move to a device: ``'gpu'`` (``'cuda'``)
        copies the values into GPU memory, where the ops that have GPU kernels keep them;
        ``'cpu'`` copies them back (``'auto'`` leaves a tensor where it is). Differentiable, as
        torch's: the gradient travels back to the source's device. Raises GpuUnavailableError
        where no GPU adapter answers."""
        out = self
        if isinstance(target, str):
            dev = _check_device(target)
            if dev == "gpu" and out.device != "gpu":
                out = _result(GpuArray.from_numpy(out._data), (out,), lambda g: (g.numpy(),))
            elif dev == "cpu" and out.device != "cpu":
                out = _result(out._data.numpy(), (out,), lambda g: (GpuArray.from_numpy(g),))
        elif target is not None:
            dtype = target
        if dtype is None or np.dtype(dtype) == out.dtype:
            return out
        return out.type(dtype)

    def cpu(self):
        return self.to("cpu")

    def type(self, dtype):
        dt = np.dtype(dtype)
        src = self.dtype
        return _result(self._data.astype(dt), (self,), lambda g: (g.astype(src),))

    def float(self):
        return self.type(np.float32)

    def double(self):
        return self.type(np.float64)

    def long(self):
        return _wrap(self._data.astype(np.int64))

    def zero_(self):
        self._data[...] = 0
        return self

    def fill_(self, value):
        """Every element set to the number ``value``, in place (as torch's)."""
        if isinstance(value, Tensor):
            if value._data.size != 1:
                raise ValueError(f"fill_ takes a number or a one-element tensor; got shape {value.shape}")
            value = value.item()
        if not isinstance(value, (numbers.Number, np.number, np.bool_)):
            raise TypeError(f"fill_: value must be a number; got {type(value).__name__}")
        self._data[...] = value
        return self

    def copy_(self, src):
        """The values of ``src`` (a tensor or array that broadcasts to this shape), in place."""
        data = src._data if isinstance(src, Tensor) else src
        numeric = isinstance(data, GpuArray) or (data is not None and not isinstance(data, str)
                                                 and np.asarray(data).dtype.kind in "biuf")
        if not numeric:
            raise TypeError(f"copy_: src must be a tensor or a numeric array; got {type(src).__name__}")
        self._data[...] = data
        return self

    # ---- the engine -------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires gradients.

        ``gradient`` is the gradient of some scalar with respect to ``self`` (needed unless ``self``
        has one element). The graph is freed afterwards unless ``retain_graph``.
        """
        if not self.requires_grad:
            raise RuntimeError("backward: this tensor does not require grad and has no grad_fn")
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(f"backward: grad can be implicitly created only for scalar outputs, got shape {self.shape}")
            g = np.ones_like(self._data)
        else:
            g = gradient._data if isinstance(gradient, Tensor) else np.asarray(gradient, dtype=self.dtype)
            if g.shape != self.shape:
                raise ValueError(f"backward: gradient has shape {g.shape}, expected {self.shape}")
        # Topological order by an iterative depth-first search (deep graphs need no recursion).
        order = []
        seen = {id(self)}
        stack = [(self, iter(self._parents))]
        while stack:
            node, it = stack[-1]
            for p in it:
                if p._parents and id(p) not in seen:
                    seen.add(id(p))
                    stack.append((p, iter(p._parents)))
                    break
            else:
                stack.pop()
                order.append(node)
        grads = {id(self): g}
        for node in reversed(order):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            pgrads = node._backward(g)
            for p, pg in zip(node._parents, pgrads):
                if pg is None or not p.requires_grad:
                    continue
                if p._parents:
                    k = id(p)
                    prev = grads.get(k)
                    grads[k] = pg if prev is None else prev + pg
                else:
                    _accumulate(p, pg)
            if not retain_graph:
                node._parents = ()
                node._backward = None

    # ---- arithmetic -------------------------------------------------------------------------
    def __add__(self, other):
        other = _lift(other, self)
        a, b = self._data, other._data
        sa, sb = a.shape, b.shape
        return _result(a + b, (self, other), lambda g: (_unbroadcast(g, sa), _unbroadcast(g, sb)))

    def __radd__(self, other):
        return _lift(other, self).__add__(self)

    def __sub__(self, other):
        other = _lift(other, self)
        a, b = self._data, other._data
        sa, sb = a.shape, b.shape
        return _result(a - b, (self, other), lambda g: (_unbroadcast(g, sa), _unbroadcast(-g, sb)))

    def __rsub__(self, other):
        return _lift(other, self).__sub__(self)

    def __mul__(self, other):
        other = _lift(other, self)
        a, b = self._data, other._data

        def backward(g):
            ga = _unbroadcast(g * b, a.shape) if self.requires_grad else None
            gb = _unbroadcast(g * a, b.shape) if other.requires_grad else None
            return ga, gb

        return _result(a * b, (self, other), backward)

    def __rmul__(self, other):
        return _lift(other, self).__mul__(self)

    def __truediv__(self, other):
        other = _lift(other, self)
        a, b = self._data, other._data
        out = a / b

        def backward(g):
            ga = _unbroadcast(g / b, a.shape) if self.requires_grad else None
            gb = _unbroadcast(-g * out / b, b.shape) if other.requires_grad else None
            return ga, gb

        return _result(out, (self, other), backward)

    def __rtruediv__(self, other):
        return _lift(other, self).__truediv__(self)

    def __pow__(self, other):
        other = _lift(other, self)
        a, b = self._data, other._data
        out = a**b

        def backward(g):
            ga = _unbroadcast(g * b * a ** (b - 1), a.shape) if self.requires_grad else None
            gb = None
            if other.requires_grad:
                gb = _unbroadcast(g * out * np.log(np.where(a > 0, a, 1)), b.shape)
            return ga, gb

        return _result(out, (self, other), backward)

    def __rpow__(self, other):
        return _lift(other, self).__pow__(self)

    def __neg__(self):
        return _result(-self._data, (self,), lambda g: (-g,))

    def __pos__(self):
        return self

    def __matmul__(self, other):
        return matmul(self, _lift(other, self))

    def __rmatmul__(self, other):
        return matmul(_lift(other, self), self)

    # comparisons: no gradient, boolean results
    def _cmp(self, other, op):
        other = other._data if isinstance(other, Tensor) else other
        return _wrap(op(self._data, other))

    def __lt__(self, o):
        return self._cmp(o, np.less)

    def __le__(self, o):
        return self._cmp(o, np.less_equal)

    def __gt__(self, o):
        return self._cmp(o, np.greater)

    def __ge__(self, o):
        return self._cmp(o, np.greater_equal)

    def __eq__(self, o):
        return self._cmp(o, np.equal)

    def __ne__(self, o):
        return self._cmp(o, np.not_equal)

    # ---- elementwise functions --------------------------------------------------------------
    def exp(self):
        out = np.exp(self._data)
        return _result(out, (self,), lambda g: (g * out,))

    def log(self):
        a = self._data
        return _result(np.log(a), (self,), lambda g: (g / a,))

    def sqrt(self):
        out = np.sqrt(self._data)
        return _result(out, (self,), lambda g: (g / (2 * out),))

    def abs(self):
        a = self._data
        return _result(np.abs(a), (self,), lambda g: (g * np.sign(a),))

    def clamp(self, min=None, max=None):
        a = self._data
        out = np.clip(a, min, max)

        def backward(g):
            keep = None  # where the input lies within the bounds (a GPU mask holds 1 or 0)
            if min is not None:
                keep = a >= min
            if max is not None:
                keep = (a <= max) if keep is None else keep & (a <= max)
            return (g if keep is None else g * keep,)

        return _result(out, (self,), backward)

    clip = clamp

    def relu(self):
        a = self._data
        out = np.maximum(a, 0)
        return _result(out, (self,), lambda g: (g * (out > 0),))

    def sigmoid(self):
        a = self._data
        if isinstance(a, GpuArray):  # no logaddexp kernel: 1 / (1 + exp(-a)), which saturates cleanly
            out = 1 / (1 + np.exp(-a))
        else:
            out = np.exp(-np.logaddexp(0, -a)).astype(a.dtype, copy=False)
        return _result(out, (self,), lambda g: (g * out * (1 - out),))

    def tanh(self):
        out = np.tanh(self._data)
        return _result(out, (self,), lambda g: (g * (1 - out * out),))

    # ---- reductions -------------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False):
        a = self._data
        ax = _axes(dim, a.ndim)
        out = np.sum(a, axis=ax, keepdims=keepdim)
        shape = a.shape

        def backward(g):
            if not keepdim and ax is not None:
                g = np.expand_dims(g, ax)
            return (np.broadcast_to(g, shape),)

        return _result(_as_array(out), (self,), backward)

    def mean(self, dim=None, keepdim=False):
        a = self._data
        ax = _axes(dim, a.ndim)
        out = np.mean(a, axis=ax, keepdims=keepdim)
        shape = a.shape
        count = a.size // max(np.size(out), 1) if a.size else 1

        def backward(g):
            if not keepdim and ax is not None:
                g = np.expand_dims(g, ax)
            return (np.broadcast_to(g / count, shape),)

        return _result(_as_array(out, a.dtype), (self,), backward)

    def var(self, dim=None, keepdim=False, unbiased=True):
        m = self.mean(dim, keepdim=True)
        d = self - m
        n = self._data.size // max(m._data.size, 1)
        return (d * d).sum(dim, keepdim=keepdim) / max(n - (1 if unbiased else 0), 1)

    def _extreme(self, dim, keepdim, argfn):
        """The largest (``argfn`` argmax) or smallest value over all or along ``dim``; with
        ``dim``, and its indices. One gather at the indices and, backward, one write back there,
        on the device the tensor is on."""
        a = self._data
        src = a.reshape(-1) if dim is None else a
        d = 0 if dim is None else dim % a.ndim
        idx = np.expand_dims(argfn(src, axis=d), d)
        vals = np.take_along_axis(src, idx, axis=d)

        def backward(g):
            z = np.zeros_like(src, dtype=g.dtype)
            np.put_along_axis(z, idx, g.reshape(idx.shape), axis=d)
            return (z.reshape(a.shape),)

        if dim is None:
            return _result(vals.reshape(()), (self,), backward)
        ind = idx
        if not keepdim:
            vals, ind = vals.squeeze(d), idx.squeeze(d)
        return _result(vals, (self,), backward), _wrap(ind.astype(np.int64))

    def max(self, dim=None, keepdim=False):
        """The largest value; with ``dim``, the pair ``(values, indices)`` along it (as torch)."""
        return self._extreme(dim, keepdim, np.argmax)

    def min(self, dim=None, keepdim=False):
        """The smallest value; with ``dim``, the pair ``(values, indices)`` along it (as torch)."""
        return self._extreme(dim, keepdim, np.argmin)

    def argmax(self, dim=None, keepdim=False):
        """The index (int64) of the largest element, over all or along ``dim`` (as torch; on
        the device the tensor is on)."""
        if isinstance(self._data, GpuArray):
            return _wrap(self._data.argmax(dim, keepdim))
        if dim is None:
            return _wrap(np.asarray(np.argmax(self._data), dtype=np.int64))
        return _wrap(np.argmax(self._data, axis=dim, keepdims=keepdim).astype(np.int64))

    def argmin(self, dim=None, keepdim=False):
        """The index (int64) of the smallest element, as :meth:`argmax`."""
        if isinstance(self._data, GpuArray):
            return _wrap(self._data.argmin(dim, keepdim))
        if dim is None:
            return _wrap(np.asarray(np.argmin(self._data), dtype=np.int64))
        return _wrap(np.argmin(self._data, axis=dim, keepdims=keepdim).astype(np.int64))

    # ---- shapes -----------------------------------------------------------------------------
    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        a = self._data
        src = a.shape
        return _result(a.reshape(shape), (self,), lambda g: (g.reshape(src),))

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        shape = self._data.shape
        if not shape:
            return self.reshape(1)
        s, e = start_dim % len(shape), end_dim % len(shape)
        return self.reshape(shape[:s] + (-1,) + shape[e + 1 :])

    def squeeze(self, dim=None):
        a = self._data
        if dim is None:
            new = tuple(s for s in a.shape if s != 1)
        else:
            d = dim % a.ndim
            new = a.shape[:d] + a.shape[d + 1 :] if a.shape[d] == 1 else a.shape
        return self.reshape(new)

    def unsqueeze(self, dim):
        a = self._data
        d = dim % (a.ndim + 1)
        return self.reshape(a.shape[:d] + (1,) + a.shape[d:])

    def permute(self, *dims):
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        dims = tuple(d % self._data.ndim for d in dims)
        inv = tuple(np.argsort(dims))
        return _result(self._data.transpose(dims), (self,), lambda g: (g.transpose(inv),))

    def transpose(self, dim0=-2, dim1=-1):
        dims = list(range(self._data.ndim))
        dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
        return self.permute(dims)

    @property
    def T(self):
        return self.permute(tuple(reversed(range(self._data.ndim))))

    def expand(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        a = self._data
        lead = len(shape) - a.ndim
        full = tuple(a.shape[i - lead] if s == -1 else s for i, s in enumerate(shape))
        src = a.shape
        return _result(np.broadcast_to(a, full), (self,), lambda g: (_unbroadcast(g, src),))

    def contiguous(self):
        return self

    def __getitem__(self, idx):
        if isinstance(idx, Tensor):
            idx = idx._data
        elif isinstance(idx, tuple):
            idx = tuple(i._data if isinstance(i, Tensor) else i for i in idx)
        a = self._data
        out = a[idx]
        basic = _is_basic_index(idx)

        def backward(g):
            z = np.zeros_like(a, dtype=g.dtype)
            if basic:
                z[idx] = g
            else:
                np.add.at(z, idx, g)
            return (z,)

        return _result(_as_array(out, a.dtype), (self,), backward)

    def __setitem__(self, idx, value):
        # In-place writes are not recorded: allowed under no_grad() or on tensors without gradients.
        if self.requires_grad and _grad_enabled:
            raise RuntimeError("a tensor that requires grad cannot be modified in place outside no_grad()")
        self._data[idx] = value._data if isinstance(value, Tensor) else value


def _accumulate(leaf, g):
    if g.dtype != leaf._data.dtype:
        g = g.astype(leaf._data.dtype)
    if leaf.grad is None:
        leaf.grad = _wrap(g.copy() if isinstance(g, GpuArray) else np.array(g, copy=True))
    else:
        leaf.grad._data = leaf.grad._data + g


def _check_device(device):
    """Where ``Tensor.to(device)`` puts a tensor: ``'cpu'``, ``'gpu'`` (``'cuda'``; checked:
    GpuUnavailableError where no adapter answers) or None for ``'auto'`` (where it is)."""
    dev = str(device)
    if dev == "cuda":
        dev = "gpu"
    if dev not in ("cpu", "gpu", "auto"):
        raise ValueError(f"device must be 'cpu', 'gpu' or 'auto', got {device!r}")
    if dev == "gpu":
        from sigconv import _core

        _core.check_device("gpu")
    return None if dev == "auto" else dev


def _compute_device(device):
    """Where a module's kernels run (``Module.to``): ``'cpu'``, ``'gpu'`` (checked: raises
    GpuUnavailableError where no adapter answers) or ``'auto'``."""
    dev = str(device)
    if dev == "cuda":
        dev = "gpu"
    if dev not in ("cpu", "gpu", "auto"):
        raise ValueError(f"device must be 'cpu', 'gpu' or 'auto', got {device!r}")
    from sigconv import _core

    return _core.check_device(dev)


def tensor(data, requires_grad=False, dtype=None):
    """A new tensor holding a copy of ``data``.

    Python floats become float32 and Python ints int64 (as torch); numpy arrays keep their dtype.

    Examples
    --------
    >>> import sigconv
    >>> sigconv.tensor([1.0, 2.0]).dtype
    dtype('float32')
    """
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def zeros(*shape, dtype=np.float32, requires_grad=False):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return Tensor(np.zeros(shape, dtype=dtype), requires_grad=requires_grad)


def ones(*shape, dtype=np.float32, requires_grad=False):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return Tensor(np.ones(shape, dtype=dtype), requires_grad=requires_grad)


def randn(*shape, dtype=np.float32, requires_grad=False, seed=None):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    rng = np.random.default_rng(seed)
    return Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=requires_grad)


def arange(*args, dtype=None):
    return Tensor(np.arange(*args), dtype=dtype)


def as_tensor(x):
    """``x`` itself if a tensor, else a tensor around ``np.asarray(x)`` (no copy, no gradient)."""
    return x if isinstance(x, Tensor) else _wrap(np.asarray(x))


def cat(tensors, dim=0):
    """Join tensors along an existing axis (as ``torch.cat``)."""
    ts = [as_tensor(t) for t in tensors]
    arrays = [t._data for t in ts]
    ax = dim % arrays[0].ndim
    splits = np.cumsum([a.shape[ax] for a in arrays])[:-1]
    out = np.concatenate(arrays, axis=ax)
    return _result(out, tuple(ts), lambda g: tuple(np.split(g, splits, axis=ax)))


def stack(tensors, dim=0):
    """Join tensors along a new axis (as ``torch.stack``)."""
    ts = [as_tensor(t) for t in tensors]
    out = np.stack([t._data for t in ts], axis=dim)
    ax = dim % out.ndim
    n = len(ts)
    return _result(out, tuple(ts), lambda g: tuple(np.take(g, i, axis=ax) for i in range(n)))


def matmul(a, b):
    """Matrix product with numpy's broadcasting rules for batch axes (as ``torch.matmul``)."""
    from sigconv.nn import _conv

    x, y = a._data, b._data
    if x.dtype.kind != "f" or y.dtype.kind != "f":
        raise TypeError(f"matmul: floating tensors expected, got {x.dtype} and {y.dtype}")
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError("matmul: both operands need at least one dimension")
    if x.dtype != y.dtype:
        dt = np.result_type(x, y)
        x, y = x.astype(dt), y.astype(dt)
    xv = x.reshape((1,) + x.shape) if x.ndim == 1 else x
    yv = y.reshape(y.shape + (1,)) if y.ndim == 1 else y
    batch = np.broadcast_shapes(xv.shape[:-2], yv.shape[:-2])
    m, k = xv.shape[-2:]
    k2, n = yv.shape[-2:]
    if k != k2:
        raise ValueError(f"matmul: inner dimensions differ: {x.shape} @ {y.shape}")
    del batch  # checked above: the shapes broadcast

    def mm(p, q):
        """Batched product of (B|1, m, k) and (B|1, k, n) stacks through the Rust GEMM."""
        if p.ndim == 2 and q.ndim == 2:
            return _conv.matmul(_contiguous(p), _contiguous(q))
        bshape = np.broadcast_shapes(p.shape[:-2], q.shape[:-2])
        p3 = _contiguous(np.broadcast_to(p, bshape + p.shape[-2:])).reshape((-1,) + p.shape[-2:])
        q3 = _contiguous(np.broadcast_to(q, bshape + q.shape[-2:])).reshape((-1,) + q.shape[-2:])
        return _conv.matmul(p3, q3).reshape(bshape + (p.shape[-2], q.shape[-1]))

    if xv.ndim > 2 and yv.ndim == 2:
        # (..., m, k) @ (k, n): one tall GEMM
        out = mm(xv.reshape(-1, k), yv).reshape(xv.shape[:-1] + (n,))
    else:
        out = mm(xv, yv)
    final = out
    if x.ndim == 1:
        final = final.reshape(final.shape[:-2] + final.shape[-1:])
    if y.ndim == 1:
        final = final.reshape(final.shape[:-1])

    full = out.shape  # the product's shape before 1-D operands' axes were dropped

    def backward(g):
        gv = g.reshape(full)
        ga = gb = None
        if a.requires_grad:
            yt = np.swapaxes(yv, -1, -2)
            if gv.ndim > 2 and yv.ndim == 2:
                ga = mm(gv.reshape(-1, n), yt).reshape(gv.shape[:-1] + (k,))
            else:
                ga = mm(gv, yt)
            ga = _unbroadcast(ga, xv.shape).reshape(x.shape)
        if b.requires_grad:
            xt = np.swapaxes(xv, -1, -2)
            if gv.ndim > 2 and yv.ndim == 2:
                gb = mm(xv.reshape(-1, k).T, gv.reshape(-1, n))
            else:
                gb = mm(xt, gv)
            gb = _unbroadcast(gb, yv.shape).reshape(y.shape)
        return ga, gb

    return _result(_contiguous(final), (a, b), backward)


def _contiguous(a):
    """``a`` C-contiguous, of its own shape (np.ascontiguousarray makes a 0-d array 1-d); GPU arrays
    always are contiguous (their operations return new ones)."""
    if isinstance(a, GpuArray):
        return a
    return np.ascontiguousarray(a) if np.ndim(a) else np.array(a)


_rng = np.random.default_rng(0)


def manual_seed(seed):
    """Seed the generator that layer initialisation and dropout draw from (as ``torch.manual_seed``)."""
    global _rng
    _rng = np.random.default_rng(seed)
    return _rng


def default_generator():
    """The numpy Generator behind initialisation and dropout (see :func:`manual_seed`)."""
    return _rng
