"""GPU against CPU for the CNN layers: the VGG block's training step and its convolution passes.

The VGG block (issue 5): batch 64, Conv2d 64->64 3x3 (padding 1) + ReLU, Conv2d 64->64 3x3 + ReLU,
max pool 2, Linear to 10 classes, cross-entropy, SGD with momentum. Timed in the same run:

* one training step with the model on the CPU and with ``model.to('gpu')`` and the batch moved by
  ``x.to('gpu')``: parameters, activations, gradients and the optimiser state stay in GPU memory;
  the step ends with ``float(loss)``, which reads the loss back, so the clock stops only after the
  device is done;
* torch's step where torch is installed: on CUDA when it has a GPU, else on the CPU;
* each convolution pass alone (forward, backward-data, backward-weight), CPU against GPU with host
  arrays (``device='gpu'``: upload, compute, read back) and on GPU-resident arrays (compute only,
  then ``_gpu_array.synchronize()``), and the host-array GPU forward pass broken into upload,
  compute and download (``_core.gpu_conv2d_profiled``).

The losses of the first steps are compared (sigconv GPU against sigconv CPU, and against torch), so
a fast but wrong step shows. Image size: 32 x 32 on a real GPU, 8 x 8 on a CPU adapter (Mesa's
lavapipe, which runs the shaders on the same cores), or --size.

    .venv/bin/python benches/bench_gpu_train.py [--size N] [--batch B] [--repeats R] [--out DIR]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness  # noqa: E402

import sigconv  # noqa: E402
from sigconv import _core, nn, optim  # noqa: E402
from sigconv._gpu_array import GpuArray, synchronize  # noqa: E402
from sigconv.nn import _conv as C  # noqa: E402
from sigconv.nn import functional as F  # noqa: E402


def vgg_block(size):
    return nn.Sequential(
        nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * (size // 2) ** 2, 10),
    )  # fmt: skip


def sig_stepper(model, x, y, device="cpu"):
    model.to(device)
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    xs, ys = sigconv.tensor(x).to(device), sigconv.tensor(y).to(device)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(xs), ys)
        loss.backward()
        opt.step()
        return float(loss)

    return step


def torch_stepper(torch, sig_model, x, y, size):
    t = torch.nn
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    m = t.Sequential(
        t.Conv2d(64, 64, 3, padding=1), t.ReLU(), t.Conv2d(64, 64, 3, padding=1), t.ReLU(),
        t.MaxPool2d(2), t.Flatten(), t.Linear(64 * (size // 2) ** 2, 10),
    )  # fmt: skip
    m.load_state_dict({k: torch.tensor(v.numpy()) for k, v in sig_model.state_dict().items()})
    m = m.to(dev)
    opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
    xt, yt = torch.tensor(x, device=dev), torch.tensor(y, device=dev)

    def step():
        opt.zero_grad()
        loss = t.functional.cross_entropy(m(xt), yt)
        loss.backward()
        opt.step()
        return loss.item()  # waits for the device

    return step, dev


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=None)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--budget", type=float, default=30.0, help="seconds per measurement at most")
    ap.add_argument("--out", type=Path, default=Path("bench-results"))
    args = ap.parse_args(argv)

    env = _harness.environment(["numpy", "torch"])
    _harness.print_environment(env)
    adapter = _core.gpu_adapter()
    if adapter is None:
        print(f"no GPU adapter: {_core.gpu_unavailable_reason()}")
        return 0
    print(f"GPU: {adapter['name']} ({adapter['type']}, {adapter['backend']}, {adapter['driver']})")
    size = args.size or (8 if adapter["type"] == "cpu" else 32)
    torch = _harness.optional_import("torch")
    if torch is not None:
        torch.set_num_threads(sigconv.info()["threads"])

    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.batch, 64, size, size)).astype(np.float32)
    y = rng.integers(0, 10, args.batch)
    sigconv.manual_seed(0)
    model = vgg_block(size)
    steps = {"sigconv cpu": sig_stepper(copy.deepcopy(model), x, y),
             "sigconv gpu": sig_stepper(copy.deepcopy(model), x, y, "gpu")}
    if torch is not None:
        step, dev = torch_stepper(torch, model, x, y, size)
        steps[f"torch {dev}"] = step
    timings = {name: _harness.measure(step, args.repeats, args.budget) for name, step in steps.items()}
    # the warm-up step of each starts from the same weights: its loss is the first result
    first = {name: t.result for name, t in timings.items()}
    base_ms = timings["sigconv cpu"].ms
    failed = False
    rows = []
    for name, t in timings.items():
        diff = abs(first[name] - first["sigconv cpu"])
        wrong = diff > 1e-3 * max(1.0, abs(first["sigconv cpu"]))
        failed |= wrong
        rows.append({"what": f"training step: {name}", "ms": t.ms,
                     "vs": base_ms / t.ms if t.ms else None,
                     "check": "WRONG" if wrong else f"loss diff {diff:.1e}", "note": t.note})
    if "sigconv gpu" in timings and len(timings) > 2:
        peer = [n for n in timings if n.startswith("torch")][0]
        rows.append({"what": f"sigconv gpu / {peer} speed", "ms": None,
                     "vs": timings[peer].ms / timings["sigconv gpu"].ms, "check": "target >= 0.5",
                     "note": ""})

    w = (rng.standard_normal((64, 64, 3, 3)) * 0.05).astype(np.float32)
    dy = rng.standard_normal((args.batch, 64, size, size)).astype(np.float32)
    passes = {
        "conv forward": lambda dev: C.conv2d(x, w, padding=1, device=dev),
        "conv backward-data": lambda dev: C.conv2d_backward(dy, x, w, padding=1, device=dev,
                                                            output_mask=(True, False, False))[0],
        "conv backward-weight": lambda dev: C.conv2d_backward(dy, x, w, padding=1, device=dev,
                                                              output_mask=(False, True, False))[1],
    }
    xg, wg, dyg = (GpuArray.from_numpy(a) for a in (x, w, dy))
    resident = {
        "conv forward": lambda: C.conv2d(xg, wg, padding=1),
        "conv backward-data": lambda: C.conv2d_backward(dyg, xg, wg, padding=1,
                                                        output_mask=(True, False, False))[0],
        "conv backward-weight": lambda: C.conv2d_backward(dyg, xg, wg, padding=1,
                                                          output_mask=(False, True, False))[1],
    }

    def on_device(fn):
        def run():
            out = fn()
            synchronize()
            return out
        return run

    for name, fn in passes.items():
        cpu = _harness.measure(lambda: fn("cpu"), args.repeats, args.budget)
        gpu = _harness.measure(lambda: fn("gpu"), args.repeats, args.budget)
        res = _harness.measure(on_device(resident[name]), args.repeats, args.budget)
        err = max(_harness.errors(gpu.result, cpu.result)[1],
                  _harness.errors(res.result.numpy(), cpu.result)[1])
        failed |= err > 1e-4
        for dev, t in (("cpu", cpu), ("gpu, host arrays", gpu), ("gpu, resident", res)):
            rows.append({"what": f"{name}: {dev}", "ms": t.ms, "vs": cpu.ms / t.ms if t.ms else None,
                         "check": f"rel err {err:.1e}" if dev != "cpu" else "", "note": t.note})

    # the forward pass broken into its phases (the device drained between them)
    phases = [_core.gpu_conv2d_profiled(x, w, [1, 1], [(1, 1), (1, 1)], [1, 1], 1)[1]
              for _ in range(max(1, args.repeats))]
    for phase in ("upload", "compute", "download"):
        rows.append({"what": f"conv forward gpu, {phase}",
                     "ms": statistics.median(t[phase] for t in phases) * 1e3, "vs": None,
                     "check": "", "note": "device drained between phases"})

    _harness.print_table(rows, [
        ("what", "what", None), ("ms", "median ms", _harness.fmt_ms),
        ("vs", "speed vs sigconv cpu", _harness.fmt_ratio), ("check", "check", None),
        ("note", "note", None),
    ], title=f"VGG block, batch {args.batch}, 64x{size}x{size} float32, GPU {adapter['name']}")
    path = _harness.save_json(args.out / "bench_gpu_train.json",
                              {"environment": env, "adapter": adapter, "size": size,
                               "batch": args.batch, "rows": rows})
    print(f"\nwritten: {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
