"""Real components for the market tests: the local Binance-protocol server, Redis servers, the Sanic app.

The app runs in the test's event loop on a real loopback socket
(``create_server``), so the tests talk to it with real HTTP and WebSocket
clients. Tests that kill Redis spawn their own ``redis-server``.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from covaex_service.app import create_app
from covaex_service.market.area import MarketArea, MarketOptions
from covaex_service.market.cache import Keys
from covaex_service.market.devtools.binance_server import LocalBinance
from covaex_service.sanic_types import ServiceApp
from covaex_service.server import serving_in_loop
from covaex_service.settings import Settings

from covaex.localserve import free_port

SYMBOLS = ("BTCUSDT", "ETHUSDT", "PEPEUSDT", "1000SATSUSDT")


async def eventually(check: Callable[[], Any], *, within: float = 10.0, what: str = "condition") -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy; fail with ``what`` after ``within`` s."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = check()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@pytest.fixture
async def binance() -> AsyncIterator[LocalBinance]:
    server = LocalBinance(SYMBOLS, ping_interval=None)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@dataclass
class RedisServer:
    """A ``redis-server`` of the test's own, so it can be killed and restarted."""

    port: int
    workdir: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return
            import time

            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (scripts/setup.sh installs it)")
    server = RedisServer(free_port(), tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class RunningApp:
    app: ServiceApp
    port: int
    settings: Settings
    servers: list[Any] = field(default_factory=list)

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/v1/market"

    @property
    def market(self) -> MarketArea:
        area: MarketArea = self.app.ctx.market
        return area


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "symbols": SYMBOLS,
        "feed": "simulator",
        "database_url": f"sqlite:///{tmp_path / 'covaex.db'}",
    }
    base.update(overrides)
    return Settings(**base)


@contextlib.asynccontextmanager
async def running_app(
    settings: Settings, configure: Callable[[MarketOptions], None] | None = None
) -> AsyncIterator[RunningApp]:
    """The whole service (create_app) serving on a loopback port inside the current event loop."""
    app = create_app(settings, name=f"covaex_test_{uuid.uuid4().hex[:12]}")
    options: MarketOptions = app.ctx.market_options
    options.keys = Keys(f"covaex-test:{uuid.uuid4().hex[:8]}:v1")
    if configure is not None:
        configure(options)
    port = free_port()
    async with serving_in_loop(app, "127.0.0.1", port):
        yield RunningApp(app=app, port=port, settings=settings)
