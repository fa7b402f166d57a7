"""Saving models, state dicts and optimizer states to one ``.npz`` file (no pickled code).

The file holds the arrays under their state-dict names plus one JSON entry, ``__sigconv__``, that
describes what was saved: for a module, its class and constructor arguments (recorded when it was
built) so that :func:`load` can rebuild it; for a mapping, its nested layout. Arrays are read with
``allow_pickle=False``; classes are rebuilt only from the ``sigconv`` package or from the
``classes`` the caller passes.
"""

from __future__ import annotations

import importlib
import json
import numbers
from collections import OrderedDict

import numpy as np

from sigconv.autograd import Tensor

__all__ = ["save", "load"]

_FORMAT = 1


class _NotSerialisable(Exception):
    pass


def _spec(value):
    """A JSON description of a constructor argument (modules nested)."""
    from sigconv.nn.modules import Module

    if isinstance(value, Module):
        args, kwargs = value._config
        cls = type(value)
        return {
            "__module__": f"{cls.__module__}:{cls.__qualname__}",
            "args": [_spec(a) for a in args],
            "kwargs": {k: _spec(v) for k, v in kwargs.items()},
        }
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, tuple):
        return {"__tuple__": [_spec(v) for v in value]}
    if isinstance(value, list):
        return [_spec(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"__dict__": {k: _spec(v) for k, v in value.items()}}
    if isinstance(value, type) and issubclass(value, np.generic) or isinstance(value, np.dtype):
        return {"__dtype__": np.dtype(value).str}
    raise _NotSerialisable(type(value).__name__)


def _build(spec, classes):
    if isinstance(spec, list):
        return [_build(s, classes) for s in spec]
    if not isinstance(spec, dict):
        return spec
    if "__tuple__" in spec:
        return tuple(_build(s, classes) for s in spec["__tuple__"])
    if "__dict__" in spec:
        return {k: _build(v, classes) for k, v in spec["__dict__"].items()}
    if "__dtype__" in spec:
        return np.dtype(spec["__dtype__"])
    name = spec["__module__"]
    cls = _resolve(name, classes)
    args = [_build(a, classes) for a in spec["args"]]
    kwargs = {k: _build(v, classes) for k, v in spec["kwargs"].items()}
    return cls(*args, **kwargs)


def _resolve(name, classes):
    mod, _, qual = name.partition(":")
    short = qual.rsplit(".", 1)[-1]
    for key in (name, qual, short):
        if classes and key in classes:
            return classes[key]
    if mod != "sigconv" and not mod.startswith("sigconv."):
        raise ValueError(f"load: the file needs class {name!r}, which is not part of sigconv: pass it in classes={{{short!r}: {short}}}")
    obj = importlib.import_module(mod)
    for part in qual.split("."):
        obj = getattr(obj, part)
    return obj


def _flatten(obj, prefix, arrays, layout):
    """Mappings and lists of arrays/numbers -> flat arrays plus a JSON layout."""
    if isinstance(obj, Tensor):
        arrays[prefix] = obj.numpy()  # a GPU tensor is copied back to be saved
        return {"__array__": prefix}
    if isinstance(obj, np.ndarray):
        arrays[prefix] = obj
        return {"__array__": prefix}
    if isinstance(obj, dict):
        return {"__map__": [[_key(k), _flatten(v, f"{prefix}/{k}", arrays, layout)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return {"__list__": [_flatten(v, f"{prefix}/{i}", arrays, layout) for i, v in enumerate(obj)], "tuple": isinstance(obj, tuple)}
    return _spec(obj)


def _key(k):
    if isinstance(k, (bool, str)) or k is None:
        return k
    if isinstance(k, numbers.Integral):
        return {"__int__": int(k)}
    raise TypeError(f"save: mapping keys must be str or int, got {type(k).__name__}")


def _unkey(k):
    return k["__int__"] if isinstance(k, dict) else k


def _unflatten(node, arrays):
    if isinstance(node, dict):
        if "__array__" in node:
            return arrays[node["__array__"]]
        if "__map__" in node:
            return OrderedDict((_unkey(k), _unflatten(v, arrays)) for k, v in node["__map__"])
        if "__list__" in node:
            items = [_unflatten(v, arrays) for v in node["__list__"]]
            return tuple(items) if node.get("tuple") else items
    return _build(node, None) if isinstance(node, dict) else node


def save(obj, path):
    """Save a module, a state dict or an optimizer state to one ``.npz`` file.

    A module is stored as its architecture (class and constructor arguments, when they are plain
    values or sigconv modules) plus its state dict, so :func:`load` returns a rebuilt module.

    Examples
    --------
    >>> import os, tempfile
    >>> from sigconv import nn
    >>> net = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    >>> path = os.path.join(tempfile.mkdtemp(), "net.npz")
    >>> nn.save(net, path)
    >>> again = nn.load(path)
    >>> bool((again[0].weight.numpy() == net[0].weight.numpy()).all())
    True
    """
    from sigconv.nn.modules import Module

    arrays = {}
    if isinstance(obj, Module):
        try:
            arch = _spec(obj)
        except _NotSerialisable:
            arch = None
        for k, v in obj.state_dict().items():
            arrays["state/" + k] = v.numpy()
        meta = {"format": _FORMAT, "kind": "module", "architecture": arch, "class": f"{type(obj).__module__}:{type(obj).__qualname__}"}
    else:
        layout = _flatten(obj, "data", arrays, None)
        meta = {"format": _FORMAT, "kind": "object", "layout": layout}
    arrays["__sigconv__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def load(path, model=None, classes=None):
    """Load what :func:`save` wrote.

    A saved module comes back rebuilt (its classes must be sigconv's or be named in ``classes``, a
    dict of name to class), or its weights are loaded into ``model`` when one is given. Anything
    else comes back as saved (mappings as dicts, tensors as numpy arrays).
    """
    with np.load(path, allow_pickle=False) as z:
        if "__sigconv__" not in z.files:
            raise ValueError(f"load: {path!r} was not written by sigconv.save")
        meta = json.loads(bytes(z["__sigconv__"]).decode())
        arrays = {k: z[k] for k in z.files if k != "__sigconv__"}
    if meta.get("kind") == "module":
        state = OrderedDict((k[len("state/") :], v) for k, v in arrays.items())
        if model is None:
            if meta.get("architecture") is None:
                raise ValueError(f"load: the model's constructor arguments could not be stored; pass model= (an instance of {meta['class']}) to load its weights")
            model = _build(meta["architecture"], classes)
        model.load_state_dict(state)
        return model
    obj = _unflatten(meta["layout"], arrays)
    if model is not None:
        model.load_state_dict(obj)
        return model
    return obj
