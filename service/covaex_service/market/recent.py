"""The last 24 hours of every symbol, as hourly candles: what the list's sparklines are drawn from.

Read from the cache like everything else on the read side, never upstream,
and at most once per :data:`REFRESH_SECONDS` per worker, however many pages
are served: a 24 h line of hourly candles does not change visibly faster than
that. Each read that differs from the last gets a new :attr:`RecentDay.version`,
which the main page's render cache keys on with the snapshot's. One read is one
round trip for every symbol (the series and open-candle keys in one ``MGET``),
and only the newest :data:`DAY_CANDLES` candles of each series are built.

A symbol without candles in the cache is absent from the answer (its row
shows no line rather than a made-up one); when the cache cannot be read, the
last good answer is kept and the failure logged once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from covaex_service.market.cache.contract import CacheUnavailable, MarketCache
from covaex_service.market.candles import DAY_CANDLES, DAY_INTERVAL, Kline

log = logging.getLogger("covaex.market.recent")


REFRESH_SECONDS = 5.0
"""How long one read is reused: the line's last point follows the price within this (the row states the price)."""


@dataclass(frozen=True)
class RecentDay:
    """One read: ``{symbol: candles oldest first}`` (symbols without candles left out) and its version.

    The version changes exactly when the candles do, so a page drawn from them
    can be cached under it (the main page's render-cache key includes it).
    """

    version: int
    series: Mapping[str, tuple[Kline, ...]]


EMPTY_DAY = RecentDay(0, {})


class RecentCandles:
    """One worker's reader of the last :data:`DAY_CANDLES` hourly candles per symbol."""

    def __init__(self, cache: MarketCache, symbols: Sequence[str], refresh_seconds: float = REFRESH_SECONDS) -> None:
        self._cache = cache
        self._symbols = tuple(symbols)
        self._refresh = refresh_seconds
        self._read_at = -1e9
        self._last = EMPTY_DAY
        self._failing = False

    async def read(self) -> RecentDay:
        """The newest read, from the cache when the last one is older than the refresh window."""
        if time.monotonic() - self._read_at < self._refresh:
            return self._last
        self._read_at = time.monotonic()  # a failing cache is retried after the window too, not per request
        try:
            found = await self._cache.recent_klines(self._symbols, DAY_INTERVAL, DAY_CANDLES)
        except CacheUnavailable as exc:
            if not self._failing:
                log.warning("candles unreadable, the list keeps its last sparklines: %s", exc)
            self._failing = True
            return self._last
        self._failing = False
        series = {symbol: tuple(candles) for symbol, candles in found.items()}
        if series != self._last.series:
            self._last = RecentDay(self._last.version + 1, series)
        return self._last
