"""The real Binance client against the local server that speaks Binance's protocol."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from covaex_service.market.backoff import Backoff
from covaex_service.market.devtools.binance_server import LocalBinance
from covaex_service.market.feeds.binance_client import UPSTREAM_BACKOFF_CAP_SECONDS, BinanceFeed
from covaex_service.market.model import Market
from covaex_service.market.stats import FeedStats

from covaex.localserve import free_port
from tests.support.service import SYMBOLS
from tests.support.wait import eventually

FIXTURES = Path(__file__).parents[2] / "fixtures" / "binance"


class Received:
    def __init__(self) -> None:
        self.markets: list[Market] = []

    def __call__(self, batch: Sequence[Market]) -> None:
        self.markets.extend(batch)

    def last(self, symbol: str) -> str | None:
        found = [m.last for m in self.markets if m.symbol == symbol]
        return found[-1] if found else None


@contextlib.asynccontextmanager
async def running(feed: BinanceFeed) -> AsyncIterator[Received]:
    received = Received()
    task = asyncio.create_task(feed.run(received))
    try:
        yield received
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def feed_for(server: LocalBinance, stats: FeedStats, **options: float) -> BinanceFeed:
    return BinanceFeed(SYMBOLS, server.ws_url, server.rest_url, stats, backoff_base=0.01, backoff_cap=0.1, **options)  # type: ignore[arg-type]


async def test_bootstrap_then_stream_prices_arrive_exactly(binance: LocalBinance) -> None:
    binance.set_ticker("PEPEUSDT", last="0.00001111", open="0.00001000")
    stats = FeedStats()
    async with running(feed_for(binance, stats)) as got:
        await eventually(lambda: got.last("PEPEUSDT") == "0.00001111", what="REST bootstrap")
        assert binance.rest_requests and "symbols=" in binance.rest_requests[0]
        await eventually(lambda: binance.open_connections, what="stream connection")
        assert binance.open_connections[0].combined
        assert set(binance.open_connections[0].streams) == {"btcusdt@ticker", "ethusdt@ticker", "pepeusdt@ticker",
                                                           "1000satsusdt@ticker"}  # fmt: skip
        await binance.push("PEPEUSDT", last="0.00001234")
        await binance.push("1000SATSUSDT", last="0.0003195", open="0.0003205")
        await eventually(lambda: got.last("1000SATSUSDT") == "0.0003195", what="1000SATSUSDT tick")
        assert got.last("PEPEUSDT") == "0.00001234"
        sats = [m for m in got.markets if m.symbol == "1000SATSUSDT"][-1]
        assert sats.change_pct == "-0.312"
        assert stats.malformed_frames == 0


async def test_recorded_frames_replay_through_the_client(binance: LocalBinance) -> None:
    for symbol in SYMBOLS:
        binance.set_ticker(symbol, event_time=1)  # older than the recording, so the replay is newer
    stats = FeedStats()
    async with running(feed_for(binance, stats)) as got:
        await eventually(lambda: binance.open_connections, what="connection")
        for frame in (FIXTURES / "combined_stream.jsonl").read_text().splitlines():
            await binance.send_raw(frame)
        await eventually(lambda: got.last("ETHUSDT") == "3300.00000000", what="replayed frames")
        assert got.last("BTCUSDT") == "96000.10000000"
        assert got.last("PEPEUSDT") == "0.00001234"
        assert got.last("1000SATSUSDT") == "0.0003195"
        # A frame older than what the client already has never moves a price back.
        await binance.send_raw(
            (FIXTURES / "combined_stream.jsonl")
            .read_text()
            .splitlines()[0]
            .replace('"c":"96000.10000000"', '"c":"1.00000000"')
            .replace("1732600000123", "1732500000000")
        )
        await binance.push("BTCUSDT", last="96001.00")
        await eventually(lambda: got.last("BTCUSDT") == "96001.00", what="live tick")
        assert "1.00000000" not in [m.last for m in got.markets if m.symbol == "BTCUSDT"]
        assert stats.malformed_frames == 0


async def test_server_pings_are_answered_with_their_payload(binance: LocalBinance) -> None:
    async with running(feed_for(binance, FeedStats())):
        await eventually(lambda: binance.open_connections, what="connection")
        assert await binance.ping_all(b"covaex-ping-42") == [True]
        assert binance.open_connections[0].pongs_ok == 1


async def test_dropped_connection_reconnects_resyncs_and_resumes(binance: LocalBinance) -> None:
    stats = FeedStats()
    async with running(feed_for(binance, stats)) as got:
        await eventually(lambda: binance.open_connections, what="connection")
        rest_before = len(binance.rest_requests)
        binance.drop_all()
        await eventually(lambda: stats.upstream_reconnects >= 1 and binance.open_connections, what="reconnect")
        await eventually(lambda: len(binance.rest_requests) > rest_before, what="REST resync")
        await binance.push("BTCUSDT", last="101.25")
        await eventually(lambda: got.last("BTCUSDT") == "101.25", what="resumed updates")


async def test_server_shutdown_leads_to_an_immediate_new_connection(binance: LocalBinance) -> None:
    stats = FeedStats()
    async with running(feed_for(binance, stats)) as got:
        await eventually(lambda: binance.open_connections, what="connection")
        # The server announces the shutdown and would close 5 s later: we must not wait for that.
        closing = asyncio.create_task(binance.server_shutdown(close_after=5.0))
        await eventually(lambda: stats.server_shutdowns == 1, what="serverShutdown seen")
        await eventually(lambda: binance.connection_attempts == 2, what="new connection")
        assert not closing.done()
        closing.cancel()
        await binance.push("ETHUSDT", last="3333.33")
        await eventually(lambda: got.last("ETHUSDT") == "3333.33", what="updates on the new connection")


async def test_garbage_frames_are_skipped_and_counted(binance: LocalBinance) -> None:
    stats = FeedStats()
    garbage = (FIXTURES / "malformed.txt").read_text().splitlines()
    async with running(feed_for(binance, stats)) as got:
        await eventually(lambda: binance.open_connections, what="connection")
        for frame in garbage:
            await binance.send_raw(frame)
        await binance.send_raw(b"\x00\x01binary")
        await binance.push("BTCUSDT", last="99999.99")
        await eventually(lambda: got.last("BTCUSDT") == "99999.99", what="valid tick after garbage")
        assert stats.malformed_frames == len(garbage) + 1
        assert binance.connection_attempts == 1  # garbage never costs the connection


async def test_streams_are_split_across_connections_beyond_the_limit() -> None:
    server = LocalBinance(SYMBOLS, ping_interval=None, max_streams=2)
    await server.start()
    try:
        async with running(feed_for(server, FeedStats(), max_streams_per_connection=2)) as got:
            await eventually(lambda: len(server.open_connections) == 2, what="two connections")
            assert sorted(len(c.streams) for c in server.open_connections) == [2, 2]
            for symbol in SYMBOLS:
                await server.push(symbol, last="7.5")
            await eventually(lambda: all(got.last(s) == "7.5" for s in SYMBOLS), what="ticks on both connections")
    finally:
        await server.stop()


async def test_live_subscribe_changes_stay_under_the_message_rate_limit(binance: LocalBinance) -> None:
    feed = feed_for(binance, FeedStats())
    async with running(feed) as got:
        await eventually(lambda: binance.open_connections, what="connection")
        # Ten commands in a row: the server closes any connection sending more than 5 messages a second.
        for _ in range(5):
            await feed.update_symbols(["BTCUSDT", "ETHUSDT"])
            await feed.update_symbols(SYMBOLS)
        await feed.update_symbols(["BTCUSDT", "ETHUSDT"])
        connection = binance.open_connections[0]
        assert binance.connection_attempts == 1
        assert set(connection.streams) == {"btcusdt@ticker", "ethusdt@ticker"}
        assert [c["method"] for c in connection.commands[:2]] == ["UNSUBSCRIBE", "SUBSCRIBE"]
        await binance.push("PEPEUSDT", last="0.00000001")
        await binance.push("ETHUSDT", last="3000.01")
        await eventually(lambda: got.last("ETHUSDT") == "3000.01", what="tick of a kept symbol")
        assert got.last("PEPEUSDT") != "0.00000001"


async def test_reconnects_before_the_connection_age_limit(binance: LocalBinance) -> None:
    stats = FeedStats()
    async with running(feed_for(binance, stats, max_connection_age=0.3)):
        await eventually(lambda: binance.connection_attempts >= 3, what="age-limited reconnects")
        assert stats.upstream_reconnects >= 2


async def test_reconnects_forever_until_the_server_appears() -> None:
    port = free_port()
    server = LocalBinance(SYMBOLS, ping_interval=None, port=port)
    stats = FeedStats()
    feed = BinanceFeed(SYMBOLS, server.ws_url, server.rest_url, stats, backoff_base=0.01, backoff_cap=0.05)
    async with running(feed) as got:
        await eventually(lambda: stats.upstream_reconnects >= 10, what="repeated attempts")
        await server.start()
        try:
            await eventually(lambda: server.open_connections, what="connection once the server is up")
            await server.push("BTCUSDT", last="1.23")
            await eventually(lambda: got.last("BTCUSDT") == "1.23", what="ticks")
        finally:
            await server.stop()


async def test_dropping_every_stream_of_a_connection_closes_it_upstream() -> None:
    """Code review: update_symbols dropped the connection from its list without cancelling its task."""
    server = LocalBinance(SYMBOLS, ping_interval=None, max_streams=2)
    await server.start()
    try:
        feed = feed_for(server, FeedStats(), max_streams_per_connection=2)
        async with running(feed):
            await eventually(lambda: len(server.open_connections) == 2, what="two connections")
            await feed.update_symbols(SYMBOLS[:2])  # the second connection keeps no stream
            assert len(feed.connections) == 1
            await eventually(lambda: len(server.open_connections) == 1, what="the emptied connection closed")
    finally:
        await server.stop()


def test_reconnect_delays_stay_within_a_few_seconds() -> None:
    """Item 15: the backoff reached ~30 s, so prices came back 13 s after the upstream did."""
    feed = BinanceFeed(SYMBOLS, "ws://unused", "http://unused", FeedStats())
    backoff = Backoff(feed.backoff_base, feed.backoff_cap)
    delays = [backoff.next_delay() for _ in range(200)]
    assert max(delays) <= UPSTREAM_BACKOFF_CAP_SECONDS <= 5
