"""Helpers shared by sigconv's benchmarks: timing, error checks, tables, charts, JSON.

A benchmark builds its workloads, times sigconv and every installed peer on each one in the same
run (:func:`measure`), checks every result against one reference (:func:`errors`), and reports
ratios ``peer ms / sigconv ms`` (above 1: sigconv is faster) with :func:`print_table`,
:func:`bar_chart` and :func:`save_json`. Used by :mod:`sigconv.benchmark` (``sigconv bench``, the
demo's speed-up chart) and by the scripts in ``benches/`` (through ``benches/_harness.py``, which
re-exports this module).
"""

from __future__ import annotations

import datetime as _dt
import importlib
import json
import math
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Sequence


@dataclass
class Timing:
    """Wall-clock time of one implementation on one workload.

    ``ms`` is the median over ``runs`` timed calls made after one untimed warm-up call (``None``
    when skipped); ``result`` is the warm-up call's return value, for the error check.
    """

    ms: Optional[float]
    runs: int = 0
    times_ms: list = field(default_factory=list)
    note: str = ""
    result: Any = None


def measure(
    fn: Callable[[], Any],
    repeats: int = 5,
    budget_s: float = 10.0,
    sync: Optional[Callable[[], Any]] = None,
) -> Timing:
    """Times ``fn()``: one warm-up call, then up to ``repeats`` timed calls, median reported.

    Time-boxed for slow peers: the repeats are cut so that they fit in ``budget_s`` seconds, as
    judged by the warm-up call; a warm-up call longer than ``budget_s`` is itself the one timing
    (noted as such). ``sync`` runs inside the clock after each call (e.g. wait for a GPU).
    """

    def once():
        t0 = time.perf_counter()
        out = fn()
        if sync is not None:
            sync()
        return time.perf_counter() - t0, out

    warm_s, result = once()
    if warm_s >= budget_s:
        return Timing(warm_s * 1e3, 1, [warm_s * 1e3], "1 run (warm-up only: slow)", result)
    n = max(1, min(repeats, int((budget_s - warm_s) / max(warm_s, 1e-9))))
    times = [once()[0] * 1e3 for _ in range(n)]
    note = f"{n} of {repeats} runs (time budget)" if n < repeats else ""
    return Timing(statistics.median(times), n, times, note, result)


def skipped(reason: str) -> Timing:
    """A Timing for an implementation that was not run, saying why."""
    return Timing(None, 0, [], reason)


def errors(result: Any, reference: Any) -> tuple[float, float]:
    """``(max |result - reference|, that / max |reference|)``, computed in float64."""
    import numpy as np

    a = np.asarray(result, dtype=np.float64)
    r = np.asarray(reference, dtype=np.float64)
    if a.shape != r.shape:
        return math.inf, math.inf
    err = float(np.max(np.abs(a - r))) if a.size else 0.0
    scale = float(np.max(np.abs(r))) if r.size else 0.0
    return err, (err / scale if scale > 0 else err)


def optional_import(name: str):
    """The module ``name``, or ``None`` when it is not installed (or fails to import)."""
    try:
        return importlib.import_module(name)
    except Exception:
        return None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment(modules: Iterable[str] = ()) -> dict:
    """Machine, Python, sigconv (SIMD level, threads) and the versions of ``modules`` present."""
    env = {
        "date": _dt.datetime.now().isoformat(timespec="seconds"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": {},
    }
    sigconv = optional_import("sigconv")
    if sigconv is not None:
        env["sigconv"] = sigconv.info()
    for name in modules:
        mod = optional_import(name)
        env["versions"][name] = getattr(mod, "__version__", "?") if mod else None
    return env


def print_environment(env: dict) -> None:
    """Prints :func:`environment`'s dict in two or three lines."""
    sc = env.get("sigconv", {})
    print(f"machine: {env['cpu']}, {env['cores']} cores; Python {env['python']}")
    if sc:
        print(f"sigconv {sc['version']}: SIMD {sc['simd']}, {sc['threads']} threads")
    present = [f"{k} {v}" for k, v in env["versions"].items() if v]
    absent = [k for k, v in env["versions"].items() if not v]
    print("peers: " + ", ".join(present) + (f"; not installed: {', '.join(absent)}" if absent else ""))


def fmt_ms(ms: Optional[float]) -> str:
    if ms is None:
        return "-"
    return f"{ms:.3g}" if ms < 100 else f"{ms:.0f}"


def fmt_ratio(r: Optional[float]) -> str:
    if r is None:
        return "-"
    return f"{r:.2f}x" if r < 100 else f"{r:.0f}x"


def fmt_err(e: Optional[float]) -> str:
    return "-" if e is None else f"{e:.1e}"


def print_table(
    rows: Sequence[dict], columns: Sequence[tuple], title: str = "", out=None
) -> None:
    """Prints ``rows`` (dicts) as an aligned text table.

    ``columns``: ``(key, header, formatter)`` triples; a formatter turns the value into a string
    (``str`` when ``None``). Text columns are left-aligned, the others right-aligned.
    """
    cells = [[(f or str)(row.get(k)) for k, _, f in columns] for row in rows]
    heads = [h for _, h, _ in columns]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(heads)]
    left = [all(isinstance(r.get(k), str) or r.get(k) is None for r in rows) for k, _, _ in columns]

    def line(vals):
        return "  ".join(
            v.ljust(w) if lft else v.rjust(w) for v, w, lft in zip(vals, widths, left)
        ).rstrip()

    if title:
        print(f"\n{title}", file=out)
    print(line(heads), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for c in cells:
        print(line(c), file=out)


def bar_chart(path: Path, panels: Sequence[dict], title: str = "") -> Path:
    """Saves grouped bar charts of ratios to ``path`` (PNG, Agg backend), one panel each.

    A panel is ``{"title": str, "groups": [label, ...], "series": {name: [ratio or None, ...]},
    "ylabel": str, "log": bool}``: one group of bars per label, one bar per series, each labelled
    with its ratio; missing ratios leave a gap. With ``log`` (the default) the y axis is
    logarithmic and bars start at 1, up where sigconv is faster, down where it is slower.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 3.6 * len(panels)), squeeze=False)
    for ax, panel in zip(axes[:, 0], panels):
        groups, series = panel["groups"], panel["series"]
        log = panel.get("log", True)
        base = 1.0 if log else 0.0  # log panels: bars grow up (faster) or down (slower) from 1
        width = 0.8 / max(1, len(series))
        shown = []
        for i, (name, vals) in enumerate(series.items()):
            xs = [g + (i - (len(series) - 1) / 2) * width for g in range(len(groups))]
            pts = [(x, v) for x, v in zip(xs, vals) if v is not None and v > 0]
            for x, v in zip(xs, vals):
                if v is None or v <= 0:  # skipped or failed: say so where the bar would be
                    ax.text(x, base if log else 0.02, "n/a", ha="center", va="bottom",
                            fontsize=7, rotation=90, color="gray")
            if not pts:
                continue
            shown += [p[1] for p in pts]
            bars = ax.bar([p[0] for p in pts], [p[1] - base for p in pts], width, bottom=base,
                          label=name)
            ax.bar_label(bars, labels=[fmt_ratio(p[1]) for p in pts], fontsize=7, padding=2)
        ax.axhline(1.0, color="black", linewidth=0.8)
        if log:
            ax.set_yscale("log")
            lo, hi = min(shown + [1.0]), max(shown + [1.0])
            ax.set_ylim(lo / 2.5, hi * 4)
        else:
            ax.set_ylim(0, max(shown + [1.0]) * 1.3)
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels(groups)
        ax.set_title(panel["title"], fontsize=10)
        ax.set_ylabel(panel.get("ylabel", "peer time / sigconv time"))
        if shown:
            ax.legend(fontsize=8, loc="upper left", ncol=min(4, len(series)))
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def save_json(path: Path, payload: dict) -> Path:
    """Writes ``payload`` as indented JSON (non-finite floats as null), creating the folder."""

    def clean(o):
        if isinstance(o, float) and not math.isfinite(o):
            return None
        if isinstance(o, dict):
            return {k: clean(v) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return [clean(v) for v in o]
        return o

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(clean(payload), indent=2) + "\n")
    return path


def record(timing: Timing, **fields) -> dict:
    """A JSON-ready row: ``fields`` plus the timing (without its result array)."""
    d = {"ms": timing.ms, "runs": timing.runs, "times_ms": timing.times_ms, "note": timing.note}
    d.update(fields)
    return d


def report_failures(failures: Sequence[str]) -> int:
    """A benchmark's exit status: 0, or 1 after listing on stderr the sigconv results that were
    missing or wrong."""
    if not failures:
        return 0
    print("\nFAILED: sigconv results missing or wrong:", file=sys.stderr)
    for f in failures:
        print(f"  {f}", file=sys.stderr)
    return 1
