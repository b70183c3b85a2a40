"""The WebSocket's bounds against abusive clients (issue 16 items 1, 8 and 11), on the real service.

The flooding client is a raw socket that speaks just enough of RFC 6455 to
send PING frames and never read, which no WebSocket library does on purpose.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from covaex_service.market.area import MarketOptions
from covaex_service.market.gateway.guard import (
    MAX_EARLY_MESSAGES,
    MessageInlet,
    TooManyEarlyMessages,
    frames_allowed,
)
from covaex_service.market.gateway.protocol import GatewayLimits
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.frames import Frame, Opcode

from tests.support.service import RunningApp, make_settings, running_app
from tests.support.wait import eventually

PING = bytes([0x89, 0x80, 0, 0, 0, 0])
"""FIN + PING, masked (a client must mask), empty payload, all-zero mask: 6 bytes."""
BIG_PING = bytes([0x89, 0x80 | 125, 0, 0, 0, 0]) + b"p" * 125
"""The largest control frame: its pong is as large, so unread pongs fill the buffers quickly."""


async def raw_upgrade(port: int, *, receive_buffer: int = 0) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    sock = socket.socket()
    if receive_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    reader, writer = await asyncio.open_connection(sock=sock)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET /ws/v1/market HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


def limits(**changes: float) -> Callable[[MarketOptions], None]:
    def configure(options: MarketOptions) -> None:
        options.limits = GatewayLimits(**changes)  # type: ignore[arg-type]

    return configure


@contextlib.asynccontextmanager
async def service(tmp_path: Path, **changes: float) -> AsyncIterator[RunningApp]:
    async with running_app(make_settings(tmp_path), limits(**changes)) as running:
        yield running


async def test_a_control_frame_flood_is_closed_with_1008(tmp_path: Path) -> None:
    """Item 1: PING frames count against the frame limit; the app's message limit never saw them."""
    async with service(tmp_path) as running:
        reader, writer = await raw_upgrade(running.port)
        with contextlib.suppress(ConnectionError):
            for _ in range(50):
                writer.write(PING * 20)
                await writer.drain()
                await asyncio.sleep(0.01)
        await eventually(lambda: running.market.gateway_stats.rate_limit_closes >= 1, what="a frame-flood close")
        # The connection is cut (the close frame may be lost in the reset of unread data).
        with contextlib.suppress(ConnectionError):
            while await asyncio.wait_for(reader.read(65536), 5):
                pass
        await eventually(lambda: running.market.gateway_stats.clients == 0, what="the flooder gone")
        writer.close()
        # Reconnecting to flood again is refused before the handshake, for a while.
        with pytest.raises(InvalidStatus) as refused:
            await connect(running.ws)
        assert refused.value.response.status_code == 429
        assert int(refused.value.response.headers["Retry-After"]) >= 1


async def test_a_client_that_never_reads_is_pushed_back_not_buffered(tmp_path: Path) -> None:
    """Item 1: with the frame limit out of the way, pongs for a non-reader cannot pile up in the worker.

    Before: one task (holding its pongs) per chunk read, without limit. Now the socket is not
    read while a chunk waits, so TCP pushes back on the flooder and the worker's tasks stay few.
    """
    async with service(tmp_path, frames_per_second=1e9, frame_burst=10**9) as running:
        baseline = len(asyncio.all_tasks())
        _, writer = await raw_upgrade(running.port, receive_buffer=4096)
        most = 0
        pushed_back = False
        for _ in range(2000):
            writer.write(BIG_PING * 500)
            try:
                await asyncio.wait_for(writer.drain(), 0.5)
            except TimeoutError:
                pushed_back = True
                break
            most = max(most, len(asyncio.all_tasks()) - baseline)
        most = max(most, len(asyncio.all_tasks()) - baseline)
        writer.transport.abort()
    assert pushed_back, "the server kept reading a client that never reads"
    assert most < 20, f"{most} tasks piled up for one connection"


async def test_pages_of_another_site_cannot_open_the_socket(tmp_path: Path) -> None:
    """Item 11: the upgrade checks Origin (a browser always sends it)."""
    async with service(tmp_path) as running:
        with pytest.raises(InvalidStatus) as refused:
            await connect(running.ws, origin="https://evil.example")  # type: ignore[arg-type]
        assert refused.value.response.status_code == 403
        async with connect(running.ws, origin=f"http://127.0.0.1:{running.port}") as ws:  # type: ignore[arg-type]
            await ws.send(json.dumps({"op": "ping", "id": 1}))
            assert json.loads(await ws.recv())["type"] in ("pong", "status")


async def test_connections_per_address_are_capped(tmp_path: Path) -> None:
    """Item 11: 1,000 sockets from one client were accepted; now the address has a cap per worker."""
    async with service(tmp_path, max_connections_per_address=3) as running:
        opened = [await connect(running.ws) for _ in range(3)]
        with pytest.raises(InvalidStatus) as refused:
            await connect(running.ws)
        assert refused.value.response.status_code == 429
        await opened.pop().close()
        await eventually(lambda: running.market.gateway_stats.clients == 2, what="one slot free again")
        opened.append(await connect(running.ws))
        for ws in opened:
            await ws.close()


async def test_a_deeply_nested_frame_gets_an_error_frame_and_the_socket_stays(tmp_path: Path) -> None:
    """Item 8: ``[`` x 5000 + ``]`` x 5000 ended the handler (RecursionError) with 1000."""
    async with service(tmp_path) as running, connect(running.ws) as ws:
        await ws.send("[" * 5000 + "]" * 5000)
        while (frame := json.loads(await asyncio.wait_for(ws.recv(), 5)))["type"] == "status":
            pass
        assert frame["type"] == "error" and frame["code"] == "malformed_json"
        await ws.send(json.dumps({"op": "ping", "id": 2}))
        while (frame := json.loads(await asyncio.wait_for(ws.recv(), 5)))["type"] == "status":
            pass
        assert frame == {"type": "pong", "id": 2}


def test_the_frame_budget_allows_the_burst_then_the_rate() -> None:
    limits = GatewayLimits(frames_per_second=10, frame_burst=5)
    at, now = 0.0, 100.0
    for _ in range(5):  # the burst at once
        allowed = frames_allowed(at, 1, limits, now)
        assert allowed is not None
        at = allowed
    assert frames_allowed(at, 1, limits, now) is None  # one more at once is too many
    assert frames_allowed(at, 1, limits, now + 0.1) is not None  # a tenth of a second later: one more
    assert frames_allowed(at, 6, limits, now + 10) is None  # never more than the burst in one go


# -- MessageInlet: data frames in, whole messages out -------------------------------------


def test_the_inlet_reassembles_fragments_and_leaves_control_frames_alone() -> None:
    got: list[str | bytes] = []
    inlet = MessageInlet()
    inlet.attach(got.append)
    assert not inlet.take(Frame(Opcode.PING, b"hi"))  # Sanic answers those
    assert not inlet.take("not a frame")
    assert inlet.take(Frame(Opcode.TEXT, b'{"op":', fin=False))
    assert inlet.take(Frame(Opcode.CONT, b'"ping",', fin=False))
    assert got == []  # nothing before the last fragment
    assert inlet.take(Frame(Opcode.CONT, '"id":"é"}'.encode()))
    assert inlet.take(Frame(Opcode.BINARY, b"\x00\x01"))
    assert got == ['{"op":"ping","id":"é"}', b"\x00\x01"]


def test_the_inlet_keeps_early_messages_in_order_until_attached_and_refuses_a_flood() -> None:
    inlet = MessageInlet()
    for n in range(MAX_EARLY_MESSAGES):
        assert inlet.take(Frame(Opcode.TEXT, str(n).encode()))
    got: list[str | bytes] = []
    inlet.attach(got.append)
    assert got == [str(n) for n in range(MAX_EARLY_MESSAGES)]
    inlet.take(Frame(Opcode.TEXT, b"after"))
    assert got[-1] == "after"

    flooded = MessageInlet()
    for _ in range(MAX_EARLY_MESSAGES):
        flooded.take(Frame(Opcode.TEXT, b"x"))
    with pytest.raises(TooManyEarlyMessages):
        flooded.take(Frame(Opcode.TEXT, b"one too many"))


async def test_a_connection_keeps_no_request_and_one_task_once_the_hub_owns_it(tmp_path: Path) -> None:
    """Issue 26 item 3: after the handshake, the upgrade request, Sanic's connection task and the handler's
    task are gone (Sanic's add_websocket_route kept all three for the connection's life); the end of the
    connection still reaches the hub."""
    import gc

    from sanic import Request

    clients = 5
    async with service(tmp_path) as running:
        sockets = [await connect(running.ws) for _ in range(clients)]
        for ws in sockets:
            await ws.send(json.dumps({"op": "subscribe", "symbols": ["BTCUSDT"], "id": 1}))
            await ws.recv()
        await eventually(lambda: running.market.gateway_stats.clients == clients, what="clients connected")
        # One task per connection is left: Sanic's auto-closer, which finishes the closing handshake.
        assert connection_tasks() <= clients
        gc.collect()
        assert [o for o in gc.get_objects() if isinstance(o, Request)] == []
        for ws in sockets:
            await ws.close()
        await eventually(lambda: running.market.gateway_stats.clients == 0, what="the hub saw every close")
        # The address slots were released: as many connections as before are accepted again.
        again = [await connect(running.ws) for _ in range(clients)]
        for ws in again:
            await ws.close()


def connection_tasks() -> int:
    """Tasks of Sanic's connection handling and of the WebSocket handler (the service's own run once per worker)."""
    return sum(
        1 for task in asyncio.all_tasks()
        if any(part in task.get_coro().cr_code.co_filename for part in ("/sanic/", "/gateway/handler.py"))  # type: ignore[union-attr]
    )  # fmt: skip
