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
import random
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from covaex.processes import stop_group

__all__ = ["STOP_TIMEOUT_S", "free_port", "service_process", "start_service", "stop_service"]

STOP_TIMEOUT_S = 30.0
"""Longer than the service's own orderly stop (its workers get 20 s, then the main process 3 s)."""


EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LISTEN_PORTS_FLOOR = 10000
"""Ports handed to servers start here: above the usual fixed ports of local services."""
_handed_out: set[int] = set()


def free_port(host: str = "127.0.0.1") -> int:
    """A port of ``host`` (loopback) nothing listens on, for a server this process is about to start.

    Chosen at random *below* the kernel's ephemeral range, never from it: an
    ephemeral port (what ``bind(0)`` returns) can be taken again as the local
    end of an outgoing connection between this probe and the server's own
    bind, and with hundreds of test clients connecting that race was lost
    (a server that never started, or a test talking to someone else's). Two
    processes choosing at the same moment rarely meet in some 20,000 ports,
    and this process never hands the same port out twice.
    """
    low, high = LISTEN_PORTS_FLOOR, _ephemeral_low() - 1
    if high <= low:
        raise OSError(f"the ephemeral port range starts at {high + 1}: no room for servers below it")
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randint(low, high)
        if port in _handed_out:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise OSError(f"no free port of {host} between {low} and {high}")


def _ephemeral_low() -> int:
    try:
        return int(EPHEMERAL_RANGE_FILE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default range starts here


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
