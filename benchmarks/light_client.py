"""A WebSocket client light enough that one load core can hold ten thousand of them.

The benchmarks measure latency and delivery on a few probe clients that decode
every frame (``websockets``' asyncio client). The rest only have to stay
connected, answer the server's pings and read what they are sent, so that the
server does the work it does for real users. As ``websockets`` clients (its
asyncio client, or its sans-I/O protocol under an ``asyncio.Protocol``) they
cost the load core about 18 µs per frame, as much as the server spends to send
it: at 10,000 clients the load generator, not the server, was what lagged.

These are ``picows`` connections (a maintained WebSocket client written in
Cython: the frame parser and the automatic pong in C, no task, queue or
future per client or per frame). They count frames and updates without
decoding JSON.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from picows import WSError, WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

UPDATE_PREFIX = b'{"type":"update"'
NICENESS = 19
"""The light clients' process priority: the lowest (see :func:`_child`)."""
READ_BUFFER_BYTES = 4096
"""Initial read buffer per connection (picows' default, 16 KiB, is 160 MB of the load process at 10,000)."""


@dataclass
class Counts:
    """What every light client of one run received while ``counting``: frames and the updates in them."""

    counting: bool = False
    frames: int = 0
    updates: int = 0


class LightClient(WSListener):  # type: ignore[misc]  # picows ships no stubs for its Cython classes
    """One connection: one subscribe message once connected, then counted frames; ``ready`` once two frames came."""

    def __init__(self, subscribe: bytes, counts: Counts, ready: asyncio.Future[None]) -> None:
        super().__init__()
        self.subscribe = subscribe
        self.counts = counts
        self.ready = ready
        self.seen = 0
        self.transport: WSTransport | None = None

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport
        transport.send(WSMsgType.TEXT, self.subscribe)

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type != WSMsgType.TEXT:
            return
        self.seen += 1
        if self.seen == 2 and not self.ready.done():
            self.ready.set_result(None)
        if self.counts.counting:
            payload = frame.get_payload_as_bytes()
            if payload.startswith(UPDATE_PREFIX):
                self.counts.frames += 1
                self.counts.updates += payload.count(b'"symbol"')

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError("closed before two frames came"))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.disconnect(graceful=False)


async def open_light_client(url: str, source: str, subscribe: str, counts: Counts, *, within: float) -> LightClient:
    """Connect from ``source`` (a loopback address) and subscribe; raises ``OSError``/``TimeoutError`` on failure."""
    try:
        return await _open(url, source, subscribe, counts, within=within)
    except WSError as exc:  # the handshake was refused: a failed connection, as a refused TCP connect is
        raise ConnectionError(str(exc)) from None


async def _open(url: str, source: str, subscribe: str, counts: Counts, *, within: float) -> LightClient:
    ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    message = subscribe.encode()
    async with asyncio.timeout(within):
        _, client = await ws_connect(
            lambda: LightClient(message, counts, ready),
            url,
            websocket_handshake_timeout=within,
            read_buffer_init_size=READ_BUFFER_BYTES,
            local_addr=(source, 0),
        )
        try:
            await ready
        except BaseException:
            client.close()
            raise
    return client


class LightLoad:
    """Light clients in a process of their own, so that the probes' event loop measures the server, not them.

    In one loop with the probes, thousands of light clients' frames delay the
    probes' reads by whole loop turns, and that delay read as server latency.
    The process inherits the load core (the caller pinned itself to it).
    ``plan`` holds a ``(source address, subscribe message)`` per client.
    """

    def __init__(self, url: str, plan: list[tuple[str, str]], *, within: float) -> None:
        context = multiprocessing.get_context("spawn")  # never fork a process with a running event loop
        self._conn, child_conn = context.Pipe()
        self._process = context.Process(target=_child, args=(child_conn, url, plan, within), daemon=True)
        self._process.start()
        child_conn.close()

    async def ready(self) -> tuple[int, int]:
        """``(connected, failed)`` once every client has connected or failed."""
        _, connected, failed = await self._ask(None)
        return connected, failed

    def count(self) -> None:
        self._conn.send("count")

    async def counted(self) -> tuple[int, int]:
        """Stop counting: ``(frames, updates)`` received since :meth:`count`; the clients stay connected."""
        _, frames, updates = await self._ask("counted")
        return frames, updates

    async def _ask(self, command: str | None) -> Any:
        if command is not None:
            self._conn.send(command)
        answer = await asyncio.to_thread(self._conn.recv)
        if answer[0] == "error":
            raise SystemExit(f"light clients: {answer[1]}")
        return answer

    def close(self) -> None:
        """Every client gone: the process ends (its sockets with it)."""
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._conn.close()


def _child(conn: Connection, url: str, plan: list[tuple[str, str]], within: float) -> None:
    import uvloop

    # These clients stand in for users on other machines: they take only the CPU that the server
    # and the probes leave. Lagging costs them nothing measured (the kernel buffers their frames).
    os.nice(NICENESS)
    try:
        uvloop.run(_hold(conn, url, plan, within))
    except Exception as exc:  # reported to the parent in one line
        conn.send(("error", f"{type(exc).__name__}: {exc}"))


async def _hold(conn: Connection, url: str, plan: list[tuple[str, str]], within: float) -> None:
    counts = Counts()
    opening = []
    for i, (source, subscribe) in enumerate(plan):
        opening.append(asyncio.create_task(open_light_client(url, source, subscribe, counts, within=within)))
        if i % 50 == 49:
            await asyncio.sleep(0.05)  # as the probes connect: no SYN flood on the server's backlog
    results = await asyncio.gather(*opening, return_exceptions=True)
    clients = [r for r in results if isinstance(r, LightClient)]
    conn.send(("ready", len(clients), len(plan) - len(clients)))
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()

    def command() -> None:
        what = conn.recv()
        if what == "count":
            counts.counting = True
        elif what == "counted":
            counts.counting = False
            stopped.set()

    loop.add_reader(conn.fileno(), command)
    while True:
        await stopped.wait()
        stopped.clear()
        conn.send(("counts", counts.frames, counts.updates))
