"""The market area: feeds -> cache -> WebSocket gateway, REST snapshot, health and metrics.

Public surface for other areas:

* :func:`install` — plugs the area into the app (``covaex_service.app``);
* :func:`read_snapshot` — the ``GET /api/v1/markets`` body, from the cache
  only (the UI's server-side rendering uses it);
* :func:`read_recent_candles` — each symbol's last 24 hourly candles, from
  the cache only, versioned (the list's sparklines).

Layout: :mod:`.model` (normalized type), :mod:`.feeds` (each venue, simulator,
auto), :mod:`.ingest` (feed -> cache on the elected leader), :mod:`.cache`
(contract, Redis, embedded), :mod:`.view` and :mod:`.recent` (read side), :mod:`.gateway`
(WebSocket), :mod:`.routes` (REST and operations), :mod:`.metrics`.
"""

from __future__ import annotations

from typing import Any

from covaex_service.market.area import install
from covaex_service.market.recent import RecentDay
from covaex_service.sanic_types import ServiceApp

__all__ = ["install", "read_recent_candles", "read_snapshot"]


async def read_snapshot(app: ServiceApp) -> dict[str, Any]:
    """``{"asOf": ms | None, "stale": bool, "source": <venue> | "simulator", "markets": [...]}`` from the cache.

    Never contacts the upstream. ``asOf`` is ``None`` (and ``markets`` empty)
    only before the feed's first batch.
    """
    body: dict[str, Any] = await app.ctx.market.view.snapshot_json()
    return body


async def read_recent_candles(app: ServiceApp) -> RecentDay:
    """Each symbol's last 24 hourly candles, oldest first, and a version that changes with them (:mod:`.recent`).

    Never contacts the upstream; read from the cache at most every few
    seconds per worker; a symbol without candles is left out.
    """
    day: RecentDay = await app.ctx.market.recent.read()
    return day
