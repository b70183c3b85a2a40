"""The WebSocket gateway, through the real service and a real WebSocket client: the whole INTERFACE contract."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from covaex_service.market.area import MarketOptions
from covaex_service.market.feeds.simulator import SimulatorFeed
from covaex_service.market.gateway.hub import MAX_HELD_REPLIES
from covaex_service.market.gateway.protocol import (
    CLOSE_MESSAGE_TOO_BIG,
    CLOSE_POLICY_VIOLATION,
    MAX_FRAME_BYTES,
    GatewayLimits,
)
from covaex_service.settings import Settings
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from tests.support.service import SYMBOLS, RunningApp, make_settings, running_app
from tests.support.wait import eventually


def fast_simulator(options: MarketOptions) -> None:
    options.feed_factory = lambda settings, stats: SimulatorFeed(settings.symbols, interval=0.05, rng_seed=7)
    options.flush_interval = 0.02
    options.limits = GatewayLimits(max_symbols=3, rate_per_second=50, rate_burst=50, rate_close_after=40)


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[RunningApp]:
    async with running_app(make_settings(tmp_path), fast_simulator) as running:
        yield running


async def recv_json(ws: ClientConnection) -> dict[str, Any]:
    """The next frame, skipping ``status`` frames: they come whenever freshness changes, between any two."""
    while True:
        frame = await asyncio.wait_for(ws.recv(), 10)
        message: dict[str, Any] = json.loads(frame)
        if message["type"] != "status":
            return message


async def recv_type(ws: ClientConnection, kind: str) -> dict[str, Any]:
    while True:
        message = await recv_json(ws)
        if message["type"] == kind:
            return message


async def test_subscribe_snapshot_updates_ping_unsubscribe(service: RunningApp) -> None:
    await eventually(lambda: service.market.hub.latest, what="first prices")
    async with connect(service.ws) as ws:
        await ws.send(json.dumps({"op": "subscribe", "symbols": ["btcusdt", "PEPEUSDT"], "id": "a1"}))
        assert await recv_json(ws) == {"type": "subscribed", "id": "a1", "symbols": ["BTCUSDT", "PEPEUSDT"]}
        snapshot = await recv_json(ws)
        assert snapshot["type"] == "snapshot" and snapshot["source"] == "simulator"
        assert [m["symbol"] for m in snapshot["data"]] == ["BTCUSDT", "PEPEUSDT"]
        assert set(snapshot["data"][0]) == {"symbol", "last", "open", "high", "low", "changePct", "volume",
                                            "quoteVolume", "eventTime"}  # fmt: skip
        seqs = []
        while len(seqs) < 5:
            message = await recv_json(ws)
            if message["type"] == "update":
                seqs.append(message["seq"])
                assert {m["symbol"] for m in message["data"]} <= {"BTCUSDT", "PEPEUSDT"}
                assert all(isinstance(m["last"], str) for m in message["data"])
        assert seqs == list(range(seqs[0], seqs[0] + 5)) and seqs[0] == 1
        await ws.send(json.dumps({"op": "ping", "id": 99}))
        assert (await recv_type(ws, "pong")) == {"type": "pong", "id": 99}
        await ws.send(json.dumps({"op": "unsubscribe", "symbols": ["BTCUSDT"], "id": 3}))
        assert await recv_type(ws, "unsubscribed") == {"type": "unsubscribed", "id": 3, "symbols": ["BTCUSDT"]}
        # After the ack, no update may mention BTCUSDT; the pong marks the end of what we look at.
        for _ in range(3):
            message = await recv_type(ws, "update")
            assert {m["symbol"] for m in message["data"]} == {"PEPEUSDT"}


async def test_bad_input_gets_error_frames_and_the_connection_stays_usable(service: RunningApp) -> None:
    async with connect(service.ws) as ws:
        cases: list[tuple[str | bytes, str]] = [
            ("{not json", "malformed_json"),
            (b"\x00binary", "malformed_json"),
            ('["subscribe"]', "invalid_message"),
            ('{"op":"subscribe","symbols":"BTCUSDT","id":5}', "invalid_message"),
            ('{"op":"dance","id":6}', "unknown_op"),
            ('{"op":"subscribe","symbols":["BTCUSDT","DOGEUSDT"],"id":7}', "unknown_symbol"),
        ]
        for frame, code in cases:
            await ws.send(frame)
            error = await recv_json(ws)
            assert error["type"] == "error" and error["code"] == code, (frame, error)
            assert error["message"]
        assert error["id"] == 7 and "DOGEUSDT" in error["message"]
        # Limit is 3 per connection (configured); 4 known symbols asked at once.
        await ws.send(json.dumps({"op": "subscribe", "symbols": list(SYMBOLS), "id": 8}))
        too_many = await recv_json(ws)
        assert too_many["code"] == "too_many_symbols" and too_many["id"] == 8
        await ws.send(json.dumps({"op": "ping", "id": "still-here"}))
        assert await recv_type(ws, "pong") == {"type": "pong", "id": "still-here"}


async def test_oversized_frame_closes_with_1009(service: RunningApp) -> None:
    assert service.app.config.WEBSOCKET_MAX_SIZE == MAX_FRAME_BYTES  # the documented limit is the enforced one
    async with connect(service.ws, max_size=None) as ws:
        await ws.send(json.dumps({"op": "ping", "id": "x" * (64 * 1024)}))
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
        assert ws.close_code == CLOSE_MESSAGE_TOO_BIG


async def test_flooding_is_rate_limited_then_closed(tmp_path: Path) -> None:
    def tight(options: MarketOptions) -> None:
        fast_simulator(options)
        options.limits = GatewayLimits(rate_per_second=1, rate_burst=3, rate_close_after=10)

    async with running_app(make_settings(tmp_path), tight) as service, connect(service.ws) as ws:
        for i in range(5):
            await ws.send(json.dumps({"op": "ping", "id": i}))
        answers = [await recv_json(ws) for _ in range(4)]
        assert [a["type"] for a in answers] == ["pong", "pong", "pong", "error"]
        assert answers[3]["code"] == "rate_limited"
        for i in range(20):
            await ws.send(json.dumps({"op": "ping", "id": i}))
        with pytest.raises(ConnectionClosed):
            while True:
                await asyncio.wait_for(ws.recv(), 10)
        assert ws.close_code == CLOSE_POLICY_VIOLATION
        assert service.market.gateway_stats.rate_limit_closes == 1


def big_update(symbol: str, n: int) -> bytes:
    filler = "1" * 32_000 + f".{n}"  # a big but valid decimal string: fills socket buffers fast
    market = {"symbol": symbol, "last": f"{n}.5", "open": "1", "high": "1", "low": "1", "changePct": "0.000",
              "volume": filler, "quoteVolume": "1", "eventTime": n}  # fmt: skip
    return json.dumps({"asOf": n, "source": "simulator", "markets": [market]}).encode()


async def test_a_client_that_never_reads_is_closed_and_memory_stays_bounded(tmp_path: Path) -> None:
    def patient(options: MarketOptions) -> None:
        options.feed_factory = lambda settings, stats: SimulatorFeed(settings.symbols, interval=3600)
        options.limits = GatewayLimits(send_timeout=0.5)

    settings: Settings = make_settings(tmp_path)
    async with running_app(settings, patient) as service:
        hub = service.market.hub
        # A reader that never reads: tiny receive buffer, one message of client-side queue.
        sock = socket.create_connection(("127.0.0.1", service.port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stuck_client = connect(service.ws, sock=sock, max_queue=1, close_timeout=0.2)
        async with stuck_client as stuck, connect(service.ws) as healthy:
            for ws in (stuck, healthy):
                await ws.send(json.dumps({"op": "subscribe", "symbols": ["BTCUSDT", "ETHUSDT"], "id": 1}))
            await recv_type(healthy, "snapshot")
            assert service.market.gateway_stats.clients == 2
            seen: list[str] = []

            async def read_healthy() -> None:
                while True:
                    message = json.loads(await healthy.recv())
                    seen.extend(m["last"] for m in message.get("data", ()))

            reader = asyncio.create_task(read_healthy())
            max_pending = 0
            n = 0
            while service.market.gateway_stats.slow_client_closes == 0:
                n += 1
                hub.dispatch(big_update("BTCUSDT" if n % 2 else "ETHUSDT", n))
                max_pending = max(max_pending, *(len(s.pending) for s in hub._clients))
                await asyncio.sleep(0.001)
                assert n < 20_000, "the stuck client was never closed"
            # Coalescing: never more than one pending value per subscribed symbol.
            assert max_pending <= 2
            await eventually(lambda: service.market.gateway_stats.clients == 1, what="stuck client removed")
            # The healthy client was never held back and still gets the newest value.
            hub.dispatch(big_update("ETHUSDT", 10**9))
            await eventually(lambda: f"{10**9}.5" in seen, what="newest value at the healthy client")
            assert not reader.done()  # the healthy connection was never closed
            reader.cancel()


async def test_a_feed_that_never_delivers_is_shown_stale(tmp_path: Path) -> None:
    class SilentFeed(SimulatorFeed):
        def is_live(self) -> bool:
            return False

        async def run(self, sink: Any, klines: Any = None) -> None:
            sink([])
            await asyncio.Event().wait()

    def silent(options: MarketOptions) -> None:
        options.feed_factory = lambda settings, stats: SilentFeed(settings.symbols)

    async with running_app(make_settings(tmp_path), silent) as service, connect(service.ws) as ws:
        await ws.send(json.dumps({"op": "subscribe", "symbols": ["BTCUSDT"], "id": 1}))
        await recv_type(ws, "subscribed")
        snapshot = await recv_type(ws, "snapshot")
        assert snapshot["stale"] is True and snapshot["data"] == []


async def test_keepalive_pings_idle_clients_and_closes_a_silent_peer_with_1011(tmp_path: Path) -> None:
    def quick_keepalive(options: MarketOptions) -> None:
        options.limits = GatewayLimits(keepalive=0.3, keepalive_timeout=0.3)

    async with running_app(make_settings(tmp_path), quick_keepalive) as service:
        # A live client: the websockets library answers every ping, so it stays open however idle.
        async with connect(service.ws, ping_interval=None) as live:
            await asyncio.sleep(2.0)  # several keepalive rounds
            assert live.state is State.OPEN
            await live.send(json.dumps({"op": "ping", "id": "alive"}))
            assert (await recv_type(live, "pong"))["id"] == "alive"

        # A silent peer: it completes the handshake, then never sends a byte, not even a pong.
        reader, writer = await asyncio.open_connection("127.0.0.1", service.port)
        writer.write(
            b"GET /ws/v1/market HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        assert head.startswith(b"HTTP/1.1 101")
        received = b""
        with contextlib.suppress(ConnectionError):
            while chunk := await asyncio.wait_for(reader.read(4096), 10):
                received += chunk
        writer.close()
        # Server frames are unmasked: a ping (0x89) first, then a close (0x88) whose payload starts with 1011.
        assert received[:1] == b"\x89", received[:8]
        close_at = received.index(b"\x88")
        assert int.from_bytes(received[close_at + 2 : close_at + 4], "big") == 1011
        await eventually(lambda: service.market.gateway_stats.clients == 0, what="silent peer removed")


async def test_a_fragmented_message_is_answered_like_a_whole_one(service: RunningApp) -> None:
    message = json.dumps({"op": "subscribe", "symbols": ["BTCUSDT"], "id": "in-parts"})
    async with connect(service.ws) as ws:
        await ws.send([message[:10], message[10:25], message[25:]])  # three frames: TEXT, CONT, CONT (fin)
        ack = await recv_type(ws, "subscribed")
        assert ack["id"] == "in-parts" and ack["symbols"] == ["BTCUSDT"]
        assert (await recv_type(ws, "snapshot"))["data"][0]["symbol"] == "BTCUSDT"
        await ws.send([b'{"op":', b'"ping"}'])  # binary fragments: not text, so an error frame, still usable
        assert (await recv_type(ws, "error"))["code"] == "malformed_json"


async def test_messages_sent_right_after_the_handshake_are_all_answered(service: RunningApp) -> None:
    # Sent the moment the 101 arrives, in one chunk, maybe before the handler attached to the hub
    # (the protocol keeps what comes early): every one is answered, in order.
    reader, writer = await asyncio.open_connection("127.0.0.1", service.port)
    writer.write(
        b"GET /ws/v1/market HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    writer.write(b"".join(_masked_text(json.dumps({"op": "ping", "id": n}).encode()) for n in range(3)))
    received = b""
    while received.count(b'"pong"') < 3:
        received += await asyncio.wait_for(reader.read(4096), 10)
    writer.close()
    assert [received.index(f'"id":{n}'.encode()) for n in range(3)] == sorted(
        received.index(f'"id":{n}'.encode()) for n in range(3)
    )


def _masked_text(payload: bytes) -> bytes:
    """One client TEXT frame (clients must mask; a zero mask leaves the payload as is)."""
    assert len(payload) < 126
    return bytes([0x81, 0x80 | len(payload)]) + b"\0\0\0\0" + payload


async def test_answers_held_for_a_client_that_does_not_read_are_bounded(tmp_path: Path) -> None:
    # A client that stops reading but keeps asking: its answers wait in order while its send buffer is
    # full, at most MAX_HELD_REPLIES of them; past that it is closed (4008) rather than held for.
    def patient(options: MarketOptions) -> None:
        options.feed_factory = lambda settings, stats: SimulatorFeed(settings.symbols, interval=3600)
        many = 10_000  # no rate or frame limit in the way of what is measured
        options.limits = GatewayLimits(
            send_timeout=60, rate_per_second=many, rate_burst=many, frames_per_second=many, frame_burst=many
        )

    async with running_app(make_settings(tmp_path), patient) as service:
        hub, stats = service.market.hub, service.market.gateway_stats
        sock = socket.create_connection(("127.0.0.1", service.port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        async with connect(service.ws, sock=sock, max_queue=1, close_timeout=0.2) as stuck:
            await stuck.send(json.dumps({"op": "subscribe", "symbols": ["BTCUSDT"], "id": 1}))
            await eventually(lambda: stats.clients == 1, what="connected")
            (session,) = hub._clients
            n = 0
            while session.ws.writable:  # fill its send buffer: the client reads nothing more
                n += 1
                hub.dispatch(big_update("BTCUSDT", n))
                await asyncio.sleep(0.001)
                assert n < 5_000, "the send buffer never filled"
            for i in range(MAX_HELD_REPLIES // 2):
                await stuck.send(json.dumps({"op": "ping", "id": i}))
            await eventually(lambda: len(session.held or ()) == MAX_HELD_REPLIES // 2, what="answers held")
            assert not session.closed and stats.slow_client_closes == 0
            for i in range(MAX_HELD_REPLIES // 2 + 1):
                await stuck.send(json.dumps({"op": "ping", "id": i}))
            await eventually(lambda: session.closed, what="closed past the bound")
            assert stats.slow_client_closes == 1
            assert session.held is None  # what was held is released at once
