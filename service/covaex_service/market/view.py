"""The read side for SSR, REST and the gateway: the cached snapshot as the public JSON body.

Nothing here talks to the upstream: every view is built from the cache. When
the cache cannot be reached, the last snapshot read successfully is served,
marked ``"stale": true``, until the cache answers again.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from covaex_service.clock import now_ms
from covaex_service.market.cache.contract import EMPTY_SNAPSHOT, CacheUnavailable, MarketCache, Snapshot
from covaex_service.market.model import Source

log = logging.getLogger("covaex.market.view")


READ_INTERVAL_SECONDS = 0.1
"""A snapshot read is reused for this long: a burst of page views costs one cache read."""
RETRY_AFTER_FAILURE_SECONDS = 0.5
"""After a failed read, requests are answered from the last snapshot (stale) without waiting on the cache."""


class MarketView:
    """Builds ``{"asOf", "stale", "source", "markets"}`` (INTERFACE.md ``GET /api/v1/markets``)."""

    def __init__(self, cache: MarketCache, default_source: Source) -> None:
        self._cache = cache
        self._default_source = default_source
        self._last_good: Snapshot = EMPTY_SNAPSHOT
        self._read_at = -1e9
        self._last_read: Snapshot = EMPTY_SNAPSHOT
        self._failed_at = -1e9
        self.cache_reachable = True
        self._encoded_version: tuple[object, ...] | None = None
        self._encoded = b""

    async def snapshot(self, *, fresh: bool = False) -> tuple[Snapshot, bool]:
        """The snapshot and whether it is stale (cache unreachable, or feed heartbeat too old).

        ``fresh`` reads the cache now, skipping the reuse window and the pause
        after a failure: the gateway's resync after a gap in the update channel
        must not get a copy read before the gap closed.
        """
        clock = time.monotonic()
        if not fresh and not self.cache_reachable and clock - self._failed_at < RETRY_AFTER_FAILURE_SECONDS:
            return self._last_good, True
        if not fresh and self.cache_reachable and clock - self._read_at < READ_INTERVAL_SECONDS:
            return self._judge(self._last_read)
        try:
            read = await self._cache.snapshot()
        except CacheUnavailable as exc:
            if self.cache_reachable:
                log.warning("cache unreachable, serving the last snapshot as stale: %s", exc)
            self.cache_reachable = False
            self._failed_at = time.monotonic()
            return self._last_good, True
        if not self.cache_reachable:
            log.info("cache reachable again")
        self.cache_reachable = True
        self._read_at, self._last_read = time.monotonic(), read
        return self._judge(read)

    def _judge(self, read: Snapshot) -> tuple[Snapshot, bool]:
        if read.as_of is None:
            # Nothing stored (first start, or the cache restarted empty): keep showing the last prices, stale.
            return self._last_good, True
        self._last_good = read
        return read, read.is_stale(now_ms())

    async def snapshot_json(self) -> dict[str, Any]:
        snap, stale = await self.snapshot()
        return self._body(snap, stale)

    async def snapshot_bytes(self) -> bytes:
        """:meth:`snapshot_json` as compact JSON, encoded once per version and shared by every request.

        The version is what the body is a function of: the snapshot's ``asOf``
        (a new one for every written snapshot), its source and staleness.
        """
        snap, stale = await self.snapshot()
        version = (snap.as_of, snap.source, stale)
        if version != self._encoded_version:
            self._encoded = json.dumps(self._body(snap, stale), separators=(",", ":")).encode()
            self._encoded_version = version
        return self._encoded

    def _body(self, snap: Snapshot, stale: bool) -> dict[str, Any]:
        return {
            "asOf": snap.as_of,
            "stale": stale,
            "source": snap.source or self._default_source,
            "markets": list(snap.markets),
        }
