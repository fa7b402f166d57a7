"""Pictures of networks with matplotlib (Agg backend, PNG files): learned first-layer filters,
feature maps for one input, and training curves."""

from __future__ import annotations

import numpy as np

from sigconv import autograd as _ag
from sigconv.autograd import Tensor

__all__ = ["filters", "feature_maps", "training_curves"]


def _plt():
    import matplotlib

    if matplotlib.get_backend().lower() != "agg":
        try:
            matplotlib.use("Agg")
        except Exception:  # pragma: no cover - a backend already in use stays
            pass
    import matplotlib.pyplot as plt

    return plt


def _first_conv(model):
    from sigconv.nn.modules import _ConvNd

    for _, m in model.named_modules():
        if isinstance(m, _ConvNd):
            return m
    raise ValueError("the model has no convolution layer")


def _grid(n):
    cols = int(np.ceil(np.sqrt(n)))
    return int(np.ceil(n / cols)), cols


def _save(fig, path):
    if path is not None:
        fig.savefig(path, dpi=100, bbox_inches="tight")
    return fig


def filters(model_or_weight, path=None, title="first-layer filters", max_filters=64):
    """The kernels of the model's first convolution (or a weight array ``(out, in, ...)``): 2-D
    kernels as images (channel mean for several inputs), 1-D kernels as curves."""
    plt = _plt()
    w = model_or_weight
    if not isinstance(w, (np.ndarray, Tensor)):
        w = _first_conv(w).weight
    w = w.numpy() if isinstance(w, Tensor) else np.asarray(w)  # a GPU weight is copied back
    w = w[:max_filters]
    rows, cols = _grid(len(w))
    fig, axes = plt.subplots(rows, cols, figsize=(1.4 * cols, 1.4 * rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= len(w):
            ax.axis("off")
            continue
        k = w[i]
        if k.ndim == 3:
            img = k.mean(axis=0) if k.shape[0] != 3 else np.moveaxis((k - k.min()) / (np.ptp(k) + 1e-12), 0, -1)
            ax.imshow(img, cmap=None if img.ndim == 3 else "gray", interpolation="nearest")
        else:
            for ch in k:
                ax.plot(ch, lw=1)
    fig.suptitle(title)
    return _save(fig, path)


def feature_maps(model, x, layer=None, path=None, max_maps=32, title=None):
    """The activations of ``layer`` (a module of ``model``, default: the first convolution) for
    one input sample ``x`` (``(C, ...)`` or ``(1, C, ...)``)."""
    plt = _plt()
    target = _first_conv(model) if layer is None else layer
    x = x._data if isinstance(x, Tensor) else np.asarray(x)
    if x.ndim in (2, 3) and (x.ndim == 2 or target.__class__.__name__.endswith("2d")):
        x = x[None]
    store = []
    handle = target.register_forward_hook(lambda m, i, o: store.append(o.numpy() if isinstance(o, Tensor) else np.asarray(o)))
    was = model.training
    model.eval()
    try:
        with _ag.no_grad():
            sample = Tensor(np.ascontiguousarray(x))
            model(sample.to("gpu") if getattr(model, "compute_device", "cpu") == "gpu" else sample)
    finally:
        handle.remove()
        model.train(was)
    if not store:
        raise ValueError("the layer was not called by the model's forward pass")
    maps = store[0][0][:max_maps]
    rows, cols = _grid(len(maps))
    fig, axes = plt.subplots(rows, cols, figsize=(1.6 * cols, 1.6 * rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= len(maps):
            ax.axis("off")
            continue
        if maps[i].ndim == 2:
            ax.imshow(maps[i], cmap="viridis", interpolation="nearest")
        else:
            ax.plot(maps[i], lw=1)
    fig.suptitle(title or f"feature maps of {type(target).__name__}")
    return _save(fig, path)


def training_curves(history, path=None, title=None):
    """Loss (and accuracy, when tracked) per epoch for training and validation data."""
    plt = _plt()
    h = history.history if hasattr(history, "history") else dict(history)
    epochs = getattr(history, "epochs", None) or list(range(1, len(h.get("loss", [])) + 1))
    has_acc = "acc" in h or "val_acc" in h
    fig, axes = plt.subplots(1, 2 if has_acc else 1, figsize=(10 if has_acc else 5, 3.6), squeeze=False)
    ax = axes[0, 0]
    for key, label in (("loss", "train"), ("val_loss", "validation")):
        if key in h:
            ax.plot(epochs, h[key], marker="o", label=label)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend()
    if has_acc:
        ax = axes[0, 1]
        for key, label in (("acc", "train"), ("val_acc", "validation")):
            if key in h:
                ax.plot(epochs, h[key], marker="o", label=label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel("accuracy")
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)
