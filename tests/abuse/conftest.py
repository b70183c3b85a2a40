"""One real ``covaex serve --workers 2`` for the abuse suite, on real Redis and PostgreSQL.

The market feed is the real Binance client talking to the local Binance-protocol
server, run as its own process so a test can stop and restart the "upstream".
The server trusts one proxy hop (``COVAEX_PROXIES_COUNT=1``), as behind the ALB,
so a test can speak for many client addresses with ``X-Forwarded-For``.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
import redis

from covaex.localserve import free_port, start_service, stop_service

COVAEX = Path(sys.executable).with_name("covaex")
SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT")
MIB = 1024 * 1024


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


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
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("the local Binance server did not start")

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


async def _create_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _drop_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def _wait_ready(served: Served, within: float = 90) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            pytest.fail(f"covaex serve exited: {served.log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{served.base}/readyz", timeout=2).status_code == 200 and len(served.workers()) >= 2:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"covaex serve not ready: {served.log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, postgres_url: str, redis_url: str) -> Iterator[Served]:
    """``covaex serve --workers 2`` with production costs (Argon2id at 64 MiB) and the real upstream protocol."""
    name = f"covaex_abuse_{secrets.token_hex(5)}"
    asyncio.run(_create_database(postgres_url, name))
    database_url = urlunsplit(urlsplit(postgres_url)._replace(path=f"/{name}"))
    # A Redis database of its own on the session's server: no other test's keys, flushed first.
    redis_db_url = urlunsplit(urlsplit(redis_url)._replace(path="/11"))
    redis.Redis.from_url(redis_db_url).flushdb()
    upstream = Upstream(free_port())
    upstream.start()
    port = free_port()
    log_path = tmp_path_factory.mktemp("abuse") / "serve.log"
    env = {
        **os.environ,
        "COVAEX_PORT": str(port),
        "COVAEX_FEED": "binance",
        "COVAEX_SYMBOLS": ",".join(SYMBOLS),
        "COVAEX_BINANCE_WS_URL": upstream.ws_url,
        "COVAEX_BINANCE_REST_URL": upstream.rest_url,
        "COVAEX_REDIS_URL": redis_db_url,
        "COVAEX_DATABASE_URL": database_url,
        "COVAEX_PROXIES_COUNT": "1",
    }
    process = start_service(["--workers", "2", "--host", "127.0.0.1"], env=env, log_path=log_path)
    served = Served(process, port, log_path, database_url, upstream)
    try:
        _wait_ready(served)
        yield served
    finally:
        stop_service(process)
        upstream.stop()
        asyncio.run(_drop_database(postgres_url, name))
