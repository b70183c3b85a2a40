"""Candles end to end: Binance's klines (REST history, kline streams) through the real client, the local
server speaking them as Binance does, the simulator's labelled candles, the cache, REST and the WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import uuid
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from covaex_service.market.cache import Keys
from covaex_service.market.cache.embedded import EmbeddedCache
from covaex_service.market.cache.redis_cache import RedisCache
from covaex_service.market.candles import INTERVAL_MS, KLINES_KEPT, Kline, merge_series
from covaex_service.market.devtools.binance_server import LocalBinance
from covaex_service.market.feeds.binance import KlineEvent, MalformedFrame, parse_rest_klines, parse_stream_frame
from covaex_service.market.feeds.binance_client import BinanceFeed
from covaex_service.market.feeds.simulator import SimulatorFeed, tick_size
from covaex_service.market.model import Market
from covaex_service.market.recent import RecentCandles
from covaex_service.market.stats import FeedStats
from websockets.asyncio.client import connect

from tests.support.service import SYMBOLS, make_settings, running_app
from tests.support.wait import eventually

# Binance's documented example of a kline stream frame (spot, combined envelope).
STREAM_FRAME = {
    "stream": "btcusdt@kline_1m",
    "data": {
        "e": "kline", "E": 1732600000123, "s": "BTCUSDT",
        "k": {"t": 1732599960000, "T": 1732600019999, "s": "BTCUSDT", "i": "1m", "f": 100, "L": 200,
              "o": "95990.00", "c": "96000.10", "h": "96010.00", "l": "95980.00", "v": "12.345", "n": 100,
              "x": False, "q": "1185000.00", "V": "6.1", "Q": "585000.00", "B": "0"},
    },
}  # fmt: skip
REST_ROW = [1732599960000, "95990.00", "96010.00", "95980.00", "96000.10", "12.345", 1732600019999,
            "1185000.00", 100, "6.1", "585000.00", "0"]  # fmt: skip


def candle(open_time: int, close: str, *, interval: str = "1m", source: Any = "binance") -> Kline:
    length = INTERVAL_MS[interval]
    return Kline("BTCUSDT", interval, open_time, open_time + length - 1, close, close, close, close, "1", False, source)


# -- parsing ------------------------------------------------------------------


def test_a_kline_stream_frame_parses_to_exact_strings() -> None:
    frame = parse_stream_frame(json.dumps(STREAM_FRAME))
    assert isinstance(frame, KlineEvent)
    assert frame.kline.to_json() == {
        "openTime": 1732599960000, "open": "95990.00", "high": "96010.00", "low": "95980.00",
        "close": "96000.10", "volume": "12.345", "closeTime": 1732600019999,
    }  # fmt: skip
    assert frame.kline.interval == "1m" and frame.kline.closed is False and frame.kline.source == "binance"


@pytest.mark.parametrize("change", [{"x": "no"}, {"o": 95990.0}, {"i": "7m"}, {"t": -1}, {"s": "btc usdt"}], ids=str)
def test_a_malformed_kline_frame_is_refused(change: dict[str, Any]) -> None:
    frame = json.loads(json.dumps(STREAM_FRAME))
    frame["data"]["k"].update(change)
    with pytest.raises(MalformedFrame):
        parse_stream_frame(json.dumps(frame))


def test_rest_klines_rows_parse_and_bad_rows_are_counted() -> None:
    klines, skipped = parse_rest_klines([REST_ROW, ["garbage"], [*REST_ROW[:1], 1.5, *REST_ROW[2:]]], "BTCUSDT", "1m",
                                        now_ms=1732600020000)  # fmt: skip
    assert skipped == 2
    assert [k.close for k in klines] == ["96000.10"]
    assert klines[0].closed  # its close time is past
    with pytest.raises(MalformedFrame):
        parse_rest_klines({"code": -1121}, "BTCUSDT", "1m", now_ms=0)


def test_a_series_keeps_one_candle_per_open_time_oldest_first_and_the_newest_n() -> None:
    series = merge_series([candle(60_000, "1"), candle(0, "0")], [candle(60_000, "2"), candle(120_000, "3")], keep=2)
    assert [(k.open_time, k.close) for k in series] == [(60_000, "2"), (120_000, "3")]


# -- the local Binance server speaks klines as Binance does -----------------------


async def test_local_server_answers_klines_and_binances_errors(binance: LocalBinance) -> None:
    binance.set_klines([candle(i * 60_000, str(i)) for i in range(5)])
    async with httpx.AsyncClient(base_url=binance.rest_url) as http:
        rows = (await http.get("/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1m", "limit": 3})).json()
        assert [row[0] for row in rows] == [120_000, 180_000, 240_000]  # the newest, oldest first
        assert all(len(row) == 12 and isinstance(row[1], str) for row in rows)
        since = await http.get("/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1m", "startTime": 60_000,
                                                          "limit": 2})  # fmt: skip
        assert [row[0] for row in since.json()] == [60_000, 120_000]
        for params, code in (
            ({"interval": "1m"}, -1102),
            ({"symbol": "BTCUSDT", "interval": "7m"}, -1120),
            ({"symbol": "NOPEUSDT", "interval": "1m"}, -1121),
            ({"symbol": "BTCUSDT", "interval": "1m", "limit": 1001}, -1130),
        ):
            answer = await http.get("/api/v3/klines", params=params)
            assert answer.status_code == 400 and answer.json()["code"] == code, params


# -- the real client ---------------------------------------------------------------


@contextlib.asynccontextmanager
async def running_feed(feed: BinanceFeed) -> AsyncIterator[list[Kline]]:
    got: list[Kline] = []

    def markets(batch: Sequence[Market]) -> None:
        pass

    task = asyncio.create_task(feed.run(markets, got.extend))
    try:
        yield got
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_the_client_fetches_history_and_follows_the_live_candle(binance: LocalBinance) -> None:
    binance.set_klines([candle(i * 60_000, f"{i}.5") for i in range(3)])
    feed = BinanceFeed(SYMBOLS, binance.ws_url, binance.rest_url, FeedStats(), backoff_base=0.01, backoff_cap=0.1)
    async with running_feed(feed) as got:
        await eventually(lambda: [k for k in got if k.symbol == "BTCUSDT" and k.interval == "1m"], what="history")
        assert any(r == "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=500" for r in binance.rest_requests)
        await eventually(lambda: binance.open_connections, what="connection")
        streams = set(binance.open_connections[0].streams)
        assert {"btcusdt@ticker", "btcusdt@kline_1m", "btcusdt@kline_1h", "btcusdt@kline_1d"} <= streams
        await binance.push_kline(candle(180_000, "42.00"))
        await eventually(lambda: any(k.open_time == 180_000 and k.close == "42.00" for k in got), what="live candle")


async def test_without_a_candle_sink_the_client_asks_for_no_candle_streams(binance: LocalBinance) -> None:
    feed = BinanceFeed(SYMBOLS, binance.ws_url, binance.rest_url, FeedStats(), backoff_base=0.01, backoff_cap=0.1)
    task = asyncio.create_task(feed.run(lambda batch: None))
    try:
        await eventually(lambda: binance.open_connections, what="connection")
        assert all("@kline_" not in s for s in binance.open_connections[0].streams)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


# -- the simulator --------------------------------------------------------------------


async def test_the_simulator_makes_labelled_history_and_moves_the_open_candle() -> None:
    got: list[Kline] = []
    task = asyncio.create_task(SimulatorFeed(["BTCUSDT"], interval=0.05, rng_seed=7).run(lambda b: None, got.extend))
    try:
        await eventually(lambda: len(got) > 3 * KLINES_KEPT + 3, what="history and live candles")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert {k.source for k in got} == {"simulator"}
    for interval, length in INTERVAL_MS.items():
        series = [k for k in got[: 3 * KLINES_KEPT] if k.interval == interval]
        assert len(series) == KLINES_KEPT
        assert all(b.open_time - a.open_time == length for a, b in itertools.pairwise(series))
        assert all(float(k.low) <= min(float(k.open), float(k.close)) <= float(k.high) for k in series)
        live = [k for k in got[3 * KLINES_KEPT :] if k.interval == interval]
        assert live and live[-1].open_time >= series[-1].open_time


async def test_the_simulated_last_day_agrees_with_the_24h_change() -> None:
    """The hourly history passes through the ticker's 24 h open a day ago and ends at the last price,
    so the list's 24 h line rises exactly when the row's change is a rise."""
    markets: list[Market] = []
    got: list[Kline] = []
    feed = SimulatorFeed(["BTCUSDT", "ETHUSDT", "PEPEUSDT"], interval=10, rng_seed=3)
    task = asyncio.create_task(feed.run(markets.extend, got.extend))
    try:
        await eventually(lambda: len(got) >= 3 * 3 * KLINES_KEPT, what="the history")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    for market in markets[:3]:
        hourly = [k for k in got if k.symbol == market.symbol and k.interval == "1h"]
        day_ago = hourly[-24]  # the candle that opened 23 to 24 h ago: it opened at the 24 h open
        tick = float(tick_size(Decimal(market.open)))
        assert abs(float(day_ago.open) - float(market.open)) <= tick, market.symbol
        assert hourly[-1].close == market.last
        assert all(a.close == b.open for a, b in itertools.pairwise(hourly)), "no gap between candles"


# -- cache, REST and the WebSocket extension --------------------------------------------


def cache_of(kind: str, name: str) -> Any:
    """The embedded cache, or one on the suite's real Redis under a key namespace of its own."""
    if kind == "embedded":
        return EmbeddedCache()
    url = os.environ.get("COVAEX_TEST_REDIS_URL")
    if not url:
        pytest.skip("COVAEX_TEST_REDIS_URL is not set: 'make test' starts the real server")
    return RedisCache(url, Keys(f"covaex-test:{name}:{uuid.uuid4().hex[:8]}:v1"))


@pytest.mark.parametrize("kind", ["embedded", "redis"])
async def test_the_cache_lays_the_open_candle_over_the_series(kind: str) -> None:
    cache = cache_of(kind, "klines")
    try:
        assert await cache.klines("BTCUSDT", "1m") is None
        await cache.write_klines([[candle(0, "1"), candle(60_000, "2")]], [candle(60_000, "2")], at_ms=1)
        await cache.write_klines([], [candle(60_000, "2.5")], at_ms=2)  # the open candle moved: a small write
        source, series = await cache.klines("BTCUSDT", "1m")
        assert [(k.open_time, k.close) for k in series] == [(0, "1"), (60_000, "2.5")]
        assert source == "binance"
        # A new candle opened: the writer (the ingest) rewrites the series with it.
        newest = candle(120_000, "3", source="simulator")
        await cache.write_klines([[*series, newest]], [newest], at_ms=3)
        source, series = await cache.klines("BTCUSDT", "1m")
        assert [(k.open_time, k.close) for k in series] == [(0, "1"), (60_000, "2.5"), (120_000, "3")]
        assert source == "simulator"  # honest: a simulated candle labels the answer
    finally:
        await cache.close()


@pytest.mark.parametrize("kind", ["embedded", "redis"])
async def test_recent_klines_reads_every_symbols_newest_candles_at_once(kind: str) -> None:
    cache = cache_of(kind, "recent")
    hour = INTERVAL_MS["1h"]
    try:
        series = [candle(i * hour, str(100 + i), interval="1h") for i in range(30)]
        await cache.write_klines([series], [candle(29 * hour, "200", interval="1h")], at_ms=1)
        reader = RecentCandles(cache, ["BTCUSDT", "ETHUSDT"], refresh_seconds=0)
        day = await reader.read()
        # The newest 24 with the open candle laid over; ETH has no candles and is left out.
        assert list(day.series) == ["BTCUSDT"]
        assert [k.close for k in day.series["BTCUSDT"]] == [str(100 + i) for i in range(6, 29)] + ["200"]
        assert (await reader.read()).version == day.version, "the same candles keep their version"
        await cache.write_klines([], [candle(29 * hour, "201", interval="1h")], at_ms=2)
        moved = await reader.read()
        assert moved.version == day.version + 1 and moved.series["BTCUSDT"][-1].close == "201"
        assert await cache.recent_klines([], "1h", 24) == {}
    finally:
        await cache.close()


async def test_recent_candles_are_read_at_most_once_per_refresh_window() -> None:
    cache = EmbeddedCache()
    reads = 0
    real = cache.recent_klines

    async def counted(*args: Any) -> Any:
        nonlocal reads
        reads += 1
        return await real(*args)

    cache.recent_klines = counted  # type: ignore[method-assign]
    reader = RecentCandles(cache, ["BTCUSDT"], refresh_seconds=60)
    for _ in range(50):
        await reader.read()
    assert reads == 1


async def test_rest_klines_from_the_cache(tmp_path: Path) -> None:
    async with running_app(make_settings(tmp_path)) as service, httpx.AsyncClient(base_url=service.http) as http:
        url = "/api/v1/markets/btcusdt/klines"

        async def ready() -> httpx.Response | None:
            answer = await http.get(url, params={"interval": "1h", "limit": 24})
            return answer if answer.status_code == 200 else None

        body = await eventually(ready, what="candles in the cache")
        assert body.status_code == 200, body.text
        doc = body.json()
        assert set(doc) == {"symbol", "interval", "source", "stale", "klines"}
        assert (doc["symbol"], doc["interval"], doc["source"]) == ("BTCUSDT", "1h", "simulator")
        assert len(doc["klines"]) == 24
        times = [k["openTime"] for k in doc["klines"]]
        assert times == sorted(times) and all(b - a == 3_600_000 for a, b in itertools.pairwise(times))
        assert all(isinstance(k[f], str) for k in doc["klines"] for f in ("open", "high", "low", "close", "volume"))
        assert doc["klines"][-1]["closeTime"] == doc["klines"][-1]["openTime"] + 3_600_000 - 1

        for params, status, code in (
            ({"interval": "7m"}, 400, "unknown_interval"),
            ({"limit": "0"}, 400, "invalid_request"),
            ({"limit": str(KLINES_KEPT + 1)}, 400, "invalid_request"),
            ({"limit": "ten"}, 400, "invalid_request"),
        ):
            answer = await http.get(url, params=params)
            assert (answer.status_code, answer.json()["error"]["code"]) == (status, code), params
        missing = await http.get("/api/v1/markets/NOPEUSDT/klines")
        assert missing.status_code == 404


async def test_the_websocket_carries_live_candles_when_asked(tmp_path: Path) -> None:
    async with running_app(make_settings(tmp_path)) as service, connect(service.ws) as ws:
        await ws.send(json.dumps({"op": "subscribe", "symbols": ["ETHUSDT"], "klines": ["1m", "1d"], "id": 1}))
        seen: dict[str, dict[str, Any]] = {}
        async with asyncio.timeout(15):
            while len(seen) < 2:
                frame = json.loads(await ws.recv())
                if frame["type"] == "kline":
                    assert frame["symbol"] == "ETHUSDT" and frame["source"] == "simulator"
                    seen[frame["interval"]] = frame["data"]
        assert set(seen) == {"1m", "1d"}
        assert seen["1m"]["closeTime"] - seen["1m"]["openTime"] == 60_000 - 1
        # Stopping the candles keeps the prices.
        await ws.send(json.dumps({"op": "unsubscribe", "symbols": ["ETHUSDT"], "klines": ["1m", "1d"], "id": 2}))
        await ws.send(json.dumps({"op": "subscribe", "symbols": ["ETHUSDT"], "klines": ["5m"], "id": 3}))
        kinds: list[str] = []
        error: dict[str, Any] = {}
        async with asyncio.timeout(15):
            while not error or "update" not in kinds:
                frame = json.loads(await ws.recv())
                kinds.append(frame["type"])
                if frame["type"] == "error":
                    error = frame
        assert error["code"] == "unknown_interval" and error["id"] == 3
        assert "kline" not in kinds[kinds.index("unsubscribed") :]
