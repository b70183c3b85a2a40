"""The Redis cache: required for several workers or instances (see :mod:`.contract` for keys and TTLs).

Every Redis failure surfaces as :class:`CacheUnavailable`, never a traceback;
the update subscription re-subscribes forever with backoff (at most
:data:`RESUBSCRIBE_CAP_SECONDS`) and yields ``None`` after each gap so the
gateway resyncs its clients.

Failing fast is the design: the service's own loops retry at known cadences
(the ingest's flush every 0.1 s, the read side after 0.5 s, the lease every
3 s), so a command fails within one round trip when Redis refuses, and within
:data:`SOCKET_TIMEOUT_SECONDS` when it does not answer, with no library
backoff in between. The one retry kept is :data:`RETRY_ON_CONNECTION_ERROR`:
after a Redis restart or failover every pooled connection is dead, and without
it the first command on each of them fails ("Connection closed by server"),
flipping ``/readyz`` back to 503 and delaying the ingest's first write after
the cache returned.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from covaex_service.market.backoff import Backoff
from covaex_service.market.cache.contract import (
    HEARTBEAT_TTL_SECONDS,
    KLINES_TTL_SECONDS,
    LEADER_TTL_MS,
    MARKET_TTL_SECONDS,
    SNAPSHOT_TTL_SECONDS,
    CacheUnavailable,
    Keys,
    Snapshot,
    decode_klines,
    decode_market,
    decode_snapshot,
    encode_heartbeat,
    encode_kline_update,
    encode_klines,
    encode_market,
    encode_open_kline,
    encode_snapshot,
    encode_update,
)
from covaex_service.market.candles import Kline
from covaex_service.market.model import Market, Source

log = logging.getLogger("covaex.market.cache")

SOCKET_TIMEOUT_SECONDS = 2.0
RETRY_ON_CONNECTION_ERROR = 1
"""Immediate retries, on a fresh connection, of a command whose connection broke (never of a timeout)."""
RESUBSCRIBE_CAP_SECONDS = 2.0
"""Longest wait between two attempts to re-subscribe to the update channel: live prices resume within it."""

# Keep the lease when we hold it, take it when nobody does, in one atomic step.
_LEAD_SCRIPT = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] or not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""
_RESIGN_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def _unless_cancelled(exc: BaseException) -> None:
    """Re-raise a cancellation that the client library turned into a timeout or connection error.

    A task cancelled in the middle of a Redis command may see a RedisError
    instead of CancelledError; swallowing it as "cache unavailable" would keep
    a stopping task alive forever.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError from exc


@contextlib.contextmanager
def _unavailable(failure: str) -> Iterator[None]:
    """Redis and socket errors inside the block as :class:`CacheUnavailable` (``"<failure>: <error>"``).

    The one translation every command of this cache goes through; a cancellation passes through.
    """
    try:
        yield
    except (RedisError, OSError) as exc:
        _unless_cancelled(exc)
        raise CacheUnavailable(f"{failure}: {exc}") from exc


class RedisCache:
    """The contract on a Redis server; safe to share between processes."""

    shared = True

    def __init__(self, url: str, keys: Keys | None = None) -> None:
        self._url = url
        self._keys = keys or Keys()
        self._redis: aioredis.Redis = aioredis.from_url(
            url,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
            socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), RETRY_ON_CONNECTION_ERROR, supported_errors=(RedisConnectionError,)),
        )

    async def write(self, changed: Sequence[Market], everything: Sequence[Market], source: Source, at_ms: int) -> None:
        with _unavailable("redis write failed"):
            async with self._redis.pipeline(transaction=False) as pipe:
                for market in changed:
                    pipe.set(self._keys.market(market.symbol), encode_market(market), ex=MARKET_TTL_SECONDS)
                pipe.set(self._keys.snapshot, encode_snapshot(everything, source, at_ms), ex=SNAPSHOT_TTL_SECONDS)
                pipe.set(self._keys.heartbeat, encode_heartbeat(source, at_ms), ex=HEARTBEAT_TTL_SECONDS)
                if changed:
                    pipe.publish(self._keys.updates, encode_update(changed, source, at_ms))
                await pipe.execute()

    async def write_klines(self, series: Sequence[Sequence[Kline]], live: Sequence[Kline], at_ms: int) -> None:
        with _unavailable("redis candle write failed"):
            async with self._redis.pipeline(transaction=False) as pipe:
                for candles in series:
                    if candles:
                        key = self._keys.klines(candles[0].symbol, candles[0].interval)
                        pipe.set(key, encode_klines(candles), ex=KLINES_TTL_SECONDS)
                for kline in live:
                    key = self._keys.open_kline(kline.symbol, kline.interval)
                    pipe.set(key, encode_open_kline(kline), ex=KLINES_TTL_SECONDS)
                if live:
                    pipe.publish(self._keys.updates, encode_kline_update(live, at_ms))
                await pipe.execute()

    async def klines(self, symbol: str, interval: str) -> tuple[Source, list[Kline]] | None:
        with _unavailable("redis read failed"):
            series_doc, open_doc = await self._redis.mget(
                [self._keys.klines(symbol, interval), self._keys.open_kline(symbol, interval)]
            )
        return decode_klines(symbol, interval, series_doc, open_doc)

    async def recent_klines(self, symbols: Sequence[str], interval: str, tail: int) -> dict[str, list[Kline]]:
        keys = [key for s in symbols for key in (self._keys.klines(s, interval), self._keys.open_kline(s, interval))]
        if not keys:
            return {}
        with _unavailable("redis read failed"):
            docs = await self._redis.mget(keys)
        found = {}
        for index, symbol in enumerate(symbols):
            stored = decode_klines(symbol, interval, docs[2 * index], docs[2 * index + 1], tail)
            if stored is not None:
                found[symbol] = stored[1]
        return found

    async def beat(self, source: Source, at_ms: int) -> None:
        with _unavailable("redis heartbeat failed"):
            await self._redis.set(self._keys.heartbeat, encode_heartbeat(source, at_ms), ex=HEARTBEAT_TTL_SECONDS)

    async def snapshot(self) -> Snapshot:
        with _unavailable("redis read failed"):
            snapshot_doc, heartbeat_doc = await self._redis.mget([self._keys.snapshot, self._keys.heartbeat])
        return decode_snapshot(snapshot_doc, heartbeat_doc)

    async def market(self, symbol: str) -> tuple[Source, dict[str, Any]] | None:
        with _unavailable("redis read failed"):
            doc = await self._redis.get(self._keys.market(symbol))
        return decode_market(doc)

    async def updates(self) -> AsyncIterator[bytes | None]:
        backoff = Backoff(base=0.2, cap=RESUBSCRIBE_CAP_SECONDS)
        first = True
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._keys.updates)
                if not first:
                    yield None  # updates may have been missed while unsubscribed
                first = False
                backoff.reset()
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        data = message["data"]
                        yield data if isinstance(data, bytes) else str(data).encode()
            except (RedisError, OSError) as exc:
                _unless_cancelled(exc)
                delay = backoff.next_delay()
                log.warning("redis subscription lost (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()

    async def try_lead(self, owner: str) -> bool:
        with _unavailable("redis lease failed"):
            result = await self._redis.eval(_LEAD_SCRIPT, 1, self._keys.leader, owner, str(LEADER_TTL_MS))
        return bool(result)

    async def resign(self, owner: str) -> None:
        with _unavailable("redis resign failed"):
            await self._redis.eval(_RESIGN_SCRIPT, 1, self._keys.leader, owner)

    async def ping(self) -> None:
        with _unavailable("redis unreachable"):
            await self._redis.ping()

    async def close(self) -> None:
        # A connection left mid-command by a cancelled task can hold the pool; shutdown must not wait on it.
        try:
            async with asyncio.timeout(SOCKET_TIMEOUT_SECONDS):
                await self._redis.aclose()
        except (TimeoutError, RedisError, OSError) as exc:
            log.warning("redis client did not close cleanly: %r", exc)
