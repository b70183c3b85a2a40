"""The per-worker fan-out hub behind ``/ws/v1/market``.

One hub per worker consumes the cache's update channel (Redis pub/sub across
workers and instances, or the embedded in-process fan-out), encodes each
market once, and hands the encoded piece to every client subscribed to that
symbol. Each client keeps at most one pending value per subscribed symbol
(newer values replace older ones: coalescing), so a client's memory is
bounded by its subscription whatever the tick rate.

Writes never wait. After each batch the hub writes one ``update`` frame with
everything pending to every client it touched, straight into the client's
transport (:class:`ClientSocket`, implemented by
:class:`~.guard.GuardedWebSocketProtocol`). A client whose transport holds
its high-water mark of unsent bytes is skipped: its values stay coalesced,
and the protocol's ``on_drained`` writes them when the client catches up, or
the protocol closes it with :data:`~.protocol.CLOSE_SLOW_CLIENT` when it does
not. So a client costs no task, lock or timer of its own (benchmarks/ws_fanout.py,
benchmarks/ws_memory.py), and one slow reader never holds back the others.

The hub also keeps the latest encoded value of every symbol, so a subscribe
is answered with a snapshot from memory, without a cache round trip.

Candles (the ``klines`` extension of a subscribe) go the same way: the open
candle of each ``(symbol, interval)`` is encoded once, kept as the latest, and
coalesced per client, one pending ``kline`` frame per series.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Collection, Iterable
from typing import Any, Protocol

from covaex_service.clock import now_ms
from covaex_service.market.gateway.protocol import (
    CLOSE_POLICY_VIOLATION,
    CLOSE_SLOW_CLIENT,
    ClientRequest,
    GatewayLimits,
    ProtocolError,
    ack_frame,
    error_frame,
    kline_frame,
    parse_request,
    pong_frame,
    snapshot_frame,
    status_frame,
    update_frame,
)
from covaex_service.market.model import Source
from covaex_service.market.stats import GatewayStats
from covaex_service.market.view import MarketView
from covaex_service.venues import DEFAULT_VENUE, SOURCES

log = logging.getLogger("covaex.market.gateway")

STATUS_POLL_SECONDS = 1.0
"""How often a worker re-reads staleness and the source label to tell its clients of changes."""

KEEPALIVE_SLICES = 20
"""The keepalive round is spread over this many ticks of each interval, a slice of the clients per tick.

Checked all at once, every idle client was pinged in one loop turn and every
pong came back in the next: with 5,000 clients a worker stalled for 0.2-0.4 s
every interval, the worst latencies of ``benchmarks/ws_chain.py`` at 10,000.
Each client is still checked once per interval.
"""

MAX_HELD_REPLIES = 256
"""Answers (acks, snapshots, candles, errors, pongs) held for a client whose send buffer is full.

The rate limit lets a client send at most a burst plus a few messages a
second, and a full buffer closes it after the send timeout; past this many
held frames it is closed at once (4008) rather than held for.
"""


class ClientSocket(Protocol):
    """The write side of a client connection (:class:`~.guard.GuardedWebSocketProtocol` is the real one)."""

    writable: bool
    on_drained: Callable[[], None] | None

    def send_text(self, frame: str) -> bool: ...

    def fail(self, code: int, reason: str) -> None: ...

    def keepalive(self, now: float, interval: float, timeout: float) -> None: ...


class ClientClosed(Exception):
    """The client is gone (closed by us or by it); stop serving it."""


class ClientSession:
    """One connection: its subscription, what is pending for it, seq and rate-limit state.

    Sized deliberately, since a worker holds thousands (benchmarks/ws_memory.py):
    ``__slots__`` (no per-instance dict), the subscription as a tuple of the
    hub's own symbol strings (no per-client copies), the held answers as a list
    made only while the client is behind, and no task, lock or future at all.
    """

    __slots__ = (
        "_tokens", "_tokens_at", "closed", "held", "klines", "limits", "pending", "pending_klines", "pending_since",
        "pending_source", "rejected_in_row", "seq", "slice", "stats", "status", "symbols", "ws",
    )  # fmt: skip

    def __init__(self, ws: ClientSocket, limits: GatewayLimits, stats: GatewayStats) -> None:
        self.ws = ws
        self.limits = limits
        self.stats = stats
        self.symbols: tuple[str, ...] = ()
        self.klines: tuple[tuple[str, str], ...] = ()
        self.pending: dict[str, str] = {}
        self.pending_klines: dict[tuple[str, str], str] = {}
        self.pending_source: Source = DEFAULT_VENUE.name
        self.pending_since: int | None = None
        self.status: str | None = None
        self.held: list[str] | None = None
        self.seq = 0
        self.closed = False
        self._tokens = float(limits.rate_burst)
        self._tokens_at = time.monotonic()
        self.rejected_in_row = 0
        self.slice = 0

    def take_token(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self.limits.rate_burst, self._tokens + (now - self._tokens_at) * self.limits.rate_per_second)
        self._tokens_at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    def queue(self, symbol: str, encoded: str, source: Source, as_of: int) -> None:
        self.pending[symbol] = encoded
        self.pending_source = source
        if self.pending_since is None:
            self.pending_since = as_of

    def reply(self, frames: Iterable[str]) -> None:
        """Answers in order, ahead of any pending update; held while the client is behind."""
        held = self.held if self.held is not None else []
        held.extend(frames)
        self.held = held
        if len(held) > MAX_HELD_REPLIES:
            self.stats.slow_client_closes += 1
            self.close(CLOSE_SLOW_CLIENT, "client too slow")
            return
        self.flush()

    def close(self, code: int, reason: str) -> None:
        if not self.closed:
            self.closed = True
            self.held = None
            self.ws.fail(code, reason)

    def flush(self) -> None:
        """Write what is pending, in protocol order, as far as the client's send buffer takes it."""
        ws = self.ws
        try:
            while self.held and ws.writable and not self.closed:
                frame = self.held.pop(0)
                self._write(frame)
            if self.held == []:
                self.held = None
            if self.status is not None and ws.writable and not self.closed:
                frame, self.status = self.status, None
                self._write(frame)
            if self.pending and ws.writable and not self.closed:
                # The same dict again, emptied: a new one per frame outlived the young collections and made
                # the collector's full passes (over every connection's objects) frequent, each 0.2-0.9 s.
                pending = self.pending
                since, self.pending_since = self.pending_since, None
                self.seq += 1
                frame = update_frame(self.seq, self.pending_source, pending.values())
                pending.clear()
                self._write(frame)
                self.stats.updates_sent += 1
                if since is not None:
                    self.stats.latency.observe(max(0, now_ms() - since) / 1000)
            while self.pending_klines and ws.writable and not self.closed:
                series = next(iter(self.pending_klines))
                self._write(self.pending_klines.pop(series))
        except ClientClosed:
            self.closed = True

    def _write(self, frame: str) -> None:
        if not self.ws.send_text(frame):
            raise ClientClosed
        self.stats.frames_sent += 1


class Hub:
    """Fans updates out to this worker's clients; see the module docstring."""

    def __init__(
        self, view: MarketView, known_symbols: Collection[str], stats: GatewayStats, limits: GatewayLimits
    ) -> None:
        self._view = view
        # Every session refers to these strings, not to the upper-cased copies parsed from its request.
        self._known = {symbol: symbol for symbol in known_symbols}
        self._stats = stats
        self.limits = limits
        self.latest: dict[str, str] = {}
        self.source: Source = DEFAULT_VENUE.name
        self.stale = True
        # Subscribers per symbol and per candle series, as dict keys: ordered, and a third smaller than a set.
        self._by_symbol: dict[str, dict[ClientSession, None]] = {}
        self.latest_klines: dict[tuple[str, str], str] = {}
        self._by_kline: dict[tuple[str, str], dict[ClientSession, None]] = {}
        self._clients: set[ClientSession] = set()
        # The keepalive's slices (see KEEPALIVE_SLICES), filled in turn as clients connect.
        self._slices: list[dict[ClientSession, None]] = [{} for _ in range(KEEPALIVE_SLICES)]
        self._next_slice = 0

    # -- upstream side -----------------------------------------------------

    async def run(self, updates: AsyncIterator[bytes | None]) -> None:
        """Consume the update channel until cancelled; ``None`` means a gap: resync from the snapshot."""
        await self.resync()
        timers = [
            asyncio.create_task(self._watch_status(), name="covaex-hub-status"),
            asyncio.create_task(self._keepalive(), name="covaex-hub-keepalive"),
        ]
        try:
            async for payload in updates:
                if payload is None:
                    await self.resync()
                else:
                    self.dispatch(payload)
        finally:
            for timer in timers:
                timer.cancel()

    async def resync(self) -> None:
        """Reload the snapshot and send every subscribed value again (after a gap in the channel)."""
        snap, stale = await self._view.snapshot(fresh=True)
        source = snap.source or self.source
        if stale != self.stale or source != self.source:
            self._tell_status(source, stale)
        self._fan_out(list(snap.markets), self.source, snap.as_of or now_ms())

    def dispatch(self, payload: bytes) -> None:
        try:
            doc = json.loads(payload)
            source = doc["source"]
            markets = doc["markets"]
            as_of = int(doc["asOf"])
            klines = doc.get("klines", [])
            if source not in SOURCES or not isinstance(markets, list) or not isinstance(klines, list):
                raise ValueError("bad source, markets or klines")
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("skipping a malformed update message: %s", exc)
            return
        if klines:
            self._fan_out_klines(klines, source)
        if not markets:
            return
        if self.stale or source != self.source:
            # A published batch means the feed is live and the cache writable: fresh again.
            self._tell_status(source, stale=False)
        self._fan_out(markets, source, as_of)

    def _fan_out(self, markets: list[Any], source: Source, as_of: int) -> None:
        touched: set[ClientSession] = set()
        for market in markets:
            symbol = market.get("symbol") if isinstance(market, dict) else None
            if symbol not in self._known:
                continue
            # Encoded once per worker; every client gets the same string.
            encoded = json.dumps(market, separators=(",", ":"))
            self.latest[symbol] = encoded
            sessions = self._by_symbol.get(symbol, ())
            for session in sessions:
                session.queue(symbol, encoded, source, as_of)
            touched.update(sessions)
        # One frame per client per batch, however many of its symbols the batch carried.
        for session in touched:
            session.flush()

    def _fan_out_klines(self, klines: list[Any], source: Source) -> None:
        for item in klines:
            if not isinstance(item, dict) or item.get("symbol") not in self._known or "kline" not in item:
                continue
            series = (str(item["symbol"]), str(item.get("interval")))
            encoded = kline_frame(series[0], series[1], source, json.dumps(item["kline"], separators=(",", ":")))
            self.latest_klines[series] = encoded
            for session in self._by_kline.get(series, ()):
                session.pending_klines[series] = encoded
                session.flush()

    async def _watch_status(self) -> None:
        while True:
            await asyncio.sleep(STATUS_POLL_SECONDS)
            try:
                snap, stale = await self._view.snapshot()
            except Exception:
                log.exception("status check failed")
                continue
            source = snap.source or self.source
            if stale != self.stale or source != self.source:
                self._tell_status(source, stale)

    async def _keepalive(self) -> None:
        interval, timeout = self.limits.keepalive, self.limits.keepalive_timeout
        turn = 0
        while True:
            await asyncio.sleep(interval / KEEPALIVE_SLICES)
            now = time.monotonic()
            for session in list(self._slices[turn]):
                session.ws.keepalive(now, interval, timeout)
            turn = (turn + 1) % KEEPALIVE_SLICES

    def _tell_status(self, source: Source, stale: bool) -> None:
        self.stale, self.source = stale, source
        frame = status_frame(source, stale)
        for session in list(self._clients):
            session.status = frame
            session.flush()

    # -- client side -------------------------------------------------------

    def connect(self, ws: ClientSocket) -> ClientSession:
        session = ClientSession(ws, self.limits, self._stats)
        ws.on_drained = session.flush
        self._clients.add(session)
        session.slice, self._next_slice = self._next_slice, (self._next_slice + 1) % KEEPALIVE_SLICES
        self._slices[session.slice][session] = None
        self._stats.clients = len(self._clients)
        return session

    def disconnect(self, session: ClientSession) -> None:
        session.closed = True
        session.ws.on_drained = None
        for symbol in session.symbols:
            self._by_symbol.get(symbol, {}).pop(session, None)
        for series in session.klines:
            self._by_kline.get(series, {}).pop(session, None)
        self._clients.discard(session)
        self._slices[session.slice].pop(session, None)
        self._stats.clients = len(self._clients)

    def close_all(self, code: int, reason: str) -> None:
        for session in list(self._clients):
            session.close(code, reason)
            self.disconnect(session)

    def handle(self, session: ClientSession, raw: str | bytes) -> None:
        """Answer one client frame; bad input gets an error frame and the connection stays usable."""
        if session.closed:  # the rest of a chunk that arrived with the frame that closed it
            return
        if not session.take_token():
            session.rejected_in_row += 1
            if session.rejected_in_row >= session.limits.rate_close_after:
                self._stats.rate_limit_closes += 1
                session.close(CLOSE_POLICY_VIOLATION, "rate limit exceeded")
            elif session.rejected_in_row == 1:
                # Once per burst: answering every flooded message would amplify the flood.
                self._error(session, ProtocolError("rate_limited", "too many messages; slow down"))
            return
        session.rejected_in_row = 0
        try:
            request = parse_request(raw, self._known)
        except ProtocolError as error:
            self._error(session, error)
            return
        if request.op == "ping":
            session.reply([pong_frame(request.id)])
        elif request.op == "subscribe":
            self._subscribe(session, request)
        else:
            self._unsubscribe(session, request)

    def _error(self, session: ClientSession, error: ProtocolError) -> None:
        self._stats.error_frames += 1
        session.reply([error_frame(error)])

    def _subscribe(self, session: ClientSession, request: ClientRequest) -> None:
        added = [self._known[s] for s in request.symbols if s not in session.symbols]
        if len(session.symbols) + len(added) > session.limits.max_symbols:
            error = ProtocolError(
                "too_many_symbols",
                f"at most {session.limits.max_symbols} symbols per connection; "
                f"{len(session.symbols)} subscribed, {len(added)} more asked",
                request.id,
            )
            self._error(session, error)
            return
        # All of it without an await: no update can fall between the registration and the snapshot.
        session.symbols += tuple(added)
        for symbol in added:
            self._by_symbol.setdefault(symbol, {})[session] = None
        for symbol in request.symbols:
            session.pending.pop(symbol, None)  # the snapshot below carries the newest value
        data = [self.latest[s] for s in request.symbols if s in self.latest]
        answers = [
            ack_frame("subscribed", request.id, list(request.symbols)),
            snapshot_frame(self.source, self.stale, data),
        ]
        for series in ((s, i) for s in request.symbols for i in request.klines):
            if series not in session.klines:
                session.klines += (series,)
            self._by_kline.setdefault(series, {})[session] = None
            session.pending_klines.pop(series, None)
            if series in self.latest_klines:
                answers.append(self.latest_klines[series])
        session.reply(answers)

    def _unsubscribe(self, session: ClientSession, request: ClientRequest) -> None:
        dropped = [
            k for k in session.klines if k[0] in request.symbols and (not request.klines or k[1] in request.klines)
        ]
        session.klines = tuple(k for k in session.klines if k not in dropped)
        for series in dropped:
            session.pending_klines.pop(series, None)
            self._by_kline.get(series, {}).pop(session, None)
        # an unsubscribe that names intervals drops those candles only, not the prices
        gone = () if request.klines else request.symbols
        session.symbols = tuple(s for s in session.symbols if s not in gone)
        for symbol in gone:
            session.pending.pop(symbol, None)
            self._by_symbol.get(symbol, {}).pop(session, None)
        session.reply([ack_frame("unsubscribed", request.id, list(request.symbols))])
