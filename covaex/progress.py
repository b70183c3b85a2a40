"""Step lines for long commands: ``[2/4] synth ... done in 12.3s``.

Written to stderr so that stdout stays clean for machine-readable output.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Steps:
    """Numbered progress lines; ``with steps.step("synth"):`` times one step."""

    def __init__(self, total: int, *, quiet: bool = False) -> None:
        self.total = total
        self.done = 0
        self.quiet = quiet
        self.timings: dict[str, float] = {}

    @contextmanager
    def step(self, label: str) -> Iterator[None]:
        self.done += 1
        prefix = f"[{self.done}/{self.total}] {label}"
        self._write(f"{prefix} ...")
        start = time.perf_counter()
        try:
            yield
        except BaseException:
            self._write(f"{prefix} failed after {time.perf_counter() - start:.1f}s\n")
            raise
        elapsed = time.perf_counter() - start
        self.timings[label] = elapsed
        self._write(f" done in {elapsed:.1f}s\n")

    def note(self, text: str) -> None:
        self._write(f"      {text}\n")

    def _write(self, text: str) -> None:
        if not self.quiet:
            sys.stderr.write(text)
            sys.stderr.flush()
