"""Convolution-layer kernels: sigconv.nn._conv against torch CPU (same threads), per layer and pass.

Layers of three networks (float32, NCHW / NCL):

* LeNet-5, batch 128, 1x32x32: conv 1->6 k5 (28x28 out), conv 6->16 k5 on 6x14x14;
* a 1-D CNN, batch 32, length 4096: Conv1d 1->16 k9, then Conv1d 16->32 k9 on length 1022
  (after a pool of 4);
* Conv2d 64->64 3x3 padding 1, batch 8, 64x56x56 (two such layers in the network).

Each pass is timed for sigconv and, when importable, torch (``torch.set_num_threads`` = sigconv's
threads; the backward passes through ``torch.ops.aten.convolution_backward``, which autograd
calls): forward, backward-data (grad_input), backward-weight (grad_weight and grad_bias), and
the training total (a network's first layer needs no grad_input). Ratios are torch ms / sigconv ms
(above 1: sigconv is faster); GFLOP/s counts 2 flops per multiply-add. Every result is checked
against torch's (or, without torch, against sigconv's float64 result).

    python benches/bench_conv.py [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402

from sigconv import _core  # noqa: E402
from sigconv.nn import _conv as C  # noqa: E402

LAYERS = [
    # name, network, nd, input shape, weight shape, padding, first layer of its network
    ("lenet conv1 1->6 k5", "LeNet-5", 2, (128, 1, 32, 32), (6, 1, 5, 5), 0, True),
    ("lenet conv2 6->16 k5", "LeNet-5", 2, (128, 6, 14, 14), (16, 6, 5, 5), 0, False),
    ("1d conv1 1->16 k9", "1-D CNN", 1, (32, 1, 4096), (16, 1, 9), 0, True),
    ("1d conv2 16->32 k9", "1-D CNN", 1, (32, 16, 1022), (32, 16, 9), 0, False),
    ("conv 64->64 3x3 (1st)", "64x56x56", 2, (8, 64, 56, 56), (64, 64, 3, 3), 1, True),
    ("conv 64->64 3x3 (2nd)", "64x56x56", 2, (8, 64, 56, 56), (64, 64, 3, 3), 1, False),
]


def macs(x_shape, w_shape, y_shape):
    return int(np.prod(y_shape)) * int(np.prod(w_shape[1:]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--out", default="bench-results", help="folder for the JSON results")
    args = ap.parse_args(argv)
    repeats = 7 if args.quick else 25

    torch = H.optional_import("torch")
    threads = _core.default_threads()
    if torch is not None:
        torch.set_num_threads(threads)
    env = H.environment(["torch"])
    H.print_environment(env)

    rng = np.random.default_rng(0)
    rows, bad = [], False
    totals = {}
    for name, net, nd, xs, ws, padding, first in LAYERS:
        x = rng.standard_normal(xs).astype(np.float32)
        w = (rng.standard_normal(ws) * 0.1).astype(np.float32)
        b = rng.standard_normal(ws[0]).astype(np.float32)
        conv = C.conv1d if nd == 1 else C.conv2d
        backward = C.conv1d_backward if nd == 1 else C.conv2d_backward
        y = conv(x, w, b, padding=padding)
        g = rng.standard_normal(y.shape).astype(np.float32)
        flops = 2 * macs(xs, ws, y.shape)
        ours = {
            "forward": lambda: conv(x, w, b, padding=padding),
            "backward-data": lambda: backward(g, x, w, padding=padding,
                                              output_mask=(True, False, False))[0],
            "backward-weight": lambda: backward(g, x, w, padding=padding,
                                                output_mask=(False, True, True))[1],
        }
        theirs = {}
        if torch is not None:
            tx, tw, tb, tg = (torch.from_numpy(a) for a in (x, w, b, g))
            F = torch.nn.functional
            tconv = F.conv1d if nd == 1 else F.conv2d
            st, pd, dl = [1] * nd, [padding] * nd, [1] * nd
            cb = torch.ops.aten.convolution_backward

            def t_fwd():
                with torch.no_grad():
                    return tconv(tx, tw, tb, padding=padding).numpy()

            def t_bd():
                return cb(tg, tx, tw, [ws[0]], st, pd, dl, False, [0] * nd, 1,
                          [True, False, False])[0].numpy()

            def t_bw():
                return cb(tg, tx, tw, [ws[0]], st, pd, dl, False, [0] * nd, 1,
                          [False, True, True])[1].numpy()

            theirs = {"forward": t_fwd, "backward-data": t_bd, "backward-weight": t_bw}
        # references in float64 (sigconv's own when torch is absent)
        x64, w64, b64, g64 = (a.astype(np.float64) for a in (x, w, b, g))
        refs = {
            "forward": conv(x64, w64, b64, padding=padding),
            "backward-data": backward(g64, x64, w64, padding=padding)[0],
            "backward-weight": backward(g64, x64, w64, padding=padding)[1],
        }
        train = {"sigconv": 0.0, "torch": 0.0 if torch is not None else None}
        for pass_name in ("forward", "backward-data", "backward-weight"):
            t_ours = H.measure(ours[pass_name], repeats=repeats)
            err = H.errors(t_ours.result, refs[pass_name])[1]
            if not err < 1e-4:
                bad = True
            row = dict(layer=name, pass_=pass_name, sigconv=t_ours.ms, err=err,
                       gflops=flops / (t_ours.ms * 1e6))
            if pass_name in theirs:
                t_theirs = H.measure(theirs[pass_name], repeats=repeats)
                row["torch"] = t_theirs.ms
                row["ratio"] = t_theirs.ms / t_ours.ms
                row["torch_gflops"] = flops / (t_theirs.ms * 1e6)
            needed = not (first and pass_name == "backward-data")
            if needed:
                train["sigconv"] += t_ours.ms
                if train["torch"] is not None:
                    train["torch"] += row["torch"]
            rows.append(row)
        tot = dict(layer=name, pass_="train total" + (" (no grad_input)" if first else ""),
                   sigconv=train["sigconv"], torch=train["torch"])
        if train["torch"]:
            tot["ratio"] = train["torch"] / train["sigconv"]
        rows.append(tot)
        acc = totals.setdefault(net, {"sigconv": 0.0, "torch": 0.0})
        acc["sigconv"] += train["sigconv"]
        acc["torch"] = None if train["torch"] is None or acc["torch"] is None else acc["torch"] + train["torch"]

    cols = [
        ("layer", "layer", None),
        ("pass_", "pass", None),
        ("sigconv", "sigconv ms", H.fmt_ms),
        ("gflops", "GFLOP/s", lambda v: "-" if v is None else f"{v:.0f}"),
        ("torch", "torch ms", H.fmt_ms),
        ("torch_gflops", "torch GFLOP/s", lambda v: "-" if v is None else f"{v:.0f}"),
        ("ratio", "torch/sigconv", H.fmt_ratio),
        ("err", "rel err", H.fmt_err),
    ]
    H.print_table(rows, cols, title=f"float32, {threads} threads (torch: same threads)")
    net_rows = [
        dict(layer=net, sigconv=v["sigconv"], torch=v["torch"],
             ratio=(v["torch"] / v["sigconv"]) if v["torch"] else None)
        for net, v in totals.items()
    ]
    H.print_table(net_rows, [("layer", "network (conv layers, training passes)", None),
                             ("sigconv", "sigconv ms", H.fmt_ms), ("torch", "torch ms", H.fmt_ms),
                             ("ratio", "torch/sigconv", H.fmt_ratio)])
    H.save_json(Path(args.out) / "bench_conv.json", {"environment": env, "rows": rows,
                                                       "networks": net_rows})
    if bad:
        print("\nERROR: a sigconv result differs from the reference", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
