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

from sigconv import zoo  # noqa: E402


def _runner(model, dataset):
    """Trains by the package's recipe (sigconv.zoo: the one place the settings live)."""

    def run(progress):
        r = zoo.run(model, dataset, progress=progress)
        return r.model, r.history, r.metrics["acc"], len(r.y_test)

    return run


run_digits = _runner("resnet", "digits")
run_mnist1d = _runner("cnn1d", "mnist1d")
run_text = _runner("charcnn", "phrases")


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
