"""Accuracy on held-out data after training from scratch (issue 4's targets), each run timed.

  digits    SmallResNet (16, 32 channels) on scikit-learn's 8x8 digits          target >= 98%
            (LeNet-5 with padded convolutions reaches about 95-96% on these 8x8 images)
  mnist1d   TimeSeriesCNN on MNIST-1D (5,000 samples, the published split)        target >= 94%
  text      CharCNN on language identification of 1-3 word phrases (8 languages,
            wordfreq's word lists; chance 12.5%)                                  target: well above chance

Everything is seeded; each run should take under 2 minutes on 2 cores. Prints a table, writes
bench-results/train_accuracy.json and the training curves as PNG, and exits with status 1 when a
target is missed.

    .venv/bin/python benches/train_accuracy.py            # all three
    .venv/bin/python benches/train_accuracy.py --only digits
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness  # noqa: E402

import sigconv  # noqa: E402
from sigconv import data, models, nn, optim, train  # noqa: E402


class StepLR:
    """Multiply the learning rate by ``gamma`` every ``step`` epochs."""

    def __init__(self, opt, step, gamma):
        self.opt, self.step_size, self.gamma, self.epoch = opt, step, gamma, 0

    def step(self):
        self.epoch += 1
        if self.epoch % self.step_size == 0:
            for g in self.opt.param_groups:
                g["lr"] *= self.gamma


def run_digits(progress):
    sigconv.manual_seed(0)
    d = data.digits(test_size=0.2, seed=0)
    model = models.SmallResNet(widths=(16, 32))
    opt = optim.Adam(model.parameters(), lr=2e-3)
    h = train.fit(
        model, (d.x_train, d.y_train), nn.CrossEntropyLoss(), opt, epochs=15, val_data=(d.x_test, d.y_test),
        batch_size=32, scheduler=StepLR(opt, 8, 0.2), progress=progress,
    )  # fmt: skip
    return model, h, train.evaluate(model, (d.x_test, d.y_test))["acc"], len(d.y_test)


def run_mnist1d(progress):
    sigconv.manual_seed(0)
    d = data.mnist1d()
    model = models.TimeSeriesCNN(length=40, channels=(32, 64, 64), kernel_size=5)
    opt = optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
    h = train.fit(
        model, (d.x_train, d.y_train), nn.CrossEntropyLoss(), opt, epochs=20, val_data=(d.x_test, d.y_test),
        batch_size=64, scheduler=StepLR(opt, 8, 0.3), progress=progress,
    )  # fmt: skip
    return model, h, train.evaluate(model, (d.x_test, d.y_test))["acc"], len(d.y_test)


def run_text(progress):
    sigconv.manual_seed(0)
    d = data.language_phrases()
    length = 32
    xtr, xte = data.encode_chars(d.x_train, length), data.encode_chars(d.x_test, length)
    model = models.CharCNN(num_chars=xtr.shape[1], num_classes=len(data.LANGUAGES), length=length, channels=128, dropout=0.2)
    opt = optim.Adam(model.parameters(), lr=2e-3)
    h = train.fit(
        model, (xtr, d.y_train), nn.CrossEntropyLoss(), opt, epochs=12, val_data=(xte, d.y_test),
        batch_size=64, scheduler=StepLR(opt, 6, 0.3), progress=progress,
    )  # fmt: skip
    return model, h, train.evaluate(model, (xte, d.y_test))["acc"], len(d.y_test)


RUNS = {
    "digits": (run_digits, 0.98, "SmallResNet on sklearn digits"),
    "mnist1d": (run_mnist1d, 0.94, "TimeSeriesCNN on MNIST-1D"),
    "text": (run_text, 0.5, "CharCNN, language of a phrase (chance 0.125)"),
}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=sorted(RUNS), nargs="*")
    ap.add_argument("--out", type=Path, default=Path("bench-results"))
    ap.add_argument("--quiet", action="store_true", help="no per-epoch lines")
    args = ap.parse_args(argv)
    env = _harness.environment(["numpy"])
    _harness.print_environment(env)
    rows, missed = [], False
    for name, (fn, target, what) in RUNS.items():
        if args.only and name not in args.only:
            continue
        t0 = time.perf_counter()
        model, hist, acc, n_test = fn(not args.quiet)
        secs = time.perf_counter() - t0
        args.out.mkdir(parents=True, exist_ok=True)
        hist.plot(args.out / f"train_{name}.png", title=what)
        ok = acc >= target and secs < 120
        missed |= not ok
        rows.append({"run": name, "model": what, "test_samples": n_test, "accuracy": acc, "target": target, "seconds": secs, "met": "yes" if ok else "NO"})
    cols = [
        ("run", "run", None),
        ("model", "model", None),
        ("test_samples", "held out", str),
        ("accuracy", "accuracy", lambda v: f"{100 * v:.2f}%"),
        ("target", "target", lambda v: f">= {100 * v:.0f}%"),
        ("seconds", "train s", lambda v: f"{v:.1f}"),
        ("met", "met (and < 120 s)", None),
    ]
    _harness.print_table(rows, cols, title="held-out accuracy after training from scratch")
    _harness.save_json(args.out / "train_accuracy.json", {"environment": env, "rows": rows})
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
