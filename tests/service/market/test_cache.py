"""The cache contract, run against both implementations: a real Redis server and the embedded cache."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from covaex_service.market.cache import CacheUnavailable, EmbeddedCache, Keys, MarketCache, RedisCache
from covaex_service.market.cache.contract import (
    HEARTBEAT_TTL_SECONDS,
    MARKET_TTL_SECONDS,
    NAMESPACE,
    SNAPSHOT_KEY,
    STALE_AFTER_MS,
    UPDATES_CHANNEL,
)
from covaex_service.market.model import Market

from covaex.localserve import free_port
from tests.support.servers import RedisServer


def market(symbol: str, last: str, at: int = 1_732_600_000_000) -> Market:
    return Market(symbol, last, last, last, last, "0.000", "10", "20.5", at, "binance")


@pytest.fixture(params=["redis", "embedded"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[MarketCache]:
    keys = Keys(f"covaex-test:{uuid.uuid4().hex[:8]}:v1")
    if request.param == "embedded":
        yield EmbeddedCache(keys)
        return
    redis_url: str = request.getfixturevalue("redis_url")
    real = RedisCache(redis_url, keys)
    yield real
    await real.close()


def now_ms() -> int:
    return int(time.time() * 1000)


async def test_documented_key_names() -> None:
    assert Keys().snapshot == SNAPSHOT_KEY == f"{NAMESPACE}:snapshot"
    assert Keys().updates == UPDATES_CHANNEL
    assert Keys().market("1000SATSUSDT") == "covaex:v1:market:1000SATSUSDT"


async def test_snapshot_round_trip_is_exact_and_fresh(cache: MarketCache) -> None:
    empty = await cache.snapshot()
    assert empty.as_of is None and empty.markets == () and empty.is_stale(now_ms())
    everything = [market("BTCUSDT", "96000.10000000"), market("PEPEUSDT", "0.00001234")]
    at = now_ms()
    await cache.write(everything, everything, "binance", at)
    snap = await cache.snapshot()
    assert snap.as_of == at and snap.source == "binance"
    assert [m["last"] for m in snap.markets] == ["96000.10000000", "0.00001234"]
    assert not snap.is_stale(at + 1000)
    assert snap.is_stale(at + STALE_AFTER_MS + 1)
    assert await cache.market("PEPEUSDT") == ("binance", everything[1].to_json())
    assert await cache.market("ETHUSDT") is None


async def test_heartbeat_alone_keeps_the_snapshot_fresh(cache: MarketCache) -> None:
    old = now_ms() - STALE_AFTER_MS - 5000
    await cache.write([market("BTCUSDT", "1")], [market("BTCUSDT", "1")], "simulator", old)
    assert (await cache.snapshot()).is_stale(now_ms())
    await cache.beat("simulator", now_ms())
    snap = await cache.snapshot()
    assert not snap.is_stale(now_ms()) and snap.as_of == old and snap.source == "simulator"


async def test_updates_carry_only_changed_markets(cache: MarketCache) -> None:
    updates = cache.updates()
    first = asyncio.ensure_future(updates.__anext__())
    await asyncio.sleep(0.2)  # let the subscription register
    everything = [market("BTCUSDT", "1.5"), market("ETHUSDT", "2.5")]
    await cache.write(everything[1:], everything, "binance", now_ms())
    payload = await asyncio.wait_for(first, 5)
    assert payload is not None
    assert b'"ETHUSDT"' in payload and b'"BTCUSDT"' not in payload
    await updates.aclose()  # type: ignore[attr-defined]


async def test_one_leader_at_a_time(cache: MarketCache) -> None:
    assert await cache.try_lead("worker-a")
    assert await cache.try_lead("worker-a")  # renewal
    if cache.shared:
        assert not await cache.try_lead("worker-b")
        await cache.resign("worker-a")
        assert await cache.try_lead("worker-b")


async def test_redis_keys_and_ttls_as_documented(redis_url: str) -> None:
    keys = Keys(f"covaex-test:{uuid.uuid4().hex[:8]}:v1")
    cache = RedisCache(redis_url, keys)
    raw = aioredis.from_url(redis_url)
    try:
        await cache.write([market("BTCUSDT", "3")], [market("BTCUSDT", "3")], "binance", now_ms())
        assert 0 < await raw.ttl(keys.market("BTCUSDT")) <= MARKET_TTL_SECONDS
        assert 0 < await raw.ttl(keys.heartbeat) <= HEARTBEAT_TTL_SECONDS
        assert await raw.exists(keys.snapshot) == 1
        await raw.set(keys.snapshot, b"{not json")
        with pytest.raises(CacheUnavailable, match="malformed"):
            await cache.snapshot()
        await raw.delete(keys.snapshot, keys.heartbeat, keys.market("BTCUSDT"), keys.leader)
    finally:
        await cache.close()
        await raw.aclose()


async def test_unreachable_redis_is_a_clear_error() -> None:
    cache = RedisCache(f"redis://127.0.0.1:{free_port()}/0")
    try:
        with pytest.raises(CacheUnavailable, match="unreachable"):
            await cache.ping()
        with pytest.raises(CacheUnavailable, match="write failed"):
            await cache.write([market("BTCUSDT", "1")], [market("BTCUSDT", "1")], "binance", now_ms())
        with pytest.raises(CacheUnavailable):
            await cache.snapshot()
    finally:
        with contextlib.suppress(Exception):
            await cache.close()


async def test_a_restarted_redis_answers_every_pooled_connection_at_once(own_redis: RedisServer) -> None:
    # After a restart (or a failover) every pooled connection is dead; each must reconnect on its first
    # command instead of failing it, or /readyz flips to 503 again just after the cache came back.
    cache = RedisCache(own_redis.url, Keys(f"covaex-test:{uuid.uuid4().hex[:8]}:v1"))
    try:
        await asyncio.gather(*(cache.ping() for _ in range(8)))  # eight pooled connections
        own_redis.stop()
        with pytest.raises(CacheUnavailable):
            await cache.ping()
        own_redis.start()
        writes = [cache.write([market(s, "1")], [market(s, "1")], "binance", now_ms()) for s in ("BTCUSDT", "ETHUSDT")]
        calls = [cache.ping() for _ in range(4)] + [cache.snapshot() for _ in range(2)] + writes
        results = await asyncio.gather(*calls, return_exceptions=True)
        assert [r for r in results if isinstance(r, BaseException)] == []
    finally:
        await cache.close()
