"""``covaex spof`` / ``covaex diagram`` (placeholder until issue #5 lands)."""

from __future__ import annotations

from pathlib import Path

from covaex.errors import NotAvailable


def run_spof(paths: list[Path], *, fmt: str) -> int:
    raise NotAvailable("'spof' is not available yet: the topology model has not landed (issue #5)")


def run_diagram(path: Path, out: Path) -> int:
    raise NotAvailable("'diagram' is not available yet: the topology model has not landed (issue #5)")
