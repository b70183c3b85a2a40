"""The whole service (``create_app``) serving inside the test's event loop, on a port the OS picked.

The tests talk to it with real HTTP and WebSocket clients. The listening
socket is bound to port 0 and the port read back, so no other process (an
xdist worker) can take it between choosing and binding.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from covaex_service.app import create_app
from covaex_service.market.area import MarketArea, MarketOptions
from covaex_service.market.cache import Keys
from covaex_service.sanic_types import ServiceApp
from covaex_service.server import serving_in_loop
from covaex_service.settings import Settings

SYMBOLS = ("BTCUSDT", "ETHUSDT", "PEPEUSDT", "1000SATSUSDT")


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


def unique_name(prefix: str) -> str:
    """A Sanic app name no other app of this process has (Sanic keeps a registry of them)."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@contextlib.asynccontextmanager
async def running_app(
    settings: Settings, configure: Callable[[MarketOptions], None] | None = None
) -> AsyncIterator[RunningApp]:
    """The whole service serving on a loopback port inside the current event loop."""
    app = create_app(settings, name=unique_name("covaex_test"))
    options: MarketOptions = app.ctx.market_options
    options.keys = Keys(f"covaex-test:{uuid.uuid4().hex[:8]}:v1")
    if configure is not None:
        configure(options)
    async with serving_in_loop(app, "127.0.0.1", 0) as port:
        yield RunningApp(app=app, port=port, settings=settings)
