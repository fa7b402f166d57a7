"""Training in one call: :func:`fit` with seeded batching, a progress line, a :class:`History`, and
evaluation helpers (:func:`evaluate`, :func:`accuracy`, :func:`confusion_matrix`, :func:`predict`);
image augmentation (:func:`random_crop`, :func:`random_flip`, :func:`intensity_jitter`,
:func:`augment`)."""

from __future__ import annotations

import sys
import time

import numpy as np

from sigconv import _progress
from sigconv import autograd as _ag
from sigconv.autograd import Tensor

__all__ = [
    "fit",
    "evaluate",
    "predict",
    "accuracy",
    "confusion_matrix",
    "History",
    "random_crop",
    "random_flip",
    "intensity_jitter",
    "augment",
]


def _arrays(data, name):
    if data is None:
        return None
    if isinstance(data, (tuple, list)) and len(data) == 2:
        x, y = data
    else:
        raise ValueError(f"{name} must be a pair (x, y) of arrays, got {type(data).__name__}")
    x = x._data if isinstance(x, Tensor) else np.asarray(x)
    y = y._data if isinstance(y, Tensor) else np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"{name}: x has {len(x)} samples but y has {len(y)}")
    return x, y


class History:
    """Per-epoch metrics of :func:`fit`: ``history['loss']``, ``'acc'``, ``'val_loss'``, ``'val_acc'``,
    ``'time'``; :meth:`plot` draws the training curves."""

    def __init__(self):
        self.history = {}
        self.epochs = []

    def append(self, epoch, **metrics):
        self.epochs.append(epoch)
        for k, v in metrics.items():
            self.history.setdefault(k, []).append(v)

    def __getitem__(self, key):
        return self.history[key]

    def __contains__(self, key):
        return key in self.history

    def plot(self, path=None, title=None):
        """Loss and accuracy against epoch (training and validation); saved to ``path`` as PNG when
        given. Returns the matplotlib figure."""
        from sigconv import plot

        return plot.training_curves(self, path=path, title=title)

    def __repr__(self):
        last = {k: v[-1] for k, v in self.history.items()} if self.epochs else {}
        return f"History(epochs={len(self.epochs)}, last={last})"


def _is_classification(y):
    return y.dtype.kind in "iu" and y.ndim == 1


def _on_model_device(model, a):
    """``a`` as a tensor where ``model`` lives: moved into GPU memory for a model on the GPU."""
    t = a if isinstance(a, Tensor) else _ag._wrap(np.asarray(a))
    return t.to("gpu") if getattr(model, "compute_device", "cpu") == "gpu" else t


def _batch_loss(model, loss_fn, xb, yb):
    out = model(_on_model_device(model, xb))
    loss = loss_fn(out, _on_model_device(model, yb))
    return out, loss


class _Progress:
    """A one-line progress bar on stderr (plain text, redrawn with a carriage return)."""

    def __init__(self, enabled, total, epoch, epochs, stream=None):
        self.enabled, self.total, self.epoch, self.epochs = enabled, total, epoch, epochs
        self.stream = stream or sys.stderr
        self.start = time.perf_counter()
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def update(self, done, loss, acc):
        if not self.enabled or not self.tty:
            return
        acc_s = f" acc {acc:.3f}" if acc is not None else ""
        self.stream.write(f"\repoch {self.epoch}/{self.epochs} {_progress.bar(done, self.total)} {done}/{self.total} loss {loss:.4f}{acc_s}")
        self.stream.flush()

    def close(self, metrics):
        if not self.enabled:
            return
        parts = [f"{k} {v:.4f}" for k, v in metrics.items() if k != "time"]
        line = f"epoch {self.epoch}/{self.epochs} {time.perf_counter() - self.start:.1f}s " + " ".join(parts)
        self.stream.write(("\r" if self.tty else "") + line + "\n")
        self.stream.flush()


def fit(model, train_data, loss, optimizer, epochs=1, val_data=None, batch_size=32, shuffle=True, seed=0, progress=True, augment=None, scheduler=None):
    """Train ``model`` on ``train_data = (x, y)`` for ``epochs`` passes; returns a :class:`History`.

    Each epoch shuffles the samples (seeded by ``seed`` and the epoch number), cuts them into batches
    of ``batch_size`` (the last one may be smaller), and per batch runs forward, ``loss(output, y)``,
    backward and ``optimizer.step()``. With integer class labels ``y`` the accuracy is tracked too.
    ``val_data`` is evaluated after every epoch in eval mode. ``augment(x_batch, rng)`` (see
    :func:`augment`) transforms each training batch. ``progress`` prints a line per epoch (and a
    live bar on a terminal) to stderr.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import nn, optim, train
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((64, 2)).astype(np.float32)
    >>> y = (x[:, 0] > 0).astype(np.int64)
    >>> net = nn.Linear(2, 2)
    >>> h = train.fit(net, (x, y), nn.CrossEntropyLoss(), optim.SGD(net.parameters(), lr=0.5), epochs=5, progress=False)
    >>> h["loss"][-1] < h["loss"][0]
    True
    """
    x, y = _arrays(train_data, "train_data")
    val = _arrays(val_data, "val_data")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
    history = History()
    classify = _is_classification(y)
    n = len(x)
    for epoch in range(1, epochs + 1):
        rng = np.random.default_rng([seed, epoch])
        order = rng.permutation(n) if shuffle else np.arange(n)
        model.train()
        t0 = time.perf_counter()
        total_loss, correct, seen = 0.0, 0, 0
        bar = _Progress(progress, n, epoch, epochs)
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            xb, yb = x[idx], y[idx]
            if augment is not None:
                xb = augment(xb, rng)
            optimizer.zero_grad()
            out, lval = _batch_loss(model, loss, xb, yb)
            lval.backward()
            optimizer.step()
            b = len(idx)
            total_loss += float(lval) * b
            seen += b
            if classify:  # the predicted classes (argmax on the model's device) come back
                correct += int((out.argmax(1).numpy() == yb).sum())
            bar.update(seen, total_loss / seen, correct / seen if classify else None)
        if scheduler is not None:
            scheduler.step()
        metrics = {"loss": total_loss / max(seen, 1)}
        if classify:
            metrics["acc"] = correct / max(seen, 1)
        if val is not None:
            ev = evaluate(model, val, loss, batch_size=max(batch_size, 256))
            metrics["val_loss"] = ev["loss"]
            if "acc" in ev:
                metrics["val_acc"] = ev["acc"]
        metrics["time"] = time.perf_counter() - t0
        history.append(epoch, **metrics)
        bar.close(metrics)
    return history


def predict(model, x, batch_size=256):
    """The model's outputs for ``x`` (numpy), in eval mode and without a graph."""
    x = x._data if isinstance(x, Tensor) else np.asarray(x)
    was = model.training
    model.eval()
    outs = []
    try:
        with _ag.no_grad():
            for s in range(0, len(x), batch_size):
                outs.append(model(_on_model_device(model, x[s : s + batch_size])).numpy())
    finally:
        model.train(was)
    return np.concatenate(outs) if outs else np.zeros((0,))


def evaluate(model, data, loss=None, batch_size=256):
    """``{'loss': mean loss, 'acc': accuracy}`` of ``model`` on ``data = (x, y)`` (eval mode)."""
    x, y = _arrays(data, "data")
    out = predict(model, x, batch_size)
    res = {}
    if loss is not None:
        with _ag.no_grad():
            res["loss"] = float(loss(_ag._wrap(out), _ag._wrap(y))._data)
    if _is_classification(y):
        res["acc"] = accuracy(out, y)
    return res


def accuracy(output, target):
    """Share of rows whose largest logit (or given label) equals ``target``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import train
    >>> train.accuracy(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1]))
    0.5
    """
    out = output._data if isinstance(output, Tensor) else np.asarray(output)
    t = target._data if isinstance(target, Tensor) else np.asarray(target)
    pred = out.argmax(axis=1) if out.ndim > 1 else out
    if len(pred) != len(t):
        raise ValueError(f"output has {len(pred)} rows but target has {len(t)}")
    return float((pred == t).mean()) if len(t) else 0.0


def confusion_matrix(output, target, num_classes=None):
    """``m[i, j]`` = number of samples of true class ``i`` predicted as ``j`` (int64).

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import train
    >>> train.confusion_matrix(np.array([0, 1, 1]), np.array([0, 0, 1]))
    array([[1, 1],
           [0, 1]])
    """
    out = output._data if isinstance(output, Tensor) else np.asarray(output)
    t = (target._data if isinstance(target, Tensor) else np.asarray(target)).astype(np.int64)
    pred = (out.argmax(axis=1) if out.ndim > 1 else out).astype(np.int64)
    k = int(num_classes) if num_classes is not None else int(max(pred.max(initial=0), t.max(initial=0))) + 1
    m = np.zeros((k, k), np.int64)
    np.add.at(m, (t, pred), 1)
    return m


# ---- augmentation ----------------------------------------------------------------------------
def _rng(seed_or_rng):
    return seed_or_rng if isinstance(seed_or_rng, np.random.Generator) else np.random.default_rng(seed_or_rng)


def random_crop(x, padding=2, rng=None, size=None):
    """Pad a batch ``(N, C, H, W)`` with zeros by ``padding`` and cut a random window of the
    original size (or ``size``) per image (seeded through ``rng``, a Generator or a seed)."""
    x = np.asarray(x)
    g = _rng(rng)
    n, _, h, w = x.shape
    oh, ow = (h, w) if size is None else size
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    top = g.integers(0, h + 2 * padding - oh + 1, n)
    left = g.integers(0, w + 2 * padding - ow + 1, n)
    rows = top[:, None] + np.arange(oh)[None]
    cols = left[:, None] + np.arange(ow)[None]
    return xp[np.arange(n)[:, None, None, None], np.arange(x.shape[1])[None, :, None, None], rows[:, None, :, None], cols[:, None, None, :]]


def random_flip(x, p=0.5, rng=None):
    """Mirror each image of ``(N, C, H, W)`` left-right with probability ``p``."""
    x = np.array(x)
    g = _rng(rng)
    flip = g.random(len(x)) < p
    x[flip] = x[flip][..., ::-1]
    return x


def intensity_jitter(x, brightness=0.1, contrast=0.1, rng=None):
    """Per image: scale by ``1 + U(-contrast, contrast)`` and shift by ``U(-brightness, brightness)``."""
    x = np.asarray(x)
    g = _rng(rng)
    shape = (len(x),) + (1,) * (x.ndim - 1)
    scale = 1 + g.uniform(-contrast, contrast, shape)
    shift = g.uniform(-brightness, brightness, shape)
    return (x * scale + shift).astype(x.dtype)


def augment(crop_padding=0, flip=False, brightness=0.0, contrast=0.0):
    """An ``augment(x, rng)`` callable for :func:`fit` chaining the chosen image transforms.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import train
    >>> aug = train.augment(crop_padding=1, flip=True, brightness=0.1)
    >>> aug(np.zeros((4, 1, 8, 8), np.float32), np.random.default_rng(0)).shape
    (4, 1, 8, 8)
    """

    def apply(x, rng):
        if crop_padding:
            x = random_crop(x, crop_padding, rng)
        if flip:
            x = random_flip(x, 0.5, rng)
        if brightness or contrast:
            x = intensity_jitter(x, brightness, contrast, rng)
        return np.ascontiguousarray(x)

    return apply
