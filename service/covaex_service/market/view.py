"""The read side for SSR, REST and the gateway: the cached snapshot as the public JSON body.

Nothing here talks to the upstream: every view is built from the cache. When
the cache cannot be reached, the last snapshot read successfully is served,
marked ``"stale": true``, until the cache answers again.
"""

from __future__ import annotations

import logging
from typing import Any

from covaex_service.market.cache.contract import EMPTY_SNAPSHOT, CacheUnavailable, MarketCache, Snapshot
from covaex_service.market.ingest import now_ms
from covaex_service.market.model import Source

log = logging.getLogger("covaex.market.view")


class MarketView:
    """Builds ``{"asOf", "stale", "source", "markets"}`` (INTERFACE.md ``GET /api/v1/markets``)."""

    def __init__(self, cache: MarketCache, default_source: Source) -> None:
        self._cache = cache
        self._default_source = default_source
        self._last_good: Snapshot = EMPTY_SNAPSHOT
        self.cache_reachable = True

    async def snapshot(self) -> tuple[Snapshot, bool]:
        """The snapshot and whether it is stale (cache unreachable, or feed heartbeat too old)."""
        try:
            snap = await self._cache.snapshot()
        except CacheUnavailable as exc:
            if self.cache_reachable:
                log.warning("cache unreachable, serving the last snapshot as stale: %s", exc)
            self.cache_reachable = False
            return self._last_good, True
        if not self.cache_reachable:
            log.info("cache reachable again")
        self.cache_reachable = True
        if snap.as_of is None and self._last_good.as_of is not None:
            # The cache restarted empty: keep showing the last prices (stale) until the feed refills it.
            return self._last_good, True
        self._last_good = snap
        # No prices yet is not fresh data, even with a live feed's heartbeat.
        return snap, snap.as_of is None or snap.is_stale(now_ms())

    async def snapshot_json(self) -> dict[str, Any]:
        snap, stale = await self.snapshot()
        return {
            "asOf": snap.as_of,
            "stale": stale,
            "source": snap.source or self._default_source,
            "markets": list(snap.markets),
        }
