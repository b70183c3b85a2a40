"""A server's process tree and its memory, through psutil (no hand-parsed ``/proc`` files)."""

from __future__ import annotations

import psutil


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (a service's workers)."""
    return [child.pid for child in psutil.Process(pid).children()]


def rss_bytes(pid: int) -> int:
    """Resident memory of one process; 0 once it has gone."""
    try:
        return int(psutil.Process(pid).memory_info().rss)
    except psutil.NoSuchProcess:
        return 0


def tree(pid: int) -> list[int]:
    """``pid`` and every descendant."""
    root = psutil.Process(pid)
    return [pid, *(child.pid for child in root.children(recursive=True))]
