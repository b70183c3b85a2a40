"""A WebSocket client light enough that one load core can hold ten thousand of them.

The benchmarks measure latency and delivery on a few probe clients that decode
every frame (``websockets``' asyncio client). The rest only have to stay
connected, answer the server's pings and read what they are sent, so that the
server does the work it does for real users; but as asyncio clients they cost
the load core about as much per frame as the server spends to send it, and at
10,000 clients the load generator, not the server, was what lagged (its
reference connection to the upstream then timed out in its handshake).

These clients run ``websockets``' own sans-I/O protocol (``ClientProtocol``:
the handshake, frame parsing, automatic pong replies) straight under an
``asyncio.Protocol``: no task, queue or future per client or per frame. They
count frames and updates without decoding JSON.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

UPDATE_PREFIX = b'{"type":"update"'


@dataclass
class Counts:
    """What every light client of one run received while ``counting``: frames and the updates in them."""

    counting: bool = False
    frames: int = 0
    updates: int = 0


class LightClient(asyncio.Protocol):
    """One connection: handshake, one subscribe message, then counted frames; ``ready`` once two frames came."""

    def __init__(self, url: str, subscribe: str, counts: Counts, ready: asyncio.Future[None]) -> None:
        self.protocol = ClientProtocol(parse_uri(url), max_size=None)
        self.subscribe = subscribe
        self.counts = counts
        self.ready = ready
        self.seen = 0
        self.transport: asyncio.WriteTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a socket's: uvloop's is no asyncio.Transport subclass
        self.protocol.send_request(self.protocol.connect())
        self._send()

    def data_received(self, data: bytes) -> None:
        self.protocol.receive_data(data)
        for event in self.protocol.events_received():
            if isinstance(event, Response):
                if self.protocol.handshake_exc is not None:
                    self._fail(self.protocol.handshake_exc)
                    return
                self.protocol.send_text(self.subscribe.encode())
            elif isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                self.seen += 1
                if self.seen == 2 and not self.ready.done():
                    self.ready.set_result(None)
                if self.counts.counting and event.data.startswith(UPDATE_PREFIX):
                    self.counts.frames += 1
                    self.counts.updates += event.data.count(b'"symbol"')
        self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(exc or ConnectionError("closed before two frames came"))

    def _fail(self, exc: BaseException) -> None:
        if not self.ready.done():
            self.ready.set_exception(exc)
        if self.transport is not None:
            self.transport.abort()

    def _send(self) -> None:
        assert self.transport is not None
        for chunk in self.protocol.data_to_send():
            if chunk:
                self.transport.write(chunk)
            elif self.transport.can_write_eof():
                self.transport.write_eof()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.abort()


async def open_light_client(url: str, source: str, subscribe: str, counts: Counts, *, within: float) -> LightClient:
    """Connect from ``source`` (a loopback address) and subscribe; raises ``OSError``/``TimeoutError`` on failure."""
    uri = parse_uri(url)
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()
    async with asyncio.timeout(within):
        _, client = await loop.create_connection(
            lambda: LightClient(url, subscribe, counts, ready), uri.host, uri.port, local_addr=(source, 0)
        )
        try:
            await ready
        except BaseException:
            client.close()
            raise
    return client
