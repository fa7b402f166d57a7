"""Inspection of networks: per-layer summary (neurons, connections, parameters) and receptive fields."""

from __future__ import annotations

import numpy as np

from sigconv import autograd as _ag
from sigconv.autograd import Tensor

__all__ = ["summary", "receptive_field", "Summary", "ReceptiveField"]


def _prod(t):
    return int(np.prod(t)) if len(t) else 1


def _weights_per_neuron(m):
    """Incoming weights of one output unit of layer ``m`` plus its bias (0 for weightless layers)."""
    from sigconv.nn import modules as M

    bias = 1 if getattr(m, "bias", None) is not None else 0
    if isinstance(m, M._ConvNd):
        per_group = m.weight.shape[1] if not m._transposed else m.in_channels // m.groups
        if m._transposed:
            # an output sample collects ceil(k / stride) taps per axis from each input channel
            taps = _prod([-(-k // s) for k, s in zip(m.kernel_size, m.stride)])
        else:
            taps = _prod(m.kernel_size)
        return per_group * taps + bias
    if isinstance(m, M.Linear):
        return m.in_features + bias
    if isinstance(m, M._BatchNorm):
        return 2 if m.affine else 0
    if isinstance(m, M.Embedding):
        return 1
    own = [p for p in m._parameters.values() if p is not None]
    if own:
        # a custom layer: count its parameters as feeding each output unit equally
        return -1
    return 0


class Summary:
    """What :func:`summary` returns: ``rows`` (a list of dicts), ``totals`` (a dict), and a table
    when printed."""

    columns = ("name", "type", "output_shape", "weights_per_neuron", "neurons", "connections", "parameters")

    def __init__(self, rows, totals, input_shape):
        self.rows, self.totals, self.input_shape = rows, totals, input_shape

    def __getitem__(self, i):
        return self.rows[i]

    def __len__(self):
        return len(self.rows)

    def __str__(self):
        header = ["layer", "type", "output shape", "weights/neuron", "neurons", "connections", "parameters"]
        body = [
            [r["name"], r["type"], str(tuple(r["output_shape"])), f"{r['weights_per_neuron']:,}", f"{r['neurons']:,}", f"{r['connections']:,}", f"{r['parameters']:,}"]
            for r in self.rows
        ]
        t = self.totals
        foot = ["total", "", "", "", f"{t['neurons']:,}", f"{t['connections']:,}", f"{t['parameters']:,}"]
        widths = [max(len(row[i]) for row in [header, foot] + body) for i in range(len(header))]

        def fmt(row):
            cells = [row[i].ljust(widths[i]) if i < 3 else row[i].rjust(widths[i]) for i in range(len(row))]
            return "  ".join(cells).rstrip()

        rule = "-" * len(fmt(header))
        lines = [f"input shape {tuple(self.input_shape)}", fmt(header), rule] + [fmt(r) for r in body] + [rule, fmt(foot)]
        lines.append(f"trainable parameters: {t['trainable_parameters']:,}")
        return "\n".join(lines)

    __repr__ = __str__


def _leaf_layers(model):
    out = []
    for name, m in model.named_modules():
        has_children = any(True for _ in m.children())
        own = any(p is not None for p in m._parameters.values())
        if not has_children or own:
            out.append((name or type(m).__name__, m))
    return out


def _trace(model, input_shape, dtype):
    """Run one forward pass on zeros with hooks on the layers; returns [(name, module, output)]."""
    calls = []
    handles = []
    for name, m in _leaf_layers(model):
        handles.append(m.register_forward_hook(lambda mod, inp, out, name=name: calls.append((name, mod, inp, out))))
    was_training = model.training
    model.eval()
    try:
        x = Tensor(np.zeros(tuple(input_shape), dtype=dtype))
        with _ag.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return calls


def _batched(input_shape):
    shape = tuple(int(s) for s in input_shape)
    return shape


def summary(model, input_shape, dtype=np.float32):
    """One row per layer: output shape, weights per neuron, neurons, connections, parameters.

    ``input_shape`` is the shape of one sample without the batch axis, e.g. ``(1, 32, 32)``; the
    model runs once on a batch of one zero sample (in eval mode). ``weights_per_neuron`` counts the
    incoming weights of one output unit plus its bias, ``neurons`` the layer's output units per
    sample, ``connections`` their product, and ``parameters`` the independent parameters first used
    by that layer (a weight shared by several layers, or a layer called twice, is counted once).

    Examples
    --------
    >>> from sigconv import nn
    >>> net = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(6 * 14 * 14, 10))
    >>> s = nn.summary(net, (1, 32, 32))
    >>> s.rows[0]["connections"], s.totals["parameters"]
    (122304, 11926)
    """
    shape = (1,) + _batched(input_shape)
    calls = _trace(model, shape, dtype)
    seen = set()
    rows = []
    for name, m, _inp, out in calls:
        outs = out if isinstance(out, tuple) else (out,)
        out_shape = tuple(outs[0].shape)[1:]
        neurons = _prod(out_shape)
        params = 0
        for p in m._parameters.values():
            if p is not None and id(p) not in seen:
                seen.add(id(p))
                params += p.numel()
        wpn = _weights_per_neuron(m)
        if wpn < 0:
            own = sum(p.numel() for p in m._parameters.values() if p is not None)
            wpn = max(own // max(neurons, 1), 1)
        rows.append(
            {
                "name": name,
                "type": type(m).__name__,
                "output_shape": out_shape,
                "weights_per_neuron": int(wpn),
                "neurons": int(neurons),
                "connections": int(neurons * wpn),
                "parameters": int(params),
            }
        )
    all_params = list(model.parameters())
    totals = {
        "neurons": sum(r["neurons"] for r in rows if r["weights_per_neuron"] > 0),
        "connections": sum(r["connections"] for r in rows),
        "parameters": sum(p.numel() for p in all_params),
        "trainable_parameters": sum(p.numel() for p in all_params if p.requires_grad),
    }
    return Summary(rows, totals, input_shape)


class ReceptiveField:
    """What :func:`receptive_field` returns: ``rows`` per layer and the final ``size``, ``jump``
    (input samples between neighbouring outputs) and ``start`` (centre of the first output's field)."""

    def __init__(self, rows, input_shape):
        self.rows, self.input_shape = rows, input_shape
        last = rows[-1] if rows else {"size": (1,) * (len(input_shape) - 1), "jump": (1,) * (len(input_shape) - 1), "start": (0.0,) * (len(input_shape) - 1)}
        self.size, self.jump, self.start = last["size"], last["jump"], last["start"]

    def __str__(self):
        lines = [f"{'layer':<20} {'type':<18} {'output shape':<18} {'receptive field':<16} {'jump':<10} start"]
        for r in self.rows:
            lines.append(f"{r['name']:<20} {r['type']:<18} {str(r['output_shape']):<18} {str(r['size']):<16} {str(r['jump']):<10} {r['start']}")
        return "\n".join(lines)

    __repr__ = __str__


def _geometry(m, nd):
    """(kernel, stride, padding, dilation) of a sliding-window layer, or None; scale for resamplers."""
    from sigconv.nn import modules as M

    def tup(v):
        return tuple(v) if isinstance(v, (tuple, list)) else (v,) * nd

    if isinstance(m, M._ConvNd) and not m._transposed:
        k = m.kernel_size
        pad = m.padding
        if pad == "same":
            pad = tuple((d * (kk - 1)) // 2 for d, kk in zip(m.dilation, k))
        elif pad == "valid":
            pad = (0,) * nd
        return ("window", k, m.stride, pad, m.dilation)
    if isinstance(m, (M._PoolNd,)):
        return ("window", tup(m.kernel_size), tup(m.stride), tup(m.padding), tup(m.dilation))
    if isinstance(m, M._AvgPoolNd):
        return ("window", tup(m.kernel_size), tup(m.stride), tup(m.padding), (1,) * nd)
    if isinstance(m, M._ConvNd) and m._transposed:
        return ("up", m.stride, m.kernel_size)
    if isinstance(m, (M._MaxUnpoolNd,)):
        return ("up", tup(m.stride), tup(m.kernel_size))
    if isinstance(m, M.Upsample) and m.scale_factor is not None:
        return ("up", tuple(int(s) for s in tup(m.scale_factor)), (1,) * nd)
    return None


def receptive_field(model, input_shape):
    """Receptive field, jump and start of every sliding-window layer, in input samples per axis.

    ``input_shape`` is one sample's shape without the batch axis, e.g. ``(1, 32, 32)``. Layers are
    taken in the order the forward pass calls them, composing ``r_out = r_in + (d (k - 1)) j_in``,
    ``j_out = j_in s``, ``start_out = start_in + ((d (k - 1)) / 2 - p) j_in``. This is exact for a
    chain of layers; for a network with branches (residual or U-Net skips) it follows every layer in
    call order, an upper bound for the deepest path. Dense layers see the whole input.

    Examples
    --------
    >>> from sigconv import nn
    >>> net = nn.Sequential(nn.Conv2d(1, 6, 5), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.MaxPool2d(2))
    >>> nn.receptive_field(net, (1, 32, 32)).size
    (16, 16)
    """
    shape = (1,) + _batched(input_shape)
    nd = len(shape) - 2
    calls = _trace(model, shape, np.float32)
    size = [1] * nd
    jump = [1.0] * nd
    start = [0.5] * nd  # centre of the first input sample, in sample units
    rows = []
    for name, m, _inp, out in calls:
        g = _geometry(m, nd)
        if g is None:
            continue
        if g[0] == "window":
            _, k, s, p, d = g
            for i in range(nd):
                eff = d[i] * (k[i] - 1) + 1
                size[i] = size[i] + (eff - 1) * jump[i]
                start[i] = start[i] + ((eff - 1) / 2 - p[i]) * jump[i]
                jump[i] = jump[i] * s[i]
        else:
            _, s, k = g
            for i in range(nd):
                jump[i] = jump[i] / s[i]
                size[i] = size[i] + max(-(-k[i] // s[i]) - 1, 0) * jump[i] * s[i]
        outs = out if isinstance(out, tuple) else (out,)
        rows.append(
            {
                "name": name,
                "type": type(m).__name__,
                "output_shape": tuple(outs[0].shape)[1:],
                "size": tuple(_num(v) for v in size),
                "jump": tuple(_num(v) for v in jump),
                "start": tuple(float(v) - 0.5 for v in start),
            }
        )
    return ReceptiveField(rows, input_shape)


def _num(v):
    return int(v) if float(v).is_integer() else float(v)
