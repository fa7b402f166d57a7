"""GPU-resident arrays: the storage of tensors on the GPU (``Tensor.to('gpu')``, ``Module.to('gpu')``).

A :class:`GpuArray` is a shape and a dtype over a flat buffer in device memory
(``sigconv._core.DeviceArray``). It offers the part of numpy's surface that the autograd ops,
layers and optimisers use, so that their code runs unchanged on either storage: ``shape``,
``dtype``, ``reshape``, ``+ - * / **`` (a number as exponent) and comparisons with numpy's
broadcasting, ``np.maximum``/``np.minimum`` and the other ufuncs of :data:`_UFUNCS` and
:data:`_UNARY`, ``sum``/``mean``/``max`` over any axes, ``argmax``/``argmin``, basic indexing and
assignment (integers, slices, ``None``, ``...``: strided copies on the device), ``transpose``,
``np.broadcast_to``, ``np.where`` (operands of one shape or one element), ``np.clip``,
``np.concatenate``/``np.split``/``np.stack``, ``np.take_along_axis``/``np.put_along_axis`` (one
index per line), one integer index array among slices (``a[i]``, ``a[:, i]``, ``np.take``, and
``np.add.at`` for its gradient), a boolean mask (``a[a > 0]``, ``a[mask] = 0``), ``copy`` and
``astype``. Every operation runs a GPU kernel and
returns a new GPU array; nothing is copied to host memory except by :meth:`numpy` (and ``item``).
Anything else raises ``TypeError`` saying which operation has no GPU kernel and that ``.to('cpu')``
moves the tensor back: there is no silent fallback to the CPU.

Comparisons give 1 or 0 in the operands' dtype (not bool): multiplying by such a mask gives
what multiplying by a bool array gives. Integer arrays (class targets, pooling indices) are
stored as int32 and read back as the dtype they were uploaded with (int64 by default); they take
``+ - *``, the comparisons, ``sum`` (all in int32: results beyond 2**31 wrap) and ``astype`` to
a float dtype, so that ``(logits.argmax(1) == y).sum()`` stays on the device."""

from __future__ import annotations

import math
import numbers

import numpy as np

from sigconv import _core

__all__ = ["GpuArray", "add_at_axis", "add_rows_at", "is_gpu", "no_kernel", "put_rows", "synchronize",
           "take_axis", "take_rows"]

#: numpy ufuncs with a GPU kernel (``sigconv._core.dev_binary``'s op names).
_UFUNCS = frozenset({
    "add", "subtract", "multiply", "divide", "true_divide", "maximum", "minimum", "greater",
    "greater_equal", "less", "less_equal", "equal", "not_equal",
})  # fmt: skip

#: numpy ufuncs of one operand with a GPU kernel (``sigconv._core.dev_unary``; exp, log and tanh
#: in float32 only).
_UNARY = frozenset({"sqrt", "exp", "log", "tanh", "absolute", "sign", "floor", "ceil", "trunc", "rint"})

#: The operators' ufunc names.
_OPERATORS = {
    "__add__": "add", "__sub__": "subtract", "__mul__": "multiply", "__truediv__": "true_divide",
    "__gt__": "greater", "__ge__": "greater_equal", "__lt__": "less", "__le__": "less_equal",
    "__eq__": "equal", "__ne__": "not_equal",
}  # fmt: skip


def synchronize():
    """Waits until the GPU has finished all submitted work (for timing)."""
    _core.dev_synchronize()


def is_gpu(a):
    """Whether ``a`` is a GPU-resident array."""
    return isinstance(a, GpuArray)


def no_kernel(what):
    """The error for an operation on GPU tensors that has no GPU kernel."""
    return TypeError(
        f"{what} has no GPU kernel yet: it cannot run on GPU-resident tensors; move them to "
        "host memory with .to('cpu') first (sigconv never falls back to the CPU silently)"
    )


def _size(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _scalar(v):
    """``v`` as a Python float when it is a number (a numpy scalar or a 0-d / one-element host
    array counts, as torch lets 0-dim CPU tensors mix with GPU ones), else None."""
    if isinstance(v, (numbers.Real, np.number, np.bool_)) and not isinstance(v, np.ndarray):
        return float(v)
    if isinstance(v, np.ndarray) and v.size == 1 and v.ndim == 0:
        return float(v)
    return None


class GpuArray:
    """An array in GPU memory with a numpy-like surface (see the module docstring)."""

    __slots__ = ("_h", "shape", "dtype")
    __array_priority__ = 2000  # numpy's operators defer to ours

    def __init__(self, handle, shape, dtype):
        self._h = handle
        self.shape = tuple(int(s) for s in shape)
        self.dtype = np.dtype(dtype)

    # ---- transfers ------------------------------------------------------------------------
    @classmethod
    def from_numpy(cls, arr):
        """A GPU copy of the host array ``arr`` (float32, float64 or integers)."""
        arr = np.asarray(arr)
        if arr.dtype == np.bool_:
            arr = arr.astype(np.int32)
        return cls(_core.dev_upload(np.ascontiguousarray(arr)), arr.shape, arr.dtype)

    def numpy(self):
        """A host copy (waits for the device)."""
        return self._h.download().reshape(self.shape).astype(self.dtype, copy=False)

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "a GPU-resident array cannot be converted to a numpy array implicitly (that would copy "
            "it to host memory): call .numpy() or .to('cpu')"
        )

    def item(self):
        if self.size != 1:
            raise ValueError(f"item: only a one-element array converts to a number, got shape {self.shape}")
        return self.numpy().reshape(()).item()

    def tolist(self):
        return self.numpy().tolist()

    def __float__(self):
        return float(self.item())

    def __bool__(self):
        return bool(self.item())

    def __repr__(self):
        return f"GpuArray(shape={self.shape}, dtype={self.dtype})"

    # ---- metadata and shapes ----------------------------------------------------------------
    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return _size(self.shape)

    @property
    def nbytes(self):
        return self.size * self.dtype.itemsize

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of a 0-d array")
        return self.shape[0]

    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        shape = tuple(int(s) for s in shape)
        if shape.count(-1) > 1:
            raise ValueError("reshape: only one dimension can be -1")
        if -1 in shape:
            known = _size(s for s in shape if s != -1)
            if known == 0 or self.size % known:
                raise ValueError(f"cannot reshape an array of size {self.size} into shape {shape}")
            shape = tuple(self.size // known if s == -1 else s for s in shape)
        if _size(shape) != self.size:
            raise ValueError(f"cannot reshape an array of size {self.size} into shape {shape}")
        return GpuArray(self._h, shape, self.dtype)

    def transpose(self, *axes):
        """The axes permuted (numpy's ``transpose``): a new contiguous GPU array."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        axes = tuple(range(self.ndim))[::-1] if not axes else tuple(int(a) % max(self.ndim, 1) for a in axes)
        if sorted(axes) != list(range(self.ndim)):
            raise ValueError(f"axes {axes} are not a permutation of {self.ndim} axes")
        if axes == tuple(range(self.ndim)):
            return self
        strides = _c_strides(self.shape)
        return self._gather([self.shape[a] for a in axes], [strides[a] for a in axes], 0)

    def _gather(self, shape, strides, offset):
        """The strided view ``offset + sum(i_d * strides[d])`` (in elements) as a new GPU array."""
        shape = tuple(int(n) for n in shape)
        return GpuArray(self._h.gather(list(shape), [int(s) for s in strides], int(offset)), shape, self.dtype)

    @property
    def T(self):
        return self.transpose()

    def swapaxes(self, a, b):
        axes = list(range(self.ndim))
        axes[a], axes[b] = axes[b], axes[a]
        return self.transpose(axes)

    def copy(self):
        h = _core.dev_assemble(_stored(self.dtype), self.size, [(self._h, 0, 0, self.size)])
        return GpuArray(h, self.shape, self.dtype)

    def squeeze(self, axis=None):
        if axis is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        axes = {a % self.ndim for a in ((axis,) if isinstance(axis, numbers.Integral) else axis)}
        if any(self.shape[a] != 1 for a in axes):
            raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
        return self.reshape(tuple(n for a, n in enumerate(self.shape) if a not in axes))

    def astype(self, dtype, copy=True):
        """The array as ``dtype``: its own dtype, an integer one from an integer one (the storage
        is int32 for both), a float one from an integer one, or an integer one from a float one
        (conversion kernels; float to integer truncates toward zero, as numpy's, and beyond
        int32's range saturates, NaN giving 0: undefined in numpy)."""
        dtype = np.dtype(dtype)
        if dtype == self.dtype:
            return self.copy() if copy else self
        if self.dtype.kind in "iu" and dtype.kind in "iu":
            return GpuArray(self.copy()._h if copy else self._h, self.shape, dtype)
        if self.dtype.kind in "iu" and dtype.kind == "f":
            return GpuArray(_core.dev_int_to_float(self._h, dtype.name), self.shape, dtype)
        if self.dtype.kind == "f" and dtype.kind in "iu":
            return GpuArray(_core.dev_float_to_int(self._h), self.shape, dtype)
        raise no_kernel(f"converting a GPU tensor from {self.dtype} to {dtype}")

    @classmethod
    def full(cls, shape, value, dtype):
        """A new GPU array of ``shape`` filled with ``value``."""
        shape = tuple(shape)
        z = _core.dev_zeros(_size(shape), _stored(dtype))
        out = cls(z, shape, dtype)
        if value == 0:
            return out
        if out.dtype.kind != "f":  # one element uploaded, then broadcast (a strided copy)
            return _broadcast_to(cls.from_numpy(np.array(value, dtype)), shape)
        return out._apply("assign", value)

    def __setitem__(self, idx, value):
        """``a[index] = value`` in place, for a basic index (integers, slices, ``None``,
        ``...``), ``value`` a number or a GPU array that broadcasts to the indexed shape; or for a
        boolean mask of the leading axes (:func:`_mask_index`) and a number."""
        mask = _mask_index(self.shape, idx)
        if mask is not None:
            if _scalar(value) is None:
                raise no_kernel("assigning an array through a boolean mask (a number is assigned)")
            lead, flat = mask
            chosen = np.zeros(_size(self.shape[:lead]), self.dtype)  # the mask in this dtype
            chosen[flat] = 1
            chosen = chosen.reshape(self.shape[:lead] + (1,) * (self.ndim - lead))
            self[...] = _where(_broadcast_to(GpuArray.from_numpy(chosen), self.shape), _scalar(value), self)
            return
        shape, strides, offset = _basic_index(self.shape, idx)
        if _scalar(value) is not None:
            value = GpuArray.full(shape, _scalar(value), self.dtype)
        elif not isinstance(value, GpuArray):
            raise ValueError(f"assigning a host array of shape {np.shape(value)} into a GPU tensor: "
                             "move it with .to('gpu') first")
        if value.dtype != self.dtype:
            raise TypeError(f"assigning {value.dtype} values into a {self.dtype} GPU tensor")
        value = _broadcast_to(value, shape)
        if value._h.same_buffer(self._h):  # a view of this array: read from a copy
            value = value.copy()
        self._h.scatter(value._h, list(shape), strides, offset)

    def __getitem__(self, idx):
        """``a[index]`` for a basic index (integers, slices with any step, ``None``, ``...``), as
        a new GPU array, for one integer index array among slices (``a[i]``, ``a[:, i]``,
        ``a[..., i]``; :func:`_array_index`): a gather along that axis, or for a boolean mask of
        the leading axes as the whole index (:func:`_mask_index`): a gather of its true entries.
        Other advanced indexing (several index arrays, an index array with integers or ``None``,
        a mask among other indices) has no GPU kernel."""
        mask = _mask_index(self.shape, idx)
        if mask is not None:
            lead, flat = mask
            return take_axis(self.reshape((-1,) + self.shape[lead:]), flat, 0)
        picked = _array_index(self.shape, idx)
        if picked is not None:
            basic, axis, index = picked
            return take_axis(self[basic], index, axis)
        shape, strides, offset = _basic_index(self.shape, idx)
        return self._gather(shape, strides, offset)

    def __getattr__(self, name):
        # the rest of ndarray's surface (transpose, argmax, ...): named, not an AttributeError
        if not name.startswith("_") and hasattr(np.ndarray, name):
            raise no_kernel(f"ndarray.{name}")
        raise AttributeError(f"'GpuArray' object has no attribute {name!r}")

    # ---- elementwise --------------------------------------------------------------------------
    def _apply(self, op, other, swap=False):
        """``self op other`` (``other op self`` with ``swap``) on the GPU. Integer arrays compute in
        int32 (their storage; numpy's int64 would not wrap at 2**31) and have no true division."""
        if self.dtype.kind not in "fiu":
            raise no_kernel(f"{op} of {self.dtype} GPU tensors")
        s = _scalar(other)
        if s is not None:
            return GpuArray(_core.dev_binary(op, self._h, s, 1, swap), self.shape, self.dtype)
        if not isinstance(other, GpuArray):
            raise ValueError(
                f"{op}: a GPU tensor and a host array of shape {np.shape(other)} are on different "
                "devices; move one with .to('gpu') or .to('cpu')"
            )
        if other.dtype != self.dtype:
            raise TypeError(f"{op} of GPU tensors of dtypes {self.dtype} and {other.dtype}: "
                            "the dtypes must match on the GPU")
        inner = _block(other.shape, self.shape)
        if inner is not None:  # the result keeps self's layout; leading 1s may add axes
            shape = np.broadcast_shapes(self.shape, other.shape)
            return GpuArray(_core.dev_binary(op, self._h, other._h, inner, swap), shape, self.dtype)
        inner = _block(self.shape, other.shape)
        if inner is not None:
            shape = np.broadcast_shapes(self.shape, other.shape)
            return GpuArray(_core.dev_binary(op, other._h, self._h, inner, not swap), shape, self.dtype)
        try:
            shape = np.broadcast_shapes(self.shape, other.shape)
        except ValueError:
            raise ValueError(f"{op}: GPU tensors of shapes {self.shape} and {other.shape} do not "
                             "broadcast") from None
        # any other broadcast: both operands materialised at the common shape (strided copies)
        a, b = _broadcast_to(self, shape), _broadcast_to(other, shape)
        return GpuArray(_core.dev_binary(op, a._h, b._h, 1, swap), shape, self.dtype)

    def __neg__(self):
        return self._apply("multiply", -1.0)

    def __rpow__(self, base):
        """``base ** a`` for a number ``base``: :func:`_power`."""
        if _scalar(base) is None:
            raise no_kernel("a power with a GPU tensor as exponent and a host base")
        return _power(GpuArray.full(self.shape, _scalar(base), self.dtype), self)

    def __pow__(self, exponent):
        """``a ** exponent`` for a number or a GPU array: numpy's exact results for the number
        exponents 0, 0.5, 1, -1 and 2 (square root, reciprocal, square); otherwise
        :func:`_power`."""
        if isinstance(exponent, GpuArray):
            return _power(self, exponent)
        e = _scalar(exponent)
        if e is None:
            raise ValueError(f"power: a GPU tensor and a host exponent of shape {np.shape(exponent)} "
                             "are on different devices; move one with .to('gpu') or .to('cpu')")
        if self.dtype.kind != "f":
            raise no_kernel(f"a power of {self.dtype} GPU tensors")
        if e == 2:
            return self * self
        if e == 1:
            return self.copy()
        if e == 0:
            return _like(self, 1)
        if e == 0.5:
            return np.sqrt(self)
        if e == -1:
            return 1.0 / self
        return _power(self, e)

    # masks are 1 or 0: `and` is their product, `or` their maximum
    def __and__(self, other):
        return self._apply("multiply", other)

    def __or__(self, other):
        return self._apply("maximum", other)

    def __pos__(self):
        return self

    def __radd__(self, other):
        return self._apply("add", other, swap=True)

    def __rsub__(self, other):
        return self._apply("subtract", other, swap=True)

    def __rmul__(self, other):
        return self._apply("multiply", other, swap=True)

    def __rtruediv__(self, other):
        return self._apply("true_divide", other, swap=True)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        name = ufunc.__name__
        if name == "add" and method == "at" and not kwargs:
            return _add_at(*inputs)
        if method != "__call__" or kwargs.get("out") is not None or \
                name not in _UFUNCS | _UNARY | {"negative", "power"}:
            raise no_kernel(f"numpy.{name}" + ("" if method == "__call__" else f".{method}"))
        if name == "negative":
            return -inputs[0]
        if name == "power":
            return inputs[0] ** inputs[1] if isinstance(inputs[0], GpuArray) else inputs[1].__rpow__(inputs[0])
        if name in _UNARY:
            a = inputs[0]
            if a.dtype.kind != "f":
                raise no_kernel(f"numpy.{name} of {a.dtype} GPU tensors")
            return GpuArray(_core.dev_unary(name, a._h), a.shape, a.dtype)
        a, b = inputs
        if isinstance(a, GpuArray):
            return a._apply(name, b)
        return b._apply(name, a, swap=True)

    def __array_function__(self, func, types, args, kwargs):
        handler = _FUNCTIONS.get(func.__name__)
        if handler is None:
            raise no_kernel(f"numpy.{func.__name__}")
        return handler(*args, **kwargs)

    # ---- reductions -------------------------------------------------------------------------
    def sum(self, axis=None, keepdims=False, dtype=None):
        """The sum over ``axis`` (None: all): the summed axes must be leading and/or trailing ones
        (the kept axes contiguous)."""
        if dtype is not None and np.dtype(dtype) != self.dtype:
            raise no_kernel(f"a sum of a {self.dtype} GPU tensor in {np.dtype(dtype)}")
        return self._reduce("sum", axis, keepdims)

    def max(self, axis=None, keepdims=False):
        """The maximum over ``axis``, as :meth:`sum` (NaN wins, as numpy's)."""
        if self.size == 0:
            raise ValueError("zero-size array to reduction operation maximum which has no identity")
        return self._reduce("max", axis, keepdims)

    def argmax(self, axis=None, keepdims=False):
        """The index (int64) of the largest element, over all (``axis`` None) or along ``axis``:
        the first largest, or the first NaN, as numpy's."""
        if self.dtype.kind != "f":
            raise no_kernel(f"argmax of {self.dtype} GPU tensors")
        if axis is None:
            outer, n, inner = 1, self.size, 1
            shape = (1,) * self.ndim if keepdims else ()
        else:
            if not isinstance(axis, numbers.Integral) or not -self.ndim <= axis < max(self.ndim, 1):
                raise ValueError(f"axis {axis!r} is out of bounds for an array of dimension {self.ndim}")
            a = axis % self.ndim
            outer, n, inner = _size(self.shape[:a]), self.shape[a], _size(self.shape[a + 1:])
            shape = self.shape[:a] + ((1,) if keepdims else ()) + self.shape[a + 1:]
        if n == 0:
            raise ValueError("attempt to get argmax of an empty sequence")
        return GpuArray(_core.dev_argmax(self._h, outer, n, inner), shape, np.int64)

    def argmin(self, axis=None, keepdims=False):
        """The index of the smallest element, as :meth:`argmax` (the argmax of the negation: the
        first smallest, or the first NaN, as numpy's)."""
        if self.dtype.kind != "f":
            raise no_kernel(f"argmin of {self.dtype} GPU tensors")
        return (-self).argmax(axis, keepdims)

    def _reduce(self, op, axis, keepdims):
        if self.dtype.kind != "f" and not (op == "sum" and self.dtype.kind in "iu"):
            raise no_kernel(f"{op} of {self.dtype} GPU tensors")
        nd = self.ndim
        if axis is None:
            axes = set(range(nd))
        else:
            axes = {a % nd if nd else a for a in ((axis,) if isinstance(axis, numbers.Integral) else axis)}
        kept = [a for a in range(nd) if a not in axes]
        lo, hi = (kept[0], kept[-1] + 1) if kept else (nd, nd)
        if kept != list(range(lo, hi)):
            # the reduced axes moved to the front: a leading reduction of a permuted copy
            moved = self.transpose(sorted(axes) + kept)._reduce(op, tuple(range(len(axes))), False)
            if keepdims:
                moved = moved.reshape(tuple(1 if a in axes else s for a, s in enumerate(self.shape)))
            return moved
        outer, mid, inner = _size(self.shape[:lo]), _size(self.shape[lo:hi]), _size(self.shape[hi:])
        out_shape = tuple(1 if a in axes else s for a, s in enumerate(self.shape)) if keepdims \
            else tuple(self.shape[lo:hi])
        return GpuArray(_core.dev_sum(self._h, outer, mid, inner, op), out_shape, self.dtype)

    def mean(self, axis=None, keepdims=False, dtype=None):
        if self.dtype.kind != "f":
            raise TypeError(f"mean of a {self.dtype} GPU tensor: convert it with .float() first "
                            "(as torch, whose mean takes floating tensors)")
        s = self.sum(axis, keepdims, dtype)
        count = self.size // s.size if s.size else 1  # 0 for an empty reduction: NaN, as numpy
        return s / count


def _block(small, big):
    """How ``small`` broadcasts over ``big`` on the GPU: the number of elements of ``big`` after
    each of ``small``'s (its ``inner``), when ``small``'s axes that are not 1 (aligned at the right,
    as numpy aligns them) are a run of consecutive axes equal to ``big``'s; else None."""
    if len(small) > len(big):
        if any(s != 1 for s in small[: len(small) - len(big)]):
            return None
        small = small[len(small) - len(big):]
    small = (1,) * (len(big) - len(small)) + tuple(small)
    spread = [i for i, s in enumerate(small) if s != 1]
    if not spread:
        return _size(big) or 1
    lo, hi = spread[0], spread[-1] + 1
    if tuple(small[lo:hi]) != tuple(big[lo:hi]):
        return None
    return _size(big[hi:])


def _stored(dtype):
    """The dtype name a device buffer holds for ``dtype`` (integers as int32)."""
    dtype = np.dtype(dtype)
    return "int32" if dtype.kind in "iub" else dtype.name


for _name, _ufunc in _OPERATORS.items():
    setattr(GpuArray, _name, lambda self, other, _u=_ufunc: self._apply(_u, other))
GpuArray.__hash__ = None


def _like(a, value, dtype=None, shape=None):
    return GpuArray.full(a.shape if shape is None else shape, value, a.dtype if dtype is None else dtype)


def _broadcast_to(a, shape, subok=False):
    """numpy's ``broadcast_to``, materialised: a strided copy with stride 0 along the repeated
    axes."""
    shape = tuple(int(n) for n in shape)
    if a.shape == shape:
        return a
    lead = len(shape) - a.ndim
    if lead < 0 or any(s not in (1, n) for s, n in zip(a.shape, shape[lead:])):
        raise ValueError(f"operands could not be broadcast together with remapped shapes "
                         f"[original->remapped]: {a.shape} and requested shape {shape}")
    strides = [0] * lead + [st if s == n else 0
                            for s, n, st in zip(a.shape, shape[lead:], _c_strides(a.shape))]
    return a._gather(shape, strides, 0)


def _c_strides(shape):
    """The element strides of a C-contiguous array of ``shape``."""
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= n
    return strides[::-1]


def _basic_index(shape, idx):
    """The shape, element strides and offset of numpy's basic index ``idx`` (integers, slices,
    ``None``, ``...``) into a C-contiguous array of ``shape``; ``TypeError`` for advanced
    indexing (arrays, booleans), ``IndexError`` out of bounds, as numpy."""
    items = idx if isinstance(idx, tuple) else (idx,)
    for i in items:
        if not (i is None or i is Ellipsis or isinstance(i, slice)
                or (isinstance(i, numbers.Integral) and not isinstance(i, bool))):
            raise no_kernel(f"indexing a GPU tensor with {type(i).__name__} (advanced indexing; "
                            "integers, slices, None and ... are supported)")
    if sum(i is Ellipsis for i in items) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    named = sum(i is not None and i is not Ellipsis for i in items)
    if named > len(shape):
        raise IndexError(f"too many indices for array: array is {len(shape)}-dimensional, but "
                         f"{named} were indexed")
    if Ellipsis in items:
        at = items.index(Ellipsis)
        items = items[:at] + (slice(None),) * (len(shape) - named) + items[at + 1:]
    else:
        items = items + (slice(None),) * (len(shape) - named)
    src = _c_strides(shape)
    out_shape, strides, offset, axis = [], [], 0, 0
    for i in items:
        if i is None:
            out_shape.append(1)
            strides.append(0)
            continue
        n, st = shape[axis], src[axis]
        if isinstance(i, slice):
            start, stop, step = i.indices(n)
            count = len(range(start, stop, step))
            out_shape.append(count)
            strides.append(st * step if count > 1 else 0)  # a stride never taken stays small
            offset += start * st if count else 0
        else:
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for axis {axis} with size {n}")
            offset += (i % n) * st
        axis += 1
    return tuple(out_shape), strides, offset


def _stack(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    arrays = list(arrays)
    if not arrays:
        raise ValueError("need at least one array to stack")
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise ValueError(f"all input arrays must have the same shape; got {sorted(shapes)}")
    axis = axis % (arrays[0].ndim + 1)
    return _concatenate([_expand_dims(a, axis) for a in arrays], axis, out, dtype, casting)


def _take(a, indices, axis=None, out=None, mode="raise"):
    """numpy's ``take`` (``mode='raise'``) of an integer or an integer index array."""
    if out is not None or mode != "raise":
        raise no_kernel("numpy.take with out= or a mode other than 'raise'")
    if axis is None:
        a, axis = a.reshape(-1), 0
    axis, _ = _lines(a.shape, axis)
    if isinstance(indices, numbers.Integral):
        return a[(slice(None),) * axis + (indices,)]
    return take_axis(a, _host_index(indices, a.shape[axis], axis), axis)


def _expand_dims(a, axis):
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    nd = a.ndim + len(axes)
    axes = sorted(x % nd for x in axes)
    shape = list(a.shape)
    for x in axes:
        shape.insert(x, 1)
    return a.reshape(shape)


#: Concatenations and splits of at most this many contiguous blocks (one per leading index and
#: part) run as buffer copies; more (joins along inner axes) as one strided kernel per part.
_MAX_BLOCKS = 64


def _blocks_along(shape, axis):
    """The leading count and the block length after ``axis`` of ``shape``."""
    return _size(shape[:axis]), _size(shape[axis + 1:])


def _concatenate(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    arrays = list(arrays)
    if out is not None or dtype is not None or not all(isinstance(a, GpuArray) for a in arrays):
        raise no_kernel("numpy.concatenate of host and GPU arrays (or with out=/dtype=)")
    first = arrays[0]
    axis = axis % first.ndim
    for a in arrays[1:]:
        if a.dtype != first.dtype or a.ndim != first.ndim or \
                a.shape[:axis] + a.shape[axis + 1:] != first.shape[:axis] + first.shape[axis + 1:]:
            raise ValueError(f"concatenate: GPU arrays of shapes {first.shape} and {a.shape} "
                             f"({first.dtype}, {a.dtype}) do not join along axis {axis}")
    outer, inner = _blocks_along(first.shape, axis)
    total = sum(a.shape[axis] for a in arrays)
    shape = first.shape[:axis] + (total,) + first.shape[axis + 1:]
    if outer * len(arrays) > _MAX_BLOCKS:
        out, at, lead = GpuArray.full(shape, 0, first.dtype), 0, (slice(None),) * axis
        for a in arrays:
            out[lead + (slice(at, at + a.shape[axis]),)] = a
            at += a.shape[axis]
        return out
    blocks, row = [], total * inner
    for o in range(outer):
        at = o * row
        for a in arrays:
            n = a.shape[axis] * inner
            blocks.append((a._h, o * n, at, n))
            at += n
    return GpuArray(_core.dev_assemble(_stored(first.dtype), _size(shape), blocks), shape, first.dtype)


def _split(a, indices_or_sections, axis=0):
    axis = axis % a.ndim
    n = a.shape[axis]
    if isinstance(indices_or_sections, numbers.Integral):
        if n % indices_or_sections:
            raise ValueError("array split does not result in an equal division")
        step = n // indices_or_sections
        cuts = list(range(step, n, step))
    else:
        cuts = [int(c) for c in indices_or_sections]
    edges = [0] + [min(max(c, 0), n) for c in cuts] + [n]
    outer, inner = _blocks_along(a.shape, axis)
    if outer * (len(edges) - 1) > _MAX_BLOCKS:
        lead = (slice(None),) * axis
        return [a[lead + (slice(lo, max(lo, hi)),)] for lo, hi in zip(edges[:-1], edges[1:])]
    parts = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        width = max(hi - lo, 0) * inner
        shape = a.shape[:axis] + (max(hi - lo, 0),) + a.shape[axis + 1:]
        blocks = [(a._h, (o * n + lo) * inner, o * width, width) for o in range(outer)]
        parts.append(GpuArray(_core.dev_assemble(_stored(a.dtype), _size(shape), blocks), shape, a.dtype))
    return parts


def _operand(v, like):
    """``v`` as a GPU array for an operation with ``like``: a number becomes one element."""
    if isinstance(v, GpuArray):
        return v
    s = _scalar(v)
    if s is None:
        raise ValueError(f"a GPU tensor and a host array of shape {np.shape(v)} are on different "
                         "devices; move one with .to('gpu') or .to('cpu')")
    return GpuArray.from_numpy(np.array([s], dtype=like.dtype))


def _moved(ndim, source, destination):
    """The axes order of numpy's ``moveaxis``."""
    src = [s % ndim for s in ((source,) if isinstance(source, numbers.Integral) else source)]
    dst = [d % ndim for d in ((destination,) if isinstance(destination, numbers.Integral) else destination)]
    order = [a for a in range(ndim) if a not in src]
    for d, s_ in sorted(zip(dst, src)):
        order.insert(d, s_)
    return order


def _where(condition, x, y):
    if not isinstance(condition, GpuArray):
        raise no_kernel("numpy.where with a host condition")
    xs, ys = _operand(x, condition), _operand(y, condition)
    for a in (xs, ys):
        if a.size not in (1, condition.size) or a.dtype != condition.dtype:
            raise ValueError(f"where: GPU operands of shape {a.shape} ({a.dtype}) and condition "
                             f"{condition.shape} ({condition.dtype}): equal shapes or one element")
    return GpuArray(_core.dev_select(condition._h, xs._h, ys._h), condition.shape, condition.dtype)


def _clip(a, a_min=None, a_max=None, out=None, **kwargs):
    if out is not None:
        raise no_kernel("numpy.clip with out=")
    if a_min is not None:
        a = np.maximum(a, a_min)
    if a_max is not None:
        a = np.minimum(a, a_max)
    return a


def _argmax(a, axis=None, out=None, *, keepdims=False):
    if out is not None:
        raise no_kernel("numpy.argmax with out=")
    return a.argmax(axis, keepdims)


def _argmin(a, axis=None, out=None, *, keepdims=False):
    if out is not None:
        raise no_kernel("numpy.argmin with out=")
    return a.argmin(axis, keepdims)


def _lines(shape, axis):
    """``shape`` viewed as ``(outer, n, inner)`` around ``axis`` (checked, normalised)."""
    if not isinstance(axis, numbers.Integral) or not -len(shape) <= axis < max(len(shape), 1):
        raise ValueError(f"axis {axis!r} is out of bounds for an array of dimension {len(shape)}")
    axis %= len(shape)
    return axis, (_size(shape[:axis]), shape[axis], _size(shape[axis + 1:]))


def _gpu_indices(arr, indices, name):
    """``indices`` as a GPU integer array for an indexing of the GPU array ``arr``."""
    if not isinstance(indices, GpuArray):
        raise ValueError(f"{name}: a GPU tensor indexed by a host array of shape "
                         f"{np.shape(indices)}; move the indices with .to('gpu') first")
    if indices.dtype.kind not in "iu":
        raise IndexError(f"{name}: indices must be integers; got {indices.dtype}")
    return indices


def _take_along_axis(arr, indices, axis):
    """numpy's ``take_along_axis`` for GPU arrays of one shape but along ``axis``."""
    indices = _gpu_indices(arr, indices, "take_along_axis")
    axis, (outer, n, inner) = _lines(arr.shape, axis)
    if indices.ndim != arr.ndim or indices.shape[:axis] + indices.shape[axis + 1:] != \
            arr.shape[:axis] + arr.shape[axis + 1:]:
        raise ValueError(f"take_along_axis: indices of shape {indices.shape} for an array of shape "
                         f"{arr.shape} along axis {axis} (equal shapes but along the axis on the GPU)")
    count = indices.shape[axis]
    h = _core.dev_take_axis(arr._h, indices._h, outer, n, count, inner, (count * inner, inner, 1))
    return GpuArray(h, indices.shape, arr.dtype)


def _put_along_axis(arr, indices, values, axis):
    """numpy's ``put_along_axis`` in place, for one index per line along ``axis`` (so that no
    two values land on one element)."""
    indices = _gpu_indices(arr, indices, "put_along_axis")
    axis, (outer, n, inner) = _lines(arr.shape, axis)
    want = arr.shape[:axis] + (1,) + arr.shape[axis + 1:]
    if indices.shape != want:
        raise no_kernel(f"put_along_axis with indices of shape {indices.shape} (on the GPU: {want}, "
                        "one index per line)")
    values = _broadcast_to(_operand(values, arr), want)
    _core.dev_put_axis(arr._h, indices._h, values._h, outer, n, 1, inner)


def _power(base, exponent):
    """``base ** exponent`` for a float GPU array and a number or a float GPU array of its dtype
    (numpy's broadcasting): ``exp(exponent * log|base|)`` (float32, a few ulp from numpy's) with
    the sign of an odd integer power (of -0.0 too: ``(-0.0) ** -3`` is -inf), NaN for a finite
    negative base and a fractional exponent (``(-inf) ** 0.5`` is inf, as IEEE's), and 1 where
    the exponent is 0, the base 1, or the base -1 and the exponent infinite, as C99's ``pow``. A
    finite number exponent decides on the host which of these cases can occur."""
    e = _scalar(exponent)
    if e is not None and not math.isfinite(e):
        exponent, e = GpuArray.full(base.shape, e, base.dtype), None
    if e is None and (base.dtype != exponent.dtype or base.dtype.kind != "f"):
        raise TypeError(f"power of GPU tensors of dtypes {base.dtype} and {exponent.dtype}: float "
                        "tensors of one dtype on the GPU")
    if e is None:
        shape = np.broadcast_shapes(base.shape, exponent.shape)
        a, exponent = _broadcast_to(base, shape), _broadcast_to(exponent, shape)
        whole = np.floor(exponent) == exponent  # masks: 1 or 0 in the dtype
        odd = whole & (np.floor(exponent * 0.5) * 2.0 != exponent)
    else:
        a, whole = base, float(e).is_integer()
        odd = whole and math.fmod(e, 2.0) != 0
    magnitude = np.exp(np.log(np.absolute(a)) * exponent)
    signed = magnitude
    if odd is not False:
        negative = (a < 0) | ((a == 0) & (1.0 / a < 0))
        signed = np.where(negative & odd, -magnitude, magnitude)
    if whole is True:
        return signed
    no_real_power = (a < 0) & (a > float("-inf"))
    if whole is not False:
        no_real_power = no_real_power & (1.0 - whole)
    result = np.where(no_real_power, float("nan"), signed)
    if e is not None:  # a finite fractional number: exp(e * log 1) is 1 already
        return result
    one = (exponent == 0) | (a == 1) | ((a == -1) & (np.absolute(exponent) == float("inf")))
    return np.where(one, 1.0, result)


def _array_index(shape, idx):
    """For an index holding one integer index array (a host array, a list or a GPU array) and
    otherwise only slices and ``...``: ``(basic, axis, index)``, the index with the array
    replaced by ``:``, the axis the array indexes in ``a[basic]`` and the array as checked host
    int64 indices (:func:`_host_index`); then ``a[idx]`` is ``take(a[basic], index, axis)`` as in
    numpy. None for a basic index; ``TypeError`` for the advanced indexes there is no kernel for."""
    items = idx if isinstance(idx, tuple) else (idx,)
    arrays = [k for k, i in enumerate(items) if _is_index_array(i)]
    if not arrays:
        return None
    if len(arrays) > 1 or any(not (isinstance(i, slice) or i is Ellipsis)
                              for k, i in enumerate(items) if k != arrays[0]):
        raise no_kernel("advanced indexing of a GPU tensor other than one integer index array "
                        "among slices and '...' (or a boolean mask alone)")
    at = arrays[0]
    before = items[:at]
    if Ellipsis in before:  # '...' spans the axes that the named ones leave
        axis = len(shape) - (len(items) - 1 - at) - 1
    else:
        axis = at
    if not 0 <= axis < len(shape):
        raise IndexError(f"too many indices for array: array is {len(shape)}-dimensional")
    basic = items[:at] + (slice(None),) + items[at + 1:]
    sliced, _, _ = _basic_index(shape, basic)
    return basic, axis, _host_index(items[at], sliced[axis], axis)


def _mask_index(shape, idx):
    """For a boolean mask as the whole index, over the leading axes ``shape[:k]``: ``(k, flat)``,
    the C-order positions of its true entries there (numpy's ``a[mask]``), read in host memory.
    The mask is a host bool array (or list), or a float GPU array: what a GPU comparison gives (1
    or 0 in its operands' dtype; nonzero counts as true). None for any other index."""
    if isinstance(idx, GpuArray) and idx.dtype.kind == "f":
        host = idx.numpy() != 0
    elif isinstance(idx, (np.ndarray, list)) and np.asarray(idx).dtype == np.bool_:
        host = np.asarray(idx)
    else:
        return None
    if host.ndim > len(shape):
        raise IndexError(f"too many indices for array: array is {len(shape)}-dimensional, but "
                         f"{host.ndim} were indexed")
    for axis, (n, m) in enumerate(zip(shape, host.shape)):
        if n != m:
            raise IndexError(f"boolean index did not match indexed array along axis {axis}; size "
                             f"of axis is {n} but size of corresponding boolean axis is {m}")
    return host.ndim, np.flatnonzero(host)


def _is_index_array(i):
    return isinstance(i, (GpuArray, list, np.ndarray))


def _host_index(index, n, axis):
    """An integer index array (host, list or GPU: read back once) as host int64 in ``[0, n)``:
    negative entries count from the end, others out of bounds raise ``IndexError`` as numpy's; a
    mask here (among other indices) has no GPU kernel."""
    # a float GPU array is what a GPU comparison gives: a mask of 1 or 0 in its operands' dtype
    on_gpu = isinstance(index, GpuArray)
    if (index.dtype.kind == "f") if on_gpu else (np.asarray(index).dtype == np.bool_):
        raise no_kernel("indexing a GPU tensor with a boolean mask among other indices (a mask "
                        "indexes as the whole index)")
    host = index.numpy() if on_gpu else np.asarray(index)
    if host.size == 0:
        host = host.astype(np.int64)
    if host.dtype.kind not in "iu":
        raise IndexError("arrays used as indices must be of integer (or boolean) type; "
                         f"got {host.dtype}")
    host = host.astype(np.int64)
    bad = (host < -n) | (host >= n)
    if bad.any():
        raise IndexError(f"index {host[bad].flat[0]} is out of bounds for axis {axis} with size {n}")
    return np.where(host < 0, host + n, host)


def take_axis(x, index, axis):
    """``np.take(x, index, axis)`` for a GPU ``x`` and host ``index`` of any shape (checked to lie
    in ``[0, x.shape[axis])``): shape ``x.shape[:axis] + index.shape + x.shape[axis + 1:]``."""
    index = np.asarray(index)
    axis, (outer, n, inner) = _lines(x.shape, axis)
    flat = GpuArray.from_numpy(index.reshape(-1))
    h = _core.dev_take_axis(x._h, flat._h, outer, n, index.size, inner, (0, 1, 0))
    return GpuArray(h, x.shape[:axis] + index.shape + x.shape[axis + 1:], x.dtype)


def add_at_axis(g, index, axis, n):
    """``np.add.at`` into zeros of length ``n`` along ``axis`` (the inverse of
    :func:`take_axis`): for host ``index`` at axis ``axis`` of ``g`` (``g.shape[axis:axis +
    index.ndim] == index.shape``), sample ``index[k]`` gets ``g``'s samples at ``k``, each adding
    them in ``k``'s (numpy's) order: the axes moved to the front, grouped rows summed."""
    index = np.asarray(index)
    lead, span = g.shape[:axis], index.ndim
    rest = g.shape[axis + span:]
    if index.size == 0 or g.size == 0:
        return GpuArray.full(lead + (n,) + rest, 0, g.dtype)
    moved = g.reshape(lead + (index.size,) + rest)
    moved = _FUNCTIONS["moveaxis"](moved, axis, 0)
    rows = add_rows_at(n, index.reshape(-1), moved.reshape(index.size, -1))
    return _FUNCTIONS["moveaxis"](rows.reshape((n,) + lead + rest), 0, axis)


def _add_at(z, idx, values):
    """``np.add.at(z, idx, values)`` in place for a GPU ``z`` and an index :func:`_array_index`
    takes (autograd's backward of such an indexing); values that land on one sample add in
    numpy's order."""
    if not isinstance(values, GpuArray):
        values = GpuArray.full((), _scalar(values), z.dtype) if _scalar(values) is not None else None
    if values is None:
        raise ValueError("numpy.add.at: the values for a GPU array must be on the GPU")
    mask = _mask_index(z.shape, idx)
    if mask is not None:
        lead, flat = mask
        rest = z.shape[lead:]
        summed = add_at_axis(_broadcast_to(values, (flat.size,) + rest), flat, 0, _size(z.shape[:lead]))
        z[...] = z + summed.reshape(z.shape)
        return
    picked = _array_index(z.shape, idx)
    if picked is None:
        raise no_kernel("numpy.add.at with a basic index")
    basic, axis, index = picked
    target = z[basic]
    want = target.shape[:axis] + index.shape + target.shape[axis + 1:]
    summed = add_at_axis(_broadcast_to(values, want), index, axis, target.shape[axis])
    z[basic] = target + summed


def take_rows(table, indices):
    """``table[indices]`` for a 2-D GPU ``table`` and GPU integer ``indices`` (checked by the
    caller to lie in ``[0, len(table))``): the embedding lookup, of shape
    ``indices.shape + (table.shape[1],)``."""
    n, dim = table.shape
    h = _core.dev_take_axis(table._h, indices._h, 1, n, indices.size, dim, (0, 1, 0))
    return GpuArray(h, indices.shape + (dim,), table.dtype)


def add_rows_at(rows, indices, values):
    """numpy's ``add.at(zeros((rows, d)), indices, values)`` for host ``indices`` (in
    ``[0, rows)``) and GPU ``values`` of shape ``indices.shape + (d,)``, in numpy's order of
    addition: each row adds its values in the order they occur (a stable sort groups them)."""
    flat = np.asarray(indices).reshape(-1)
    dim = values.shape[-1]
    order = np.argsort(flat, kind="stable").astype(np.int32)
    offsets = np.concatenate([[0], np.cumsum(np.bincount(flat, minlength=rows))]).astype(np.int32)
    h = _core.dev_segment_sum(values._h, order, offsets, rows, dim)
    return GpuArray(h, (rows, dim), values.dtype)


_FUNCTIONS = {
    "transpose": lambda a, axes=None: a.transpose(() if axes is None else axes),
    "swapaxes": lambda a, axis1, axis2: a.swapaxes(axis1, axis2),
    "moveaxis": lambda a, source, destination: a.transpose(_moved(a.ndim, source, destination)),
    "where": _where,
    "clip": _clip,
    "concatenate": _concatenate,
    "split": _split,
    "ones_like": lambda a, dtype=None, shape=None: _like(a, 1, dtype, shape),
    "zeros_like": lambda a, dtype=None, shape=None: _like(a, 0, dtype, shape),
    "broadcast_to": _broadcast_to,
    "stack": _stack,
    "take": _take,
    "expand_dims": _expand_dims,
    "squeeze": lambda a, axis=None: a.squeeze(axis),
    "reshape": lambda a, shape, order="C": a.reshape(shape),
    "sum": lambda a, axis=None, dtype=None, keepdims=False: a.sum(axis, keepdims, dtype),
    "mean": lambda a, axis=None, dtype=None, keepdims=False: a.mean(axis, keepdims, dtype),
    "amax": lambda a, axis=None, keepdims=False: a.max(axis, keepdims),
    "argmax": _argmax,
    "argmin": _argmin,
    "take_along_axis": _take_along_axis,
    "put_along_axis": _put_along_axis,
    "max": lambda a, axis=None, keepdims=False: a.max(axis, keepdims),
    "copy": lambda a, order="K": a.copy(),
    "shape": lambda a: a.shape,
    "ndim": lambda a: a.ndim,
    "size": lambda a, axis=None: a.size if axis is None else a.shape[axis],
}


def put_rows(values, indices, size):
    """Each line of ``values`` (``(..., k)``) written into zeros of ``(..., size)`` at its GPU
    ``indices`` (same shape): max_unpool's output. An index outside ``[0, size)`` writes nothing;
    where a line repeats an index either value lands (after overlapping pooling windows the
    values at one index are the same input sample's)."""
    lines, k = _size(values.shape[:-1]), values.shape[-1]
    out = GpuArray.full(values.shape[:-1] + (size,), 0, values.dtype)
    _core.dev_put_axis(out._h, indices._h, values._h, lines, size, k, 1)
    return out
