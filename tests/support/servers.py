"""Servers a test owns: started, probed until ready, stopped (so a test may kill and restart them)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from covaex.localserve import free_port
from covaex.processes import port_open
from tests.support.wait import wait_until

START_ATTEMPTS = 5
"""A free port can be taken by another process before ``redis-server`` binds it: then another port is tried."""


@dataclass
class RedisServer:
    """A ``redis-server`` of the test's own on loopback, so it can be killed and restarted on its port."""

    workdir: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it (again, on the same port once it has one); ready when it accepts connections."""
        restart = self.port != 0  # a restart keeps its port: the app under test points at it
        for _ in range(1 if restart else START_ATTEMPTS):
            if self.port == 0:
                self.port = free_port()
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                 "no", "--dir", str(self.workdir)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            wait_until(self._ready_or_gone, within=20, what="redis-server accepting connections")
            if self.process.poll() is None:
                return
            if not restart:
                self.port = 0
        raise RuntimeError(f"redis-server did not start (last port tried: {self.port or 'none'})")

    def _ready_or_gone(self) -> bool:
        # gone: the port was taken between choosing and binding; whichever comes first
        assert self.process is not None
        return self.process.poll() is not None or port_open("127.0.0.1", self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None
