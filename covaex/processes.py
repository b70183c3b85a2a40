"""Child processes, ports and waiting: the one implementation the tooling, the tests and the benchmarks share.

* :func:`port_open` -- whether a server listens (a port for one: :func:`covaex.localserve.free_port`);
* :func:`wait_until` and :func:`seconds_until` (and :func:`until` in an event loop) -- poll a
  condition (readiness) instead of sleeping, failing with one line that names what did not
  happen and why the last probe failed;
* :func:`stop_group` -- stop a child started with ``start_new_session=True`` and whatever
  of its process group outlived it (a server's workers);
* :func:`tree`, :func:`children`, :func:`rss_bytes`, :func:`environment` -- a process tree
  and its memory through psutil, never hand-parsed ``/proc`` files;
* :func:`cpu_model` -- what the figures of a benchmark or a drill were measured on.

It lives in ``covaex`` (stdlib only at import; psutil, of the ``dev`` extra, is imported
by the functions that read processes) so that ``covaex serve``'s runner
(:mod:`covaex.localserve`), the resilience drill, the tests and ``benchmarks/`` import
it without the benchmarks depending on the tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import platform
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def port_open(host: str, port: int) -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def wait_until(
    check: Callable[[], T],
    *,
    within: float,
    what: str,
    interval: float = 0.05,
    error: Callable[[str], Exception] = TimeoutError,
) -> T:
    """``check()``'s first truthy value, polled every ``interval`` s; ``error`` naming ``what`` after ``within`` s.

    ``within`` is a ceiling for a loaded machine, not the expected time: a check
    that holds early returns at once. An exception from ``check`` means "not yet"
    (a server still starting refuses connections) and is named in the final
    error; an AssertionError is a verdict and fails at once.
    """
    deadline = time.monotonic() + within
    last = ""
    while True:
        try:
            result = check()
        except AssertionError:
            raise
        except Exception as exc:
            last = f" (last: {type(exc).__name__}: {exc})"
        else:
            if result:
                return result
        if time.monotonic() > deadline:
            raise error(f"{what}: not within {within:.0f} s{last}")
        time.sleep(interval)


async def until(
    check: Callable[[], object],
    *,
    within: float,
    what: str,
    interval: float = 0.05,
    error: Callable[[str], Exception] = TimeoutError,
) -> Any:
    """:func:`wait_until` inside an event loop: ``check`` may be sync or async, the loop runs between polls."""
    deadline = time.monotonic() + within
    last = ""
    while True:
        try:
            result = check()
            if inspect.isawaitable(result):
                result = await result
        except AssertionError:
            raise
        except Exception as exc:
            last = f" (last: {type(exc).__name__}: {exc})"
        else:
            if result:
                return result
        if time.monotonic() > deadline:
            raise error(f"{what}: not within {within:.0f} s{last}")
        await asyncio.sleep(interval)


def seconds_until(
    check: Callable[[], object],
    *,
    within: float,
    what: str,
    interval: float = 0.25,
    error: Callable[[str], Exception] = TimeoutError,
) -> float:
    """:func:`wait_until`, returning the seconds it took (the drills' recovery figures)."""
    started = time.monotonic()
    wait_until(check, within=within, what=what, interval=interval, error=error)
    return time.monotonic() - started


def stop_group(
    process: subprocess.Popen[bytes], *, first: int = signal.SIGTERM, grace: float = 30.0, to_group: bool = False
) -> None:
    """Stop a process group in order, then whatever of it is left.

    ``first`` goes to the leader (a server stops its workers in order), or with
    ``to_group`` to every member; they get ``grace`` seconds. Then SIGKILL goes
    to the group: whatever outlived the leader (a worker still closing
    connections, one ignoring SIGTERM) goes too. The child must have been
    started with ``start_new_session=True``, so the group holds only its own tree.
    """
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            if to_group:
                os.killpg(process.pid, first)
            else:
                process.send_signal(first)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (a server's workers)."""
    import psutil

    return [child.pid for child in psutil.Process(pid).children()]


def tree(pid: int) -> list[int]:
    """``pid`` and every descendant; empty once ``pid`` has gone."""
    import psutil

    try:
        return [pid, *(child.pid for child in psutil.Process(pid).children(recursive=True))]
    except psutil.NoSuchProcess:
        return []


def rss_bytes(pid: int) -> int:
    """Resident memory of one process; 0 once it has gone."""
    import psutil

    try:
        return int(psutil.Process(pid).memory_info().rss)
    except psutil.NoSuchProcess:
        return 0


def environment(pid: int) -> dict[str, str]:
    """The environment ``pid`` was started with (it survives a rewritten process title); empty once gone
    or when it is not ours to read."""
    import psutil

    try:
        return dict(psutil.Process(pid).environ())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return {}


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``; psutil does not name it), or what ``platform`` knows."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"
