"""Wiring of the market area: what ``install(app)`` registers and what opens and closes with the server.

Resources live on ``app.ctx.market`` (a :class:`MarketArea`), opened in
``before_server_start`` and closed in ``after_server_stop``, once per worker.
``app.ctx.market_options`` (a :class:`MarketOptions`) may be replaced before
the server starts: tests and benchmarks use it to inject a feed or tighter
limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from sanic import Blueprint, Request

from covaex_service.market.cache import Keys, MarketCache, open_cache
from covaex_service.market.feeds import MarketFeed, build_feed
from covaex_service.market.gateway.guard import AddressSlots, check_upgrade
from covaex_service.market.gateway.handler import WS_PATH, market_socket
from covaex_service.market.gateway.hub import Hub
from covaex_service.market.gateway.protocol import CLOSE_GOING_AWAY, GatewayLimits
from covaex_service.market.ingest import FLUSH_INTERVAL_SECONDS, Ingest
from covaex_service.market.logs import configure_logging
from covaex_service.market.metrics import MarketMetrics
from covaex_service.market.model import Source
from covaex_service.market.recent import RecentCandles
from covaex_service.market.routes import blueprint, start_readiness_reports
from covaex_service.market.stats import FeedStats, GatewayStats
from covaex_service.market.view import MarketView
from covaex_service.sanic_types import ServiceApp
from covaex_service.settings import Settings
from covaex_service.venues import DEFAULT_VENUE, SIMULATOR, VENUES

log = logging.getLogger("covaex.market")

FeedFactory = Callable[[Settings, FeedStats], MarketFeed]


@dataclass
class MarketOptions:
    """Knobs below the public settings; the defaults are what production runs."""

    limits: GatewayLimits = field(default_factory=GatewayLimits)
    keys: Keys = field(default_factory=Keys)
    feed_factory: FeedFactory = build_feed
    flush_interval: float = FLUSH_INTERVAL_SECONDS


@dataclass
class MarketArea:
    """One worker's market resources."""

    cache: MarketCache
    view: MarketView
    recent: RecentCandles
    hub: Hub
    ingest: Ingest
    feed_stats: FeedStats
    gateway_stats: GatewayStats
    metrics: MarketMetrics
    addresses: AddressSlots
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


def default_source(settings: Settings) -> Source:
    """The label shown before the first batch: the configured venue's (``auto`` follows the default venue)."""
    if settings.feed == SIMULATOR:
        return SIMULATOR
    return settings.feed if settings.feed in VENUES else DEFAULT_VENUE.name


def install(app: ServiceApp) -> None:
    configure_logging()
    app.ctx.market_options = MarketOptions()
    app.blueprint(blueprint)
    # Its own blueprint, so the upgrade check is middleware of this one route: every other
    # request (the page, the REST snapshot) skips it.
    sockets = Blueprint("market_socket")
    # A plain route that answers the upgrade itself (gateway/handler.py); GET is what an upgrade is.
    sockets.add_route(market_socket, WS_PATH, methods=["GET"], name="market_socket")
    sockets.middleware(_check_upgrade, "request")
    app.blueprint(sockets)
    app.register_listener(_open, "before_server_start")
    app.register_listener(start_readiness_reports, "after_server_start")
    app.register_listener(_close_clients, "before_server_stop")
    app.register_listener(_close, "after_server_stop")


async def _open(app: ServiceApp) -> None:
    settings: Settings = app.ctx.settings
    options: MarketOptions = app.ctx.market_options
    cache = open_cache(settings.redis_url, options.keys)
    feed_stats, gateway_stats = FeedStats(), GatewayStats()
    view = MarketView(cache, default_source(settings))
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    feed = options.feed_factory(settings, feed_stats)
    ingest = Ingest(feed, cache, settings.symbols, feed_stats, owner, flush_interval=options.flush_interval)
    area = MarketArea(
        cache=cache,
        view=view,
        recent=RecentCandles(cache, settings.symbols),
        hub=Hub(view, settings.symbols, gateway_stats, options.limits),
        ingest=ingest,
        feed_stats=feed_stats,
        gateway_stats=gateway_stats,
        metrics=MarketMetrics(feed_stats, gateway_stats, worker=owner, leading=lambda: ingest.leading),
        addresses=AddressSlots(options.limits.max_connections_per_address),
    )
    app.ctx.market = area
    area.tasks.append(asyncio.create_task(area.ingest.run(), name="covaex-ingest"))
    area.tasks.append(asyncio.create_task(area.hub.run(cache.updates()), name="covaex-hub"))
    area.tasks.append(asyncio.create_task(area.metrics.sync_forever(), name="covaex-metrics"))
    log.info(
        "market area started",
        extra={"event": "market_started", "feed": settings.feed, "cache": "redis" if cache.shared else "embedded",
               "worker": owner},
    )  # fmt: skip


async def _check_upgrade(request: Request) -> None:
    check_upgrade(request, request.app.ctx.market.addresses)


async def _close_clients(app: ServiceApp) -> None:
    area: MarketArea | None = getattr(app.ctx, "market", None)
    if area is not None:
        area.hub.close_all(CLOSE_GOING_AWAY, "server shutting down")


async def _close(app: ServiceApp) -> None:
    area: MarketArea | None = getattr(app.ctx, "market", None)
    if area is None:
        return
    for task in area.tasks:
        task.cancel()
    for task in area.tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    area.metrics.close()
    await area.cache.close()
