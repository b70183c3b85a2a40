"""``covaex serve`` as a child process: started in a process group of its own, stopped whole.

For what must run the service as a user runs it, one process tree per
service: the docs' screenshots, the UI, abuse and worker tests, and the page
weight benchmark. Stopping sends SIGTERM, so the service stops its workers in
order; whatever is left after :data:`STOP_TIMEOUT_S` (a worker whose main
process had to give up ignores SIGTERM) goes with the process group, which
holds only this service. No worker outlives a run.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from covaex.processes import free_port, stop_group

__all__ = ["STOP_TIMEOUT_S", "free_port", "service_process", "start_service", "stop_service"]

STOP_TIMEOUT_S = 30.0
"""Longer than the service's own orderly stop (its workers get 20 s, then the main process 3 s)."""


def start_service(
    args: Sequence[str], *, env: Mapping[str, str], log_path: Path, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """``covaex serve ARGS`` with this interpreter, output to ``log_path``; stop it with :func:`stop_service`."""
    command = [sys.executable, "-m", "covaex.cli", "serve", *args]
    with log_path.open("wb") as log:
        # Our own interpreter and CLI; the arguments come from our callers.
        return subprocess.Popen(  # noqa: S603
            command, env=dict(env), stdout=log, stderr=subprocess.STDOUT, cwd=cwd, start_new_session=True
        )


def stop_service(process: subprocess.Popen[bytes]) -> None:
    """Stop a service from :func:`start_service`, workers included."""
    stop_group(process, grace=STOP_TIMEOUT_S)


@contextlib.contextmanager
def service_process(
    args: Sequence[str], *, env: Mapping[str, str], log_path: Path, cwd: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """:func:`start_service` until the block ends, then :func:`stop_service`."""
    process = start_service(args, env=env, log_path=log_path, cwd=cwd)
    try:
        yield process
    finally:
        stop_service(process)
