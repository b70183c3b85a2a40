"""Ingest: one leader per deployment through the Redis lease, takeover when it leaves, a cache outage
that does not move the feed, honest source labels."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Sequence

from covaex_service.market.cache import EmbeddedCache, Keys, RedisCache
from covaex_service.market.cache.contract import LEADER_RENEW_SECONDS, LEADER_TTL_MS, CacheUnavailable
from covaex_service.market.feeds.base import KlineSink, MarketSink
from covaex_service.market.ingest import INCUMBENT_GRACE_SECONDS, Ingest
from covaex_service.market.model import Market, Source
from covaex_service.market.stats import FeedStats

from tests.support.servers import RedisServer
from tests.support.wait import eventually


class ScriptedFeed:
    """A feed the test drives by hand; records whether it is running."""

    def __init__(self, source: Source = "binance") -> None:
        self._source: Source = source
        self.running = False
        self.starts = 0
        self.sink: MarketSink | None = None
        self.klines: KlineSink | None = None

    @property
    def source(self) -> Source:
        return self._source

    def is_live(self) -> bool:
        return self.running

    async def run(self, sink: MarketSink, klines: KlineSink | None = None) -> None:
        self.sink, self.klines, self.running = sink, klines, True
        self.starts += 1
        try:
            await asyncio.Event().wait()
        finally:
            self.running = False

    def emit(self, markets: Sequence[Market]) -> None:
        assert self.sink is not None
        self.sink(markets)


def market(symbol: str, last: str, source: Source = "binance") -> Market:
    return Market(symbol, last, last, last, last, "0.000", "1", "1", 1, source)


async def test_one_leader_and_takeover(redis_url: str) -> None:
    keys = Keys(f"covaex-test:{uuid.uuid4().hex[:8]}:v1")
    caches = [RedisCache(redis_url, keys), RedisCache(redis_url, keys)]
    feeds = [ScriptedFeed(), ScriptedFeed()]
    ingests = [Ingest(feeds[i], caches[i], ["BTCUSDT"], FeedStats(), f"worker-{i}") for i in range(2)]
    tasks = [asyncio.create_task(ingests[0].run())]
    try:
        await eventually(lambda: feeds[0].running, what="first worker leading")
        tasks.append(asyncio.create_task(ingests[1].run()))
        await asyncio.sleep(LEADER_RENEW_SECONDS / 3)  # the second worker has tried at least once by now
        assert not feeds[1].running
        feeds[0].emit([market("BTCUSDT", "1.5")])
        await eventually(lambda: _last(caches[1]), what="leader's write visible to all")
        tasks[0].cancel()
        # Stopping resigns the lease; were that lost, the lease expires: either way the other worker takes over.
        takeover_within = LEADER_TTL_MS / 1000 + 2 * LEADER_RENEW_SECONDS + 1
        await eventually(lambda: feeds[1].running, within=takeover_within, what="takeover")
        assert not feeds[0].running
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks, timeout=5)
        for cache in caches:
            await cache.close()


async def _last(cache: RedisCache, last: str = "1.5") -> bool:
    snap = await cache.snapshot()
    return bool(snap.markets) and snap.markets[0]["last"] == last


class LeaseSpy(RedisCache):
    """A Redis cache that counts the lease attempts the cache refused."""

    refused = 0

    async def try_lead(self, owner: str) -> bool:
        try:
            return await super().try_lead(owner)
        except CacheUnavailable:
            self.refused += 1
            raise


async def test_a_cache_outage_does_not_move_the_feed(own_redis: RedisServer) -> None:
    # A restarted Redis comes back empty, without the lease key. Were the other worker to take it, its feed
    # would start cold (the simulator fallback alone waits 10 s): the leader must keep the feed, and its
    # prices must be fresh again within a flush and a reconnect.
    keys = Keys(f"covaex-test:{uuid.uuid4().hex[:8]}:v1")
    caches = [LeaseSpy(own_redis.url, keys), LeaseSpy(own_redis.url, keys)]
    feeds = [ScriptedFeed(), ScriptedFeed()]
    ingests = [Ingest(feeds[i], caches[i], ["BTCUSDT"], FeedStats(), f"worker-{i}") for i in range(2)]
    tasks = [asyncio.create_task(ingests[0].run())]
    try:
        await eventually(lambda: feeds[0].running, what="first worker leading")
        tasks.append(asyncio.create_task(ingests[1].run()))
        feeds[0].emit([market("BTCUSDT", "1.5")])
        await eventually(lambda: _last(caches[1]), what="leader's write visible to all")
        own_redis.stop()
        await eventually(lambda: caches[1].refused, within=3 * LEADER_RENEW_SECONDS, what="the other worker refused")
        # Back right after the leader's renewal failed: the other worker's next attempt comes first.
        refused = caches[0].refused
        await eventually(lambda: caches[0].refused > refused, within=3 * LEADER_RENEW_SECONDS, what="leader refused")
        own_redis.start()
        feeds[0].emit([market("BTCUSDT", "1.6")])
        await eventually(lambda: _last(caches[1], "1.6"), within=1.0, what="fresh prices after the outage")
        await asyncio.sleep(LEADER_RENEW_SECONDS + INCUMBENT_GRACE_SECONDS + 1)  # both have tried the lease again
        assert (feeds[0].running, feeds[0].starts, feeds[1].starts) == (True, 1, 0)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks, timeout=5)
        for cache in caches:
            await cache.close()


async def test_snapshot_says_simulator_while_any_price_is_simulated() -> None:
    cache = EmbeddedCache()
    feed = ScriptedFeed("binance")
    task = asyncio.create_task(Ingest(feed, cache, ["BTCUSDT", "ETHUSDT"], FeedStats(), "w").run())
    try:
        await eventually(lambda: feed.running, what="feed started")
        feed.emit([market("BTCUSDT", "1", "simulator"), market("ETHUSDT", "2")])

        async def labelled(expected: Source) -> bool:
            return (await cache.snapshot()).source == expected

        await eventually(lambda: labelled("simulator"), what="simulator label")
        feed.emit([market("BTCUSDT", "3")])
        await eventually(lambda: labelled("binance"), what="binance label once every price is real")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_change_is_written_at_once_and_then_at_most_once_per_window() -> None:
    """A tick waits for the rest of its burst, not for a fixed sleep: at 5 ticks/s a sleep that drifted past the
    window merged ticks of one symbol (issue 26). The window still bounds the writes: one per window at most."""
    cache = EmbeddedCache()
    feed = ScriptedFeed("binance")
    # An hour's window: the first change must not wait for it (the old loop slept it first), the second must.
    task = asyncio.create_task(Ingest(feed, cache, ["BTCUSDT"], FeedStats(), "w", flush_interval=3600).run())

    async def last() -> str | None:
        markets = (await cache.snapshot()).markets
        return str(markets[0]["last"]) if markets else None

    try:
        await eventually(lambda: feed.running, what="feed started")
        feed.emit([market("BTCUSDT", "1")])
        await eventually(lambda: _is(last(), "1"), what="the first change written without waiting a window")
        feed.emit([market("BTCUSDT", "2")])
        for _ in range(20):  # the loop turns; the window of the first write is not over
            await asyncio.sleep(0.01)
        assert await last() == "1"
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _is(value: Awaitable[str | None], expected: str) -> bool:
    return await value == expected
