"""The embedded in-process cache: the default, for one worker without Redis.

It stores the same documents under the same key names as the Redis cache
(:mod:`.contract`), with the same TTLs, so both behave alike; pub/sub is an
in-process fan-out to bounded queues.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

from covaex_service.market.cache.contract import (
    HEARTBEAT_TTL_SECONDS,
    KLINES_TTL_SECONDS,
    MARKET_TTL_SECONDS,
    SNAPSHOT_TTL_SECONDS,
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

SUBSCRIBER_QUEUE_SIZE = 256
"""Update messages buffered per in-process subscriber; beyond it the oldest is dropped and a resync sent."""


class EmbeddedCache:
    """Key/value documents with expiry in a dict; one process only."""

    shared = False

    def __init__(self, keys: Keys | None = None) -> None:
        self._keys = keys or Keys()
        self._values: dict[str, tuple[bytes, float]] = {}
        self._subscribers: set[asyncio.Queue[bytes | None]] = set()

    def _set(self, key: str, value: bytes, ttl_seconds: float) -> None:
        self._values[key] = (value, time.monotonic() + ttl_seconds)

    def _get(self, key: str) -> bytes | None:
        item = self._values.get(key)
        if item is None:
            return None
        value, expires = item
        if time.monotonic() >= expires:
            del self._values[key]
            return None
        return value

    async def write(self, changed: Sequence[Market], everything: Sequence[Market], source: Source, at_ms: int) -> None:
        for market in changed:
            self._set(self._keys.market(market.symbol), encode_market(market), MARKET_TTL_SECONDS)
        self._set(self._keys.snapshot, encode_snapshot(everything, source, at_ms), SNAPSHOT_TTL_SECONDS)
        self._set(self._keys.heartbeat, encode_heartbeat(source, at_ms), HEARTBEAT_TTL_SECONDS)
        if changed:
            self._publish(encode_update(changed, source, at_ms))

    async def write_klines(self, series: Sequence[Sequence[Kline]], live: Sequence[Kline], at_ms: int) -> None:
        for candles in series:
            if candles:
                key = self._keys.klines(candles[0].symbol, candles[0].interval)
                self._set(key, encode_klines(candles), KLINES_TTL_SECONDS)
        for kline in live:
            self._set(self._keys.open_kline(kline.symbol, kline.interval), encode_open_kline(kline), KLINES_TTL_SECONDS)
        if live:
            self._publish(encode_kline_update(live, at_ms))

    async def klines(self, symbol: str, interval: str) -> tuple[Source, list[Kline]] | None:
        return decode_klines(
            symbol,
            interval,
            self._get(self._keys.klines(symbol, interval)),
            self._get(self._keys.open_kline(symbol, interval)),
        )

    async def recent_klines(self, symbols: Sequence[str], interval: str, tail: int) -> dict[str, list[Kline]]:
        found = {}
        for symbol in symbols:
            series_doc = self._get(self._keys.klines(symbol, interval))
            open_doc = self._get(self._keys.open_kline(symbol, interval))
            stored = decode_klines(symbol, interval, series_doc, open_doc, tail)
            if stored is not None:
                found[symbol] = stored[1]
        return found

    def _publish(self, message: bytes) -> None:
        for queue in self._subscribers:
            if queue.full():
                # A stuck subscriber loses history, not memory: it resyncs from the snapshot.
                queue.get_nowait()
                queue.put_nowait(None)
                continue
            queue.put_nowait(message)

    async def beat(self, source: Source, at_ms: int) -> None:
        self._set(self._keys.heartbeat, encode_heartbeat(source, at_ms), HEARTBEAT_TTL_SECONDS)

    async def snapshot(self) -> Snapshot:
        return decode_snapshot(self._get(self._keys.snapshot), self._get(self._keys.heartbeat))

    async def market(self, symbol: str) -> tuple[Source, dict[str, Any]] | None:
        return decode_market(self._get(self._keys.market(symbol)))

    async def updates(self) -> AsyncIterator[bytes | None]:
        queue: asyncio.Queue[bytes | None] = asyncio.Queue(SUBSCRIBER_QUEUE_SIZE)
        self._subscribers.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._subscribers.discard(queue)

    async def try_lead(self, owner: str) -> bool:
        return True  # one process: it is always the leader

    async def resign(self, owner: str) -> None:
        return None

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._values.clear()
