"""Progress on stderr for long work (training epochs, benchmark workloads, demo steps): a bar redrawn
in place on a terminal, and plain lines, one per finished item, elsewhere (logs, pipes, tests)."""

from __future__ import annotations

import sys
import time

__all__ = ["bar", "Bar"]


def bar(done: int, total: int, width: int = 24) -> str:
    """``[#####.......]``: ``done`` of ``total`` as a text bar ``width`` characters wide."""
    fill = int(width * min(done, total) / max(total, 1))
    return "[" + "#" * fill + "." * (width - fill) + "]"


class Bar:
    """A progress bar over ``total`` items labelled ``label``.

    :meth:`step` marks one item done (``note`` names it); on a terminal the bar is redrawn in place,
    elsewhere each step prints one line when ``lines`` is true. :meth:`close` ends the bar with the
    elapsed time. ``enabled=False`` prints nothing.
    """

    def __init__(self, total: int, label: str, stream=None, enabled: bool = True, lines: bool = True):
        self.total, self.label, self.enabled, self.lines = total, label, enabled, lines
        self.stream = stream if stream is not None else sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.done = 0
        self.start = time.perf_counter()

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def show(self, note: str = "") -> None:
        """Redraws the bar (terminal only) with ``note`` after it, e.g. the item being worked on."""
        if self.enabled and self.tty:
            self._write(f"\r\033[K{self.label} {bar(self.done, self.total)} {self.done}/{self.total} {note}")

    def step(self, note: str = "") -> None:
        self.done += 1
        if not self.enabled:
            return
        if self.tty:
            self.show(note)
        elif self.lines:
            self._write(f"{self.label} {self.done}/{self.total} {note}\n")

    def close(self, note: str = "") -> None:
        if not self.enabled or not (self.tty or self.lines):
            return
        line = f"{self.label} {self.done}/{self.total} done in {time.perf_counter() - self.start:.1f} s {note}"
        self._write(("\r\033[K" if self.tty else "") + line.rstrip() + "\n")
