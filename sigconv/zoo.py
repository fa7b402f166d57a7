"""Training recipes: which model of :mod:`sigconv.models` trains on which data set of
:mod:`sigconv.data`, and with what settings: the one place they live, used by ``sigconv train``,
the demo and ``benches/train_accuracy.py`` (which measures that they reach issue 4's accuracy
targets).

>>> from sigconv import zoo
>>> sorted(zoo.RECIPES)[:2]
[('charcnn', 'phrases'), ('cnn1d', 'mnist1d')]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

__all__ = ["Recipe", "RECIPES", "MODELS", "DATASETS", "StepLR", "load_dataset", "recipe", "run", "Result"]

DATASETS = {
    "digits": "scikit-learn's 8x8 handwritten digits (1,797 images, 10 classes)",
    "mnist1d": "MNIST-1D, generated locally (5,000 signals of 40 samples, 10 classes)",
    "phrases": "language of 1-3 word phrases from wordfreq's lists (8 languages)",
}


class StepLR:
    """Multiply the learning rate by ``gamma`` every ``step`` epochs (torch's StepLR)."""

    def __init__(self, opt, step, gamma):
        self.opt, self.step_size, self.gamma, self.epoch = opt, step, gamma, 0

    def step(self):
        self.epoch += 1
        if self.epoch % self.step_size == 0:
            for g in self.opt.param_groups:
                g["lr"] *= self.gamma


@dataclass(frozen=True)
class Recipe:
    """How to train one model on one data set. ``task``: ``'classify'`` (cross-entropy, accuracy)
    or ``'denoise'`` (mean squared error against the clean input, PSNR)."""

    model: str
    dataset: str
    description: str
    build: Callable
    epochs: int
    batch_size: int
    lr: float
    weight_decay: float = 0.0
    step: Optional[tuple] = None  # (every n epochs, multiply lr by)
    task: str = "classify"
    options: dict = field(default_factory=dict)


def _lenet(meta):
    from sigconv.models import LeNet5

    return LeNet5(input_size=8)


def _resnet(meta):
    from sigconv.models import SmallResNet

    return SmallResNet(widths=(16, 32))


def _unet(meta):
    from sigconv.models import UNet

    return UNet(base=8, depth=2)


def _cnn1d(meta):
    from sigconv.models import TimeSeriesCNN

    return TimeSeriesCNN(length=40, channels=(32, 64, 64), kernel_size=5)


def _charcnn(meta):
    from sigconv.models import CharCNN

    return CharCNN(num_chars=meta["channels"], num_classes=meta["classes"], length=meta["length"], channels=128, dropout=0.2)


RECIPES = {
    ("lenet5", "digits"): Recipe("lenet5", "digits", "LeNet-5 (padded) on the 8x8 digits", _lenet, 30, 32, 3e-3, step=(20, 0.3)),
    ("resnet", "digits"): Recipe("resnet", "digits", "small ResNet (16, 32) on the 8x8 digits", _resnet, 15, 32, 2e-3, step=(8, 0.2)),
    ("unet", "digits"): Recipe("unet", "digits", "U-Net denoising the 8x8 digits (noise sigma 0.3)", _unet, 10, 32, 3e-3, task="denoise", options={"noise": 0.3}),
    ("cnn1d", "mnist1d"): Recipe("cnn1d", "mnist1d", "1-D CNN (TimeSeriesCNN) on MNIST-1D", _cnn1d, 20, 64, 3e-3, 1e-4, step=(8, 0.3)),
    ("charcnn", "phrases"): Recipe("charcnn", "phrases", "character CNN, language of a phrase", _charcnn, 12, 64, 2e-3, step=(6, 0.3)),
}
MODELS = sorted({m for m, _ in RECIPES})


def recipe(model: str, dataset: str) -> Recipe:
    """The recipe for ``model`` on ``dataset``; ValueError naming the valid pairs otherwise."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}; got {model!r}")
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {', '.join(DATASETS)}; got {dataset!r}")
    if (model, dataset) not in RECIPES:
        pairs = ", ".join(f"{m} on {d}" for m, d in RECIPES)
        raise ValueError(f"model {model!r} does not train on dataset {dataset!r}; the pairs are: {pairs}")
    return RECIPES[(model, dataset)]


def load_dataset(name: str, task: str = "classify", limit: Optional[int] = None, seed: int = 0, **options):
    """``(x_train, y_train, x_test, y_test, meta)`` ready for :func:`sigconv.train.fit`: phrases
    one-hot encoded; for ``task='denoise'`` the inputs noised (``noise`` sigma, seeded) and the
    targets the clean inputs. ``limit`` keeps the first samples of each part (quick runs)."""
    from sigconv import data

    meta = {}
    if name == "digits":
        xtr, ytr, xte, yte = data.digits()
    elif name == "mnist1d":
        xtr, ytr, xte, yte = data.mnist1d(num_samples=5000 if limit is None else max(10, 2 * limit))
    elif name == "phrases":
        d = data.language_phrases(n_per_language=1500 if limit is None else max(2, limit // 4))
        meta["length"] = 32
        xtr, xte = data.encode_chars(d.x_train, meta["length"]), data.encode_chars(d.x_test, meta["length"])
        ytr, yte = d.y_train, d.y_test
        meta["channels"], meta["classes"] = xtr.shape[1], len(data.LANGUAGES)
    else:
        raise ValueError(f"dataset must be one of {', '.join(DATASETS)}; got {name!r}")
    if limit is not None:
        xtr, ytr, xte, yte = xtr[:limit], ytr[:limit], xte[:limit], yte[:limit]
    if task == "denoise":
        rng = np.random.default_rng(seed)
        sigma = float(options.get("noise", 0.3))
        noisy = [(x + sigma * rng.standard_normal(x.shape)).astype(np.float32) for x in (xtr, xte)]
        xtr, ytr, xte, yte = noisy[0], xtr, noisy[1], xte
        meta["noise"] = sigma
    return xtr, ytr, xte, yte, meta


@dataclass
class Result:
    """A trained model: its :class:`~sigconv.train.History`, the held-out ``metrics`` (``acc``, or
    ``psnr_db`` and ``noisy_psnr_db`` for denoising), and the held-out data it was scored on."""

    recipe: Recipe
    model: object
    history: object
    metrics: dict
    x_test: np.ndarray
    y_test: np.ndarray


def _psnr(clean, estimate):
    mse = float(np.mean((np.asarray(estimate, np.float64) - clean) ** 2))
    peak = float(np.max(clean) - np.min(clean)) or 1.0
    return float(10 * np.log10(peak**2 / max(mse, 1e-300)))


def run(model: str, dataset: str, epochs=None, batch_size=None, lr=None, seed=0, limit=None, progress=True,
        device="cpu") -> Result:
    """Train ``model`` on ``dataset`` by its :func:`recipe` (``epochs``, ``batch_size``, ``lr``
    override it) from seeded weights; returns a :class:`Result`. ``device`` (``'cpu'``,
    ``'gpu'``, ``'auto'``) is where the network's convolution and pooling layers compute
    (:meth:`sigconv.nn.Module.to`)."""
    import sigconv
    from sigconv import nn, optim, train

    r = recipe(model, dataset)
    for name, v in (("epochs", epochs), ("batch_size", batch_size)):
        if v is not None and (not isinstance(v, (int, np.integer)) or v < 1):
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if lr is not None and not (isinstance(lr, (int, float)) and np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    xtr, ytr, xte, yte, meta = load_dataset(dataset, r.task, limit=limit, seed=seed, **r.options)
    sigconv.manual_seed(seed)
    net = r.build(meta).to(device)
    opt = optim.Adam(net.parameters(), lr=r.lr if lr is None else lr, weight_decay=r.weight_decay)
    loss = nn.CrossEntropyLoss() if r.task == "classify" else nn.MSELoss()
    sched = StepLR(opt, *r.step) if r.step else None
    hist = train.fit(net, (xtr, ytr), loss, opt, epochs=r.epochs if epochs is None else epochs,
                     val_data=(xte, yte), batch_size=r.batch_size if batch_size is None else batch_size,
                     scheduler=sched, progress=progress, seed=seed)
    if r.task == "classify":
        metrics = {"acc": train.evaluate(net, (xte, yte))["acc"]}
    else:
        metrics = {"psnr_db": _psnr(yte, train.predict(net, xte)), "noisy_psnr_db": _psnr(yte, xte)}
    return Result(r, net, hist, metrics, xte, yte)
