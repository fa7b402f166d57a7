"""One SGD training step (forward, loss, backward, update) of sigconv.nn against torch on the CPU.

Workloads (from issue 4, with its targets):
  lenet5   LeNet-5, batch 128, 1x32x32                                     target >= 1.5x torch
  cnn1d    Conv1d 1->16 k9, pool 4, Conv1d 16->32 k9, pool 4, Linear,
           batch 32, length 4096                                            target >= 1.5x torch
  conv64   two Conv2d 64->64 3x3 (+ReLU) + max pool 2 + Linear, batch 8,
           64x56x56                                                         target >= 1.0x torch

Both libraries start from the same weights and data and use the same number of threads; each step
is timed as the median of several after warm-up (benches/_harness.py). The losses of the warm-up
steps are compared, so a fast but wrong step shows. torch is not in the project's .venv: run with
an interpreter that has torch and sigconv, e.g.
    PYTHONPATH=$PWD /path/to/torch-env/bin/python benches/bench_train.py
Without torch only sigconv's times are printed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness  # noqa: E402

import sigconv  # noqa: E402
from sigconv import nn, optim  # noqa: E402
from sigconv.nn import functional as F  # noqa: E402

TARGETS = {"lenet5": 1.5, "cnn1d": 1.5, "conv64": 1.0}
TORCH_MS_IN_ISSUE = {"lenet5": 9.8, "cnn1d": 20.0, "conv64": 46.0}


def sig_models():
    return {
        "lenet5": (
            nn.Sequential(
                nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
            ),
            (128, 1, 32, 32),
        ),
        "cnn1d": (
            nn.Sequential(
                nn.Conv1d(1, 16, 9), nn.ReLU(), nn.MaxPool1d(4), nn.Conv1d(16, 32, 9), nn.ReLU(), nn.MaxPool1d(4),
                nn.Flatten(), nn.Linear(32 * 253, 10),
            ),
            (32, 1, 4096),
        ),
        "conv64": (
            nn.Sequential(
                nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Flatten(), nn.Linear(64 * 28 * 28, 10),
            ),
            (8, 64, 56, 56),
        ),
    }  # fmt: skip


def torch_model(torch, name, sig):
    t = torch.nn
    layers = {
        "lenet5": [t.Conv2d(1, 6, 5), t.ReLU(), t.MaxPool2d(2), t.Conv2d(6, 16, 5), t.ReLU(), t.MaxPool2d(2), t.Flatten(), t.Linear(400, 120), t.ReLU(), t.Linear(120, 84), t.ReLU(), t.Linear(84, 10)],
        "cnn1d": [t.Conv1d(1, 16, 9), t.ReLU(), t.MaxPool1d(4), t.Conv1d(16, 32, 9), t.ReLU(), t.MaxPool1d(4), t.Flatten(), t.Linear(32 * 253, 10)],
        "conv64": [t.Conv2d(64, 64, 3, padding=1), t.ReLU(), t.Conv2d(64, 64, 3, padding=1), t.ReLU(), t.MaxPool2d(2), t.Flatten(), t.Linear(64 * 28 * 28, 10)],
    }[name]
    m = t.Sequential(*layers)
    m.load_state_dict({k: torch.tensor(v.numpy()) for k, v in sig.state_dict().items()})
    return m


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--budget", type=float, default=10.0, help="seconds per measurement at most")
    ap.add_argument("--only", choices=sorted(TARGETS), nargs="*")
    ap.add_argument("--out", type=Path, default=Path("bench-results"))
    args = ap.parse_args(argv)

    torch = _harness.optional_import("torch")
    env = _harness.environment(["numpy", "torch"])
    _harness.print_environment(env)
    threads = sigconv.info()["threads"]
    if torch is not None:
        torch.set_num_threads(threads)
    print(f"threads: {threads} (torch set to the same)")

    rows = []
    failed = False
    rng = np.random.default_rng(0)
    for name, (model, shape) in sig_models().items():
        if args.only and name not in args.only:
            continue
        x = rng.standard_normal(shape).astype(np.float32)
        y = rng.integers(0, 10, shape[0])
        opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        tm = torch_model(torch, name, model) if torch is not None else None
        xs = sigconv.tensor(x)

        def sig_step():
            opt.zero_grad()
            loss = F.cross_entropy(model(xs), y)
            loss.backward()
            opt.step()
            return float(loss)

        row = {"workload": name, "shape": "x".join(map(str, shape))}
        t_sig = _harness.measure(sig_step, args.repeats, args.budget)
        row["sigconv_ms"] = t_sig.ms
        if tm is not None:
            topt = torch.optim.SGD(tm.parameters(), lr=0.01, momentum=0.9)
            xt, yt = torch.tensor(x), torch.tensor(y)

            def torch_step():
                topt.zero_grad()
                loss = torch.nn.functional.cross_entropy(tm(xt), yt)
                loss.backward()
                topt.step()
                return loss.item()

            t_torch = _harness.measure(torch_step, args.repeats, args.budget)
            row["torch_ms"] = t_torch.ms
            row["ratio"] = t_torch.ms / t_sig.ms
            row["loss_diff"] = abs(t_sig.result - t_torch.result)
            row["met"] = "yes" if row["ratio"] >= TARGETS[name] else "NO"
            if row["loss_diff"] > 1e-3 * max(1.0, abs(t_torch.result)):
                failed = True
                row["met"] = "WRONG"
        row["target"] = f">= {TARGETS[name]}x (torch {TORCH_MS_IN_ISSUE[name]} ms in the issue)"
        rows.append(row)

    cols = [
        ("workload", "workload", None),
        ("shape", "input", None),
        ("sigconv_ms", "sigconv ms", _harness.fmt_ms),
        ("torch_ms", "torch ms", _harness.fmt_ms),
        ("ratio", "torch/sigconv", _harness.fmt_ratio),
        ("loss_diff", "|loss diff|", _harness.fmt_err),
        ("met", "target met", lambda v: v or "-"),
        ("target", "target", None),
    ]
    _harness.print_table(rows, cols, title="one SGD step (forward + backward + update), median ms")
    _harness.save_json(args.out / "bench_train.json", {"environment": env, "rows": rows})
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
