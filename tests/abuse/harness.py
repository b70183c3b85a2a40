"""The abuse suite's service and upstream: one real ``covaex serve --workers 2``, on real Redis and PostgreSQL.

The market feed is the real Binance client talking to the local Binance-protocol
server, run as its own process so a test can stop and restart the "upstream".
The server trusts one proxy hop (``COVAEX_PROXIES_COUNT=1``), as behind the ALB,
so a test can speak for many client addresses with ``X-Forwarded-For``.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.support.procs import children
from tests.support.wait import wait_for_port, wait_until

COVAEX = Path(sys.executable).with_name("covaex")
SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT")
MIB = 1024 * 1024


@dataclass
class Upstream:
    """The local Binance-protocol server, as a process a test may stop and start again."""

    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "covaex_service.market.devtools.binance_server", "--port", str(self.port),
             "--symbols", ",".join(SYMBOLS), "--interval", "0.2"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port("127.0.0.1", self.port, within=20, what="the local Binance server")
        if self.process.poll() is not None:  # the port answered, but not ours: it could not bind
            raise RuntimeError(f"the local Binance server exited ({self.process.returncode}) on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    database_url: str
    upstream: Upstream

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/v1/market"

    def workers(self) -> list[int]:
        return children(self.process.pid)


async def create_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def wait_ready(served: Served, within: float = 90) -> None:
    """Until ``/readyz`` answers 200 with both workers up; fails with the service's log."""

    def ready() -> bool:
        if served.process.poll() is not None:
            pytest.fail(f"covaex serve exited: {served.log.read_text()[-3000:]}")
        try:
            return httpx.get(f"{served.base}/readyz", timeout=2).status_code == 200 and len(served.workers()) >= 2
        except httpx.HTTPError:
            return False

    try:
        wait_until(ready, within=within, what="covaex serve ready")
    except AssertionError:
        pytest.fail(f"covaex serve not ready: {served.log.read_text()[-3000:]}")
