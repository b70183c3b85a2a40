"""Feed -> cache: runs the feed on the elected leader and writes its batches, pipelined.

Only one process in a deployment talks to the upstream: the holder of the
lease key (:data:`~.cache.contract.LEADER_KEY`). Every worker competes for it
every :data:`~.cache.contract.LEADER_RENEW_SECONDS`; when the leader dies its
lease expires and another worker takes over. With the embedded cache the one
process always leads.

The feed's sink only records the latest value per symbol (memory bounded by
the symbol count); a flush loop writes what changed in one round trip, and
refreshes the heartbeat while the feed is live. A change is written
:data:`GATHER_SECONDS` after it arrived (the rest of the upstream's burst
joins it), but never sooner than :data:`FLUSH_INTERVAL_SECONDS` after the
previous flush began: at most twenty round trips a second, and a tick waits
at most one window, so at up to twenty ticks a second per symbol no tick is
coalesced away (a fixed 100 ms sleep between flushes drifted past 100 ms
under load and merged 2-4 % of 5-per-second ticks; issue 26). The window is
most of a tick's latency through the chain (``benchmarks/ws_chain.py``
measures both); halving it doubles the frames to clients that watch every
symbol. When the cache is down the changes are kept and written once it is
back.

A cache outage does not move the feed: a restarted (or failed-over) Redis
may come back without the lease key, and a new leader's feed would start
cold (Binance connect and REST resync, or the simulator fallback's 10 s when
Binance is unreachable). So the leader keeps its feed through the outage and
re-asserts its lease with its first successful write, within one flush
interval of the cache answering; a worker that was not leading waits
:data:`INCUMBENT_GRACE_SECONDS` after the cache answers it before competing.
Prices are therefore fresh again one flush plus one reconnect after the cache
returns; only when no worker was leading does the recovery include a feed
start (the first lease within :data:`CACHE_PROBE_SECONDS` +
:data:`INCUMBENT_GRACE_SECONDS`).

Candles take the same path: the sink keeps each ``(symbol, interval)`` series
in memory (at most :data:`~.candles.KLINES_KEPT` candles) and the flush writes
a series only when it gained a candle, and the open candle whenever it moved
(:meth:`~.cache.contract.MarketCache.write_klines`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence

from covaex_service.clock import now_ms
from covaex_service.market.cache.contract import (
    HEARTBEAT_INTERVAL_SECONDS,
    LEADER_RENEW_SECONDS,
    CacheUnavailable,
    MarketCache,
    SeriesKey,
)
from covaex_service.market.candles import KLINES_KEPT, Kline, merge_series
from covaex_service.market.feeds.base import MarketFeed
from covaex_service.market.model import Market, Source
from covaex_service.market.stats import FeedStats
from covaex_service.venues import SIMULATOR, is_simulated

log = logging.getLogger("covaex.market.ingest")

FLUSH_INTERVAL_SECONDS = 0.05
"""Batching window of cache writes: at most twenty round trips a second whatever the tick rate."""
GATHER_SECONDS = 0.005
"""How long a flush woken by a change waits for the rest of the upstream's burst (one frame per symbol)."""
CACHE_PROBE_SECONDS = 0.5
"""How often a worker that is not leading asks an unreachable cache whether it is back."""
INCUMBENT_GRACE_SECONDS = 1.0
"""After a cache outage, how long a worker that was not leading leaves the leader to re-assert its lease
(it does so with its first write, within one flush interval of the cache answering)."""


class Ingest:
    """Owns the feed task while this process holds the lease."""

    def __init__(
        self,
        feed: MarketFeed,
        cache: MarketCache,
        symbols: Sequence[str],
        stats: FeedStats,
        owner: str,
        *,
        flush_interval: float = FLUSH_INTERVAL_SECONDS,
    ) -> None:
        self.feed = feed
        self._cache = cache
        self._order = {symbol: i for i, symbol in enumerate(symbols)}
        self._stats = stats
        self._owner = owner
        self._flush_interval = flush_interval
        self._latest: dict[str, Market] = {}
        self._pending: dict[str, Market] = {}
        self._series: dict[SeriesKey, list[Kline]] = {}
        self._series_dirty: set[SeriesKey] = set()
        self._open_pending: dict[SeriesKey, Kline] = {}
        self._feed_task: asyncio.Task[None] | None = None
        self._last_write = 0.0
        self._cache_down = False
        self._changed = asyncio.Event()

    @property
    def leading(self) -> bool:
        return self._feed_task is not None and not self._feed_task.done()

    def _sink(self, markets: Sequence[Market]) -> None:
        for market in markets:
            if market.symbol not in self._order:
                continue  # an upstream extra we did not ask for
            self._latest[market.symbol] = market
            self._pending[market.symbol] = market
        self._stats.ticks_ingested += len(markets)
        self._changed.set()

    def _kline_sink(self, klines: Sequence[Kline]) -> None:
        for kline in klines:
            if kline.symbol not in self._order:
                continue
            key = (kline.symbol, kline.interval)
            series = self._series.setdefault(key, [])
            if series and series[-1].open_time == kline.open_time:
                series[-1] = kline  # the open candle moved: a small write
            elif not series or kline.open_time > series[-1].open_time:
                series.append(kline)  # a new candle: the series document is rewritten
                del series[:-KLINES_KEPT]
                self._series_dirty.add(key)
            else:
                self._series[key] = merge_series(series, [kline])  # history (REST resync, simulator start)
                self._series_dirty.add(key)
            self._open_pending[key] = self._series[key][-1]

    async def run(self) -> None:
        """Compete for the lease and flush, until cancelled."""
        lease = asyncio.create_task(self._lease_loop(), name="covaex-ingest-lease")
        loop = asyncio.get_running_loop()
        try:
            began = float("-inf")  # the first change is written at once
            while True:
                await self._until_next_flush(began)
                began = loop.time()
                if self.leading:
                    await self._flush()
        finally:
            feed, self._feed_task = self._feed_task, None
            stopping = [task for task in (lease, feed) if task is not None]
            for task in stopping:
                task.cancel()
            # gather, not "await task" under suppress(CancelledError): that would also swallow our own cancel.
            await asyncio.gather(*stopping, return_exceptions=True)
            with contextlib.suppress(CacheUnavailable):
                await self._cache.resign(self._owner)

    async def _until_next_flush(self, began: float) -> None:
        """One window after the previous flush began; then, with nothing to write, until a change or another window.

        Idle, the loop still turns every window: the heartbeat, the candles and
        the retries of a cache outage go on as before.
        """
        loop = asyncio.get_running_loop()
        pause = began + self._flush_interval - loop.time()
        if pause > 0:
            await asyncio.sleep(pause)
        if self._pending:
            return
        self._changed.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._flush_interval):
                await self._changed.wait()
                await asyncio.sleep(GATHER_SECONDS)

    async def _lease_loop(self) -> None:
        while True:
            try:
                lead = await self._cache.try_lead(self._owner)
            except CacheUnavailable:
                if not self.leading:
                    await self._wait_out_incumbent()
                    continue
                lead = True  # nobody can take over while the cache is down: keep the feed, warm
            if lead and not self.leading:
                log.info("ingest lease taken by %s; starting the %s feed", self._owner, self.feed.source)
                self._feed_task = asyncio.create_task(self.feed.run(self._sink, self._kline_sink), name="covaex-feed")
            elif not lead and self.leading:
                log.info("ingest lease lost by %s; stopping the feed", self._owner)
                await self._stop_feed()
            await asyncio.sleep(LEADER_RENEW_SECONDS)

    async def _wait_out_incumbent(self) -> None:
        """Until the cache answers, then the leader's grace: it keeps the feed, warm, if there is one."""
        while True:
            try:
                await self._cache.ping()
            except CacheUnavailable:
                await asyncio.sleep(CACHE_PROBE_SECONDS)
            else:
                await asyncio.sleep(INCUMBENT_GRACE_SECONDS)
                return

    async def _reassert_lease(self) -> None:
        """Right after the cache came back: the lease again, before anyone else takes the empty key."""
        try:
            lead = await self._cache.try_lead(self._owner)
        except CacheUnavailable:
            return  # gone again: the lease loop keeps trying
        if not lead and self.leading:
            log.info("ingest lease taken by another worker during the cache outage; stopping the feed")
            await self._stop_feed()

    async def _stop_feed(self) -> None:
        task, self._feed_task = self._feed_task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def _label(self, everything: Sequence[Market]) -> Source:
        # Honest labelling: while any shown price is simulated (auto fallback, or the moments after
        # Binance returns and before every symbol is refreshed), the whole snapshot says so.
        if is_simulated(self.feed.source) or any(is_simulated(m.source) for m in everything):
            return SIMULATOR
        return self.feed.source

    async def _flush(self) -> None:
        if self._feed_task is not None and self._feed_task.done() and not self._feed_task.cancelled():
            # Feeds retry forever; one that ended has a bug. Log it and restart it at the next renewal.
            exc = self._feed_task.exception()
            log.error("feed stopped unexpectedly: %r", exc)
            self._feed_task = None
            return
        pending, self._pending = self._pending, {}
        try:
            if pending:
                everything = sorted(self._latest.values(), key=lambda m: self._order[m.symbol])
                changed = sorted(pending.values(), key=lambda m: self._order[m.symbol])
                await self._cache.write(changed, everything, self._label(everything), now_ms())
                self._last_write = time.monotonic()
            elif self.feed.is_live() and time.monotonic() - self._last_write >= HEARTBEAT_INTERVAL_SECONDS:
                await self._cache.beat(self.feed.source, now_ms())
                self._last_write = time.monotonic()
        except CacheUnavailable as exc:
            # Keep what was not written; newer values of the same symbols win.
            self._pending = {**pending, **self._pending}
            self._stats.cache_write_errors += 1
            if not self._cache_down:
                log.warning("cache write failed, keeping the batch for later: %s", exc)
            self._cache_down = True
            return
        await self._flush_klines()
        if self._cache_down:
            log.info("cache writes recovered")
            self._cache_down = False
            await self._reassert_lease()
            # The cache may have restarted empty: rewrite the whole snapshot at once.
            self._pending = {**self._latest, **self._pending}
            self._series_dirty.update(self._series)

    async def _flush_klines(self) -> None:
        if not self._series_dirty and not self._open_pending:
            return
        dirty, self._series_dirty = self._series_dirty, set()
        live, self._open_pending = self._open_pending, {}
        try:
            await self._cache.write_klines([self._series[k] for k in dirty], list(live.values()), now_ms())
        except CacheUnavailable as exc:
            self._series_dirty |= dirty
            self._open_pending = {**live, **self._open_pending}
            self._stats.cache_write_errors += 1
            log.debug("candle write failed, keeping it for later: %s", exc)
