"""Bounds on what one WebSocket client, or one address, can make a worker hold.

Sanic's WebSocket layer (``sanic/server/websockets/impl.py``) parses each chunk
read from the socket and starts a task per chunk to write what the chunk
called for (a pong for every ping) and to queue its messages. A client that
floods PING frames and never reads makes every such task wait on a socket that
cannot be written: tasks and pongs pile up without limit (3.4 GiB in 35 s).
The application's rate limit never sees control frames.

:class:`GuardedWebSocketProtocol` takes over that one seam, ``data_received``:

* every frame counts, control frames included, against a per-connection token
  bucket (:attr:`~.protocol.GatewayLimits.frames_per_second`), checked every
  :data:`PARSE_SLICE_BYTES` while a chunk is parsed; past it the connection is
  closed with 1008 and cut a second later, without parsing the rest;
* at most :data:`MAX_PENDING_CHUNKS` chunks may wait to be processed; while
  they wait the socket is not read (``pause_reading``), so TCP pushes back on
  the client instead of the worker buffering for it.

It is also the write side the hub sends through (:class:`~.hub.ClientSocket`),
without a task, lock or timeout per frame: :meth:`send_text` writes a frame
(:func:`text_frame`, the bytes ``websockets`` would write) straight into the transport,
which holds at most :data:`~.protocol.SEND_BUFFER_HIGH_WATER` unsent bytes
before it pauses writing. While paused the hub only coalesces (one pending
value per symbol); a client still paused after
:attr:`~.protocol.GatewayLimits.send_timeout` is closed with 4008, and
resuming calls :attr:`on_drained` so the hub writes what is pending.
Keepalive is the hub's too (:meth:`keepalive`, one timer per worker): Sanic's
own keepalive costs a task per connection.

Once the hub owns a connection, nothing of the upgrade request is kept
(:meth:`hand_over`, issue 26): the handler returns at once instead of
waiting in a task for the connection's end, so Sanic's connection task ends
too, and with them the request, its headers, the HTTP/1 parser state, the
handler's task and coroutine frames and Sanic's request-timeout timer (about
7 KiB a connection, ``benchmarks/ws_memory_trace.py``). Sanic would end the
connection when its connection task ends (``close()``); that one call is
skipped for a handed-over connection, and its end reaches the hub through
:meth:`connection_lost`. What is left per connection is the WebSocket state,
Sanic's auto-closer task (it finishes the closing handshake) and the hub's
session.

:class:`AddressSlots` caps the open connections per client address and
worker and refuses an address that flooded for :data:`PENALTY_SECONDS`, and the
upgrade is refused (403) to pages of another site
(:func:`~covaex_service.origin.is_foreign_origin`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from sanic import Request
from sanic.server.protocols.websocket_protocol import WebSocketProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.typing import BytesLike

from covaex_service.errors import Forbidden, TooManyRequests
from covaex_service.market.gateway.protocol import (
    CLOSE_INTERNAL_ERROR,
    CLOSE_POLICY_VIOLATION,
    CLOSE_SLOW_CLIENT,
    GatewayLimits,
)
from covaex_service.origin import is_foreign_origin

log = logging.getLogger("covaex.market.gateway")

MAX_PENDING_CHUNKS = 2
"""Chunks read but not yet processed per connection; the socket is not read past this."""
MAX_EARLY_MESSAGES = 16
"""Messages kept for a connection whose handler has not attached yet (it does on its first step)."""
PARSE_SLICE_BYTES = 2048
"""Bytes parsed between two checks of the frame budget (a legitimate frame is parsed in a few slices)."""
ABORT_AFTER_SECONDS = 1.0
PENALTY_SECONDS = 10
"""After a flood close, new upgrades from that address are refused (429) this long: reconnecting
to flood again costs the worker a handshake each time, refusing costs a short HTTP answer."""
"""Grace for a refused client to read its close frame before the TCP connection is cut."""


class TooManyEarlyMessages(Exception):
    """More than :data:`MAX_EARLY_MESSAGES` arrived before the handler attached: a flood, refused like one."""


class MessageInlet:
    """A WebSocket's data frames in, whole messages out, in order.

    Fragments are reassembled (``websockets`` has bounded the whole message by
    its ``max_size`` and checked a text message's UTF-8). Messages that arrive
    before :meth:`attach`, between the handshake and the handler's first step,
    are kept (at most :data:`MAX_EARLY_MESSAGES`) and delivered on attach.
    """

    __slots__ = ("_deliver", "_early", "_fragments", "_text")

    def __init__(self) -> None:
        self._deliver: Callable[[str | bytes], None] | None = None
        self._early: list[str | bytes] = []
        self._fragments: list[BytesLike] | None = None
        self._text = True

    def attach(self, deliver: Callable[[str | bytes], None]) -> None:
        self._deliver = deliver
        early, self._early = self._early, []
        for message in early:
            deliver(message)

    def take(self, event: object) -> bool:
        """Take ``event`` if it is a data frame (``False`` for anything else); raises :class:`TooManyEarlyMessages`."""
        if not isinstance(event, Frame) or event.opcode not in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT):
            return False
        if event.opcode is not Opcode.CONT:
            self._fragments, self._text = [], event.opcode is Opcode.TEXT
        if self._fragments is None:  # a continuation with nothing to continue: websockets fails the connection
            return True
        self._fragments.append(event.data)
        if not event.fin:
            return True
        payload, self._fragments = b"".join(self._fragments), None
        message: str | bytes = payload.decode() if self._text else payload
        if self._deliver is not None:
            self._deliver(message)
        elif len(self._early) < MAX_EARLY_MESSAGES:
            self._early.append(message)
        else:
            raise TooManyEarlyMessages
        return True


class _ControlFramesOnly:
    """Stands in for Sanic's frame assembler once data frames go to the hub (it is given control frames only)."""

    async def put(self, frame: Frame) -> None:
        return None


CONTROL_FRAMES_ONLY: Any = _ControlFramesOnly()


def frames_allowed(budget_at: float, count: int, limits: GatewayLimits, now: float) -> float | None:
    """The token bucket as one number (GCRA): when the budget is next full, or ``None`` when ``count`` exceeds it.

    ``budget_at`` is the time at which the bucket would be full again; each frame
    pushes it ``1 / rate`` seconds later, and the bucket is overdrawn once it lies
    more than ``burst / rate`` seconds ahead. One float per connection instead of
    an object: an idle connection costs what it did before the guard.
    """
    interval = 1.0 / limits.frames_per_second
    pushed = max(budget_at, now) + count * interval
    return None if pushed - now > limits.frame_burst * interval else pushed


def text_frame(payload: bytes) -> bytes:
    """One text frame as a server sends it: final, unmasked, uncompressed (RFC 6455 section 5.2).

    The bytes ``websockets`` writes for ``send_text`` on a connection without
    extensions (Sanic negotiates none), without its per-frame ``Frame`` object,
    buffer and checks: those were a sixth of a busy worker's time at 10,000
    clients (``benchmarks/ws_chain.py --profile``). Control frames and the
    closing handshake still go through the protocol.
    """
    size = len(payload)
    if size < 126:
        return bytes((0x81, size)) + payload
    if size < 1 << 16:
        return b"\x81\x7e" + size.to_bytes(2, "big") + payload
    return b"\x81\x7f" + size.to_bytes(8, "big") + payload


class GuardedWebSocketProtocol(WebSocketProtocol):
    """Sanic's WebSocket protocol with frames counted and reads paused while work is pending."""

    __slots__ = (
        "_address", "_budget_at", "_handed_over", "_inlet", "_last_received", "_on_lost", "_pending", "_refused",
        "_slow_timer", "on_drained", "writable",
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._budget_at = 0.0
        self._pending = 0
        self._refused = False
        self._last_received = time.monotonic()
        self._slow_timer: asyncio.TimerHandle | None = None
        self.writable = True
        """False while the transport holds more than its high-water mark unsent (``pause_writing``)."""
        self.on_drained: Callable[[], None] | None = None
        self._inlet: MessageInlet | None = None  # made once the connection is a WebSocket
        self._handed_over = False
        self._on_lost: Callable[[], None] | None = None
        self._address: str | None = None
        """The client's address, kept from the upgrade request (which goes) for the flood penalty."""

    def hand_over(self, address: str, on_message: Callable[[str | bytes], None], on_lost: Callable[[], None]) -> None:
        """The hub owns this connection from now on: its messages, and ``on_lost`` once it is gone.

        The WebSocket handler returns right after this call; Sanic's connection
        task then ends and drops the upgrade request (see the module doc).
        ``on_lost`` runs once, from :meth:`connection_lost`, or now if the
        connection is already gone.
        """
        self._address = address
        self.deliver_messages_to(on_message)
        ws = self.websocket
        lost = ws.connection_lost_waiter if ws is not None else None
        if self.transport is None or lost is None or lost.done():
            on_lost()
            return
        self._on_lost = on_lost
        self._handed_over = True

    def close(self, timeout: float | None = None) -> None:
        if self._handed_over and getattr(self, "_task", None) is None:
            # The connection task ended because the handler handed the connection over: this is its
            # closing call, which would end the WebSocket. Only Sanic's request-timeout timer goes.
            self._handed_over = False
            timer = getattr(self, "_callback_check_timeouts", None)
            if timer is not None:
                timer.cancel()
                self._callback_check_timeouts = None
            return
        super().close(timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)  # type: ignore[no-untyped-call]  # sanic leaves it unannotated
        on_lost, self._on_lost = self._on_lost, None
        if on_lost is not None:
            on_lost()

    def deliver_messages_to(self, on_message: Callable[[str | bytes], None]) -> None:
        """Hand every data message to ``on_message``, synchronously, from now on (and those that came early)."""
        if self.websocket is not None:
            # Sanic's frame assembler (two events, a queue, two locks: ~4 KiB per connection) would
            # only ever see control frames now, and it ignores those.
            self.websocket.assembler = CONTROL_FRAMES_ONLY
        self._inlet_of().attach(on_message)

    def _inlet_of(self) -> MessageInlet:
        if self._inlet is None:
            self._inlet = MessageInlet()
        return self._inlet

    def data_received(self, data: bytes) -> None:
        self._last_received = time.monotonic()
        ws = self.websocket
        if ws is None:  # still HTTP: the upgrade request
            super().data_received(data)  # type: ignore[no-untyped-call]  # sanic leaves it unannotated
            return
        if self._refused:
            return
        # What WebsocketImplProtocol.data_received does (sanic 25.x), with the frames counted as they
        # are parsed: a chunk of 10,000 tiny PINGs is refused after a slice, not after parsing them all.
        events: list[Any] = []
        for start in range(0, len(data), PARSE_SLICE_BYTES):
            ws.ws_proto.receive_data(data[start : start + PARSE_SLICE_BYTES])
            parsed: Sequence[Any] = ws.ws_proto.events_received()
            frames = sum(1 for event in parsed if isinstance(event, Frame))
            if frames and not self._frames_allowed(frames):
                self._refuse(ws)
                return
            events.extend(parsed)
        # Data messages go straight to the hub; Sanic's reader (an assembler, a task and a wait per
        # message) is left only the control frames: a pong to send, a close to answer.
        inlet = self._inlet_of()
        try:
            events = [event for event in events if not inlet.take(event)]
        except TooManyEarlyMessages:
            self._refuse(ws)
            return
        to_send = ws.ws_proto.data_to_send()
        if not to_send and not events:
            return
        self._pending += 1
        processing = ws.async_data_received(to_send, events)  # type: ignore[no-untyped-call]  # as above
        task = asyncio.get_running_loop().create_task(processing)
        task.add_done_callback(self._processed)
        if self._pending >= MAX_PENDING_CHUNKS and self.transport is not None:
            self.transport.pause_reading()

    def _processed(self, _: asyncio.Task[None]) -> None:
        self._pending -= 1
        ws = self.websocket
        # Sanic pauses reading too (its message queue is full): leave that pause to it.
        paused_by_sanic = ws is not None and ws.pause_frame_fut is not None
        if self._pending < MAX_PENDING_CHUNKS and not paused_by_sanic and self.transport is not None:
            self.transport.resume_reading()

    def _frames_allowed(self, count: int) -> bool:
        budget_at = frames_allowed(self._budget_at, count, _limits_of(self), time.monotonic())
        if budget_at is None:
            return False
        self._budget_at = budget_at
        return True

    def _refuse(self, ws: Any) -> None:
        self._refused = True
        log.info("closing a WebSocket client that floods frames", extra={"event": "ws_frame_flood_closed"})
        stats = getattr(getattr(self.app.ctx, "market", None), "gateway_stats", None)
        if stats is not None:
            stats.rate_limit_closes += 1
        request = getattr(getattr(self, "_http", None), "request", None)
        address = self._address or (client_address(request) if request is not None else None)
        area = getattr(self.app.ctx, "market", None)
        if address is not None and area is not None:
            area.addresses.penalize(address, PENALTY_SECONDS)
        ws.fail_connection(CLOSE_POLICY_VIOLATION, "too many frames")
        self._abort_later()

    def _abort_later(self) -> None:
        """Cut the TCP connection soon: a client that does not read will not answer the close handshake."""
        transport = self.transport
        if transport is not None:
            asyncio.get_running_loop().call_later(ABORT_AFTER_SECONDS, transport.abort)

    # -- the write side (hub.ClientSocket) -----------------------------------

    def send_text(self, frame: str) -> bool:
        """Write one text frame now, never waiting; ``False`` when the connection is closing or gone."""
        ws, transport = self.websocket, self.transport
        if ws is None or transport is None or transport.is_closing() or ws.ws_proto.state is not State.OPEN:
            return False
        transport.write(text_frame(frame.encode()))
        return True

    def fail(self, code: int, reason: str) -> None:
        """Start the closing handshake (the connection's reader then ends)."""
        if self.websocket is not None:
            self.websocket.fail_connection(code, reason)

    def keepalive(self, now: float, interval: float, timeout: float) -> None:
        """Called by the hub every ``interval``: ping a client idle for half of it, close one silent past both."""
        idle = now - self._last_received
        ws, transport = self.websocket, self.transport
        if ws is None or transport is None or ws.ws_proto.state is not State.OPEN:
            return
        if idle >= interval + timeout:
            log.info("closing a WebSocket client that stopped answering pings", extra={"event": "ws_keepalive_timeout"})
            self.fail(CLOSE_INTERNAL_ERROR, "keepalive ping timeout")
            self._abort_later()
        elif idle >= interval / 2:
            ws.ws_proto.send_ping(b"")  # any frame back, the pong included, counts as an answer
            for data in ws.ws_proto.data_to_send():
                transport.write(data)

    def pause_writing(self) -> None:
        super().pause_writing()  # type: ignore[no-untyped-call]  # sanic leaves it unannotated
        self.writable = False
        if self._slow_timer is None and self.websocket is not None:
            timeout = _limits_of(self).send_timeout
            self._slow_timer = asyncio.get_running_loop().call_later(timeout, self._too_slow)

    def resume_writing(self) -> None:
        super().resume_writing()  # type: ignore[no-untyped-call]  # as above
        self.writable = True
        if self._slow_timer is not None:
            self._slow_timer.cancel()
            self._slow_timer = None
        if self.on_drained is not None:
            self.on_drained()

    def _too_slow(self) -> None:
        self._slow_timer = None
        stats = getattr(getattr(self.app.ctx, "market", None), "gateway_stats", None)
        if stats is not None:
            stats.slow_client_closes += 1
        log.info("closing a slow WebSocket client", extra={"event": "ws_slow_client_closed", "code": CLOSE_SLOW_CLIENT})
        self.fail(CLOSE_SLOW_CLIENT, "client too slow")
        self._abort_later()


def _limits_of(protocol: WebSocketProtocol) -> GatewayLimits:
    limits = protocol.app.ctx.market_options.limits
    assert isinstance(limits, GatewayLimits)
    return limits


class AddressSlots:
    """Open WebSocket connections per client address, on this worker, and addresses refused for a while."""

    def __init__(self, per_address: int) -> None:
        self.per_address = per_address
        self._open: dict[str, int] = {}
        self._penalized: dict[str, float] = {}

    def penalize(self, address: str, seconds: float) -> None:
        self._penalized[address] = time.monotonic() + seconds

    def penalty_left(self, address: str) -> float:
        """Seconds this address is still refused (0 when it is not)."""
        until = self._penalized.get(address)
        if until is None:
            return 0.0
        left = until - time.monotonic()
        if left <= 0:
            # Forgotten once served: the table holds only addresses refused in the last few seconds.
            del self._penalized[address]
            return 0.0
        return left

    def full(self, address: str) -> bool:
        return self._open.get(address, 0) >= self.per_address

    def acquire(self, address: str) -> bool:
        if self.full(address):
            return False
        self._open[address] = self._open.get(address, 0) + 1
        return True

    def release(self, address: str) -> None:
        left = self._open.get(address, 0) - 1
        if left > 0:
            self._open[address] = left
        else:
            self._open.pop(address, None)


def client_address(request: Request) -> str:
    # remote_addr is set only when the proxy headers are trusted (PROXIES_COUNT / FORWARDED_SECRET).
    return request.remote_addr or request.ip or "unknown"


def check_upgrade(request: Request, slots: AddressSlots) -> None:
    """Refuse an upgrade before the handshake: a foreign page (403), an address at its limit (429)."""
    if is_foreign_origin(request):
        raise Forbidden("WebSocket connections from another site's page are refused", code="cross_origin")
    address = client_address(request)
    penalty = slots.penalty_left(address)
    if penalty > 0:
        raise TooManyRequests(
            "this address flooded a WebSocket connection; try again later", retry_after_s=max(1, round(penalty))
        )
    if slots.full(address):
        raise TooManyRequests(
            f"at most {slots.per_address} WebSocket connections per address; close one first", retry_after_s=5
        )
