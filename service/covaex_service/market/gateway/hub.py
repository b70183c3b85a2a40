"""The per-worker fan-out hub behind ``/ws/v1/market``.

One hub per worker consumes the cache's update channel (Redis pub/sub across
workers and instances, or the embedded in-process fan-out), encodes each
market once, and hands the encoded piece to every client subscribed to that
symbol. Each client keeps at most one pending value per subscribed symbol
(newer values replace older ones: coalescing), so a client's memory is
bounded by its subscription whatever the tick rate. A per-client sender task
writes one ``update`` frame with everything pending; if a single write cannot
complete within the send timeout the client is closed with
:data:`~.protocol.CLOSE_SLOW_CLIENT` instead of buffering without bound.

The hub also keeps the latest encoded value of every symbol, so a subscribe
is answered with a snapshot from memory, without a cache round trip.

Candles (the ``klines`` extension of a subscribe) go the same way: the open
candle of each ``(symbol, interval)`` is encoded once, kept as the latest, and
coalesced per client, one pending ``kline`` frame per series.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Collection
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
from covaex_service.market.model import SOURCES, Source
from covaex_service.market.stats import GatewayStats
from covaex_service.market.view import MarketView

log = logging.getLogger("covaex.market.gateway")

STATUS_POLL_SECONDS = 1.0
"""How often a worker re-reads staleness and the source label to tell its clients of changes."""

SLOW_CLIENT_ABORT_SECONDS = 1.0
"""Grace for a slow client to read its close frame before the TCP connection is cut (frees its buffers)."""


class ClientSocket(Protocol):
    """What the hub needs of a server-side WebSocket (Sanic's satisfies it)."""

    async def send(self, message: str) -> None: ...

    def fail_connection(self, code: int = 1006, reason: str = "") -> bool: ...


class ClientClosed(Exception):
    """The client is gone (closed by us or by it); stop serving it."""


class ClientSession:
    """One connection: its subscription, coalesced pending values, seq and rate-limit state.

    Sized deliberately, since a worker holds thousands (benchmarks/ws_memory.py):
    ``__slots__`` (no per-instance dict), the subscription as a tuple of the
    hub's own symbol strings (no per-client copies), and a bare future as the
    sender's wake-up instead of an :class:`asyncio.Event` (whose waiter deque
    costs ~600 bytes per client even when nobody waits).
    """

    __slots__ = (
        "_tokens", "_tokens_at", "_waiter", "closed", "klines", "limits", "lock", "pending", "pending_klines",
        "pending_since", "pending_source", "rejected_in_row", "seq", "stats", "status", "symbols", "ws",
    )  # fmt: skip

    def __init__(self, ws: ClientSocket, limits: GatewayLimits, stats: GatewayStats) -> None:
        self.ws = ws
        self.limits = limits
        self.stats = stats
        self.symbols: tuple[str, ...] = ()
        self.klines: set[tuple[str, str]] = set()
        self.pending: dict[str, str] = {}
        self.pending_klines: dict[tuple[str, str], str] = {}
        self.pending_source: Source = "binance"
        self.pending_since: int | None = None
        self.status: str | None = None
        self.seq = 0
        self._waiter: asyncio.Future[None] | None = None
        self.lock = asyncio.Lock()  # its waiter deque is made on first contention only
        self.closed = False
        self._tokens = float(limits.rate_burst)
        self._tokens_at = time.monotonic()
        self.rejected_in_row = 0

    def wake(self) -> None:
        """Tell the sender there is something to write (or that the session closed)."""
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def wait(self) -> None:
        """Until :meth:`wake`, unless there is already something to write."""
        if self.closed or self.pending or self.pending_klines or self.status is not None:
            return
        self._waiter = asyncio.get_running_loop().create_future()
        await self._waiter

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
        self.wake()

    def queue_kline(self, series: tuple[str, str], frame: str) -> None:
        self.pending_klines[series] = frame
        self.wake()

    def close(self, code: int, reason: str, *, abort_after: float | None = None) -> None:
        if not self.closed:
            self.closed = True
            self.ws.fail_connection(code, reason)
            self.wake()
            if abort_after is not None:
                # A client that does not read will not answer the close handshake either.
                transport = getattr(getattr(self.ws, "io_proto", None), "transport", None)
                if transport is not None:
                    asyncio.get_running_loop().call_later(abort_after, transport.abort)

    async def write(self, frame: str) -> None:
        """Send one frame; the caller holds :attr:`lock`. A frame that cannot be written in time closes the client."""
        if self.closed:
            raise ClientClosed
        try:
            # asyncio.timeout, not wait_for: no extra task per frame on the hot path.
            async with asyncio.timeout(self.limits.send_timeout):
                await self.ws.send(frame)
        except TimeoutError:
            self.stats.slow_client_closes += 1
            log.info(
                "closing a slow WebSocket client",
                extra={"event": "ws_slow_client_closed", "code": CLOSE_SLOW_CLIENT, "seq": self.seq},
            )
            self.close(CLOSE_SLOW_CLIENT, "client too slow", abort_after=SLOW_CLIENT_ABORT_SECONDS)
            raise ClientClosed from None
        except Exception as exc:  # the socket closed under us: whatever the library raises
            self.closed = True
            raise ClientClosed from exc
        self.stats.frames_sent += 1

    async def send(self, frame: str) -> None:
        async with self.lock:
            await self.write(frame)


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
        self.source: Source = "binance"
        self.stale = True
        self._by_symbol: dict[str, set[ClientSession]] = {}
        self.latest_klines: dict[tuple[str, str], str] = {}
        self._by_kline: dict[tuple[str, str], set[ClientSession]] = {}
        self._clients: dict[ClientSession, asyncio.Task[None]] = {}

    # -- upstream side -----------------------------------------------------

    async def run(self, updates: AsyncIterator[bytes | None]) -> None:
        """Consume the update channel until cancelled; ``None`` means a gap: resync from the snapshot."""
        await self.resync()
        status = asyncio.create_task(self._watch_status(), name="covaex-hub-status")
        try:
            async for payload in updates:
                if payload is None:
                    await self.resync()
                else:
                    self.dispatch(payload)
        finally:
            status.cancel()

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
        for market in markets:
            symbol = market.get("symbol") if isinstance(market, dict) else None
            if symbol not in self._known:
                continue
            # Encoded once per worker; every client gets the same string.
            encoded = json.dumps(market, separators=(",", ":"))
            self.latest[symbol] = encoded
            for session in self._by_symbol.get(symbol, ()):
                session.queue(symbol, encoded, source, as_of)

    def _fan_out_klines(self, klines: list[Any], source: Source) -> None:
        for item in klines:
            if not isinstance(item, dict) or item.get("symbol") not in self._known or "kline" not in item:
                continue
            series = (str(item["symbol"]), str(item.get("interval")))
            encoded = kline_frame(series[0], series[1], source, json.dumps(item["kline"], separators=(",", ":")))
            self.latest_klines[series] = encoded
            for session in self._by_kline.get(series, ()):
                session.queue_kline(series, encoded)

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

    def _tell_status(self, source: Source, stale: bool) -> None:
        self.stale, self.source = stale, source
        frame = status_frame(source, stale)
        for session in self._clients:
            session.status = frame
            session.wake()

    # -- client side -------------------------------------------------------

    def connect(self, ws: ClientSocket) -> ClientSession:
        session = ClientSession(ws, self.limits, self._stats)
        self._clients[session] = asyncio.create_task(self._sender(session), name="covaex-ws-sender")
        self._stats.clients = len(self._clients)
        return session

    async def disconnect(self, session: ClientSession) -> None:
        session.closed = True
        for symbol in session.symbols:
            self._by_symbol.get(symbol, set()).discard(session)
        for series in session.klines:
            self._by_kline.get(series, set()).discard(session)
        task = self._clients.pop(session, None)
        self._stats.clients = len(self._clients)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def close_all(self, code: int, reason: str) -> None:
        for session in list(self._clients):
            session.close(code, reason)
            await self.disconnect(session)

    async def _sender(self, session: ClientSession) -> None:
        with contextlib.suppress(ClientClosed):
            while not session.closed:
                await session.wait()
                async with session.lock:
                    if session.status is not None:
                        frame, session.status = session.status, None
                        await session.write(frame)
                    if session.pending:
                        pending, session.pending = session.pending, {}
                        since, session.pending_since = session.pending_since, None
                        session.seq += 1
                        await session.write(update_frame(session.seq, session.pending_source, list(pending.values())))
                        self._stats.updates_sent += 1
                        if since is not None:
                            self._stats.observe_latency(max(0, now_ms() - since) / 1000)
                    if session.pending_klines:
                        frames, session.pending_klines = session.pending_klines, {}
                        for frame in frames.values():
                            await session.write(frame)

    async def handle(self, session: ClientSession, raw: str | bytes) -> None:
        """Answer one client frame; bad input gets an error frame and the connection stays usable."""
        if not session.take_token():
            session.rejected_in_row += 1
            if session.rejected_in_row >= session.limits.rate_close_after:
                self._stats.rate_limit_closes += 1
                session.close(CLOSE_POLICY_VIOLATION, "rate limit exceeded")
            elif session.rejected_in_row == 1:
                # Once per burst: answering every flooded message would amplify the flood.
                await self._error(session, ProtocolError("rate_limited", "too many messages; slow down"))
            return
        session.rejected_in_row = 0
        try:
            request = parse_request(raw, self._known)
        except ProtocolError as error:
            await self._error(session, error)
            return
        if request.op == "ping":
            await session.send(pong_frame(request.id))
        elif request.op == "subscribe":
            await self._subscribe(session, request)
        else:
            await self._unsubscribe(session, request)

    async def _error(self, session: ClientSession, error: ProtocolError) -> None:
        self._stats.error_frames += 1
        await session.send(error_frame(error))

    async def _subscribe(self, session: ClientSession, request: ClientRequest) -> None:
        added = [self._known[s] for s in request.symbols if s not in session.symbols]
        if len(session.symbols) + len(added) > session.limits.max_symbols:
            error = ProtocolError(
                "too_many_symbols",
                f"at most {session.limits.max_symbols} symbols per connection; "
                f"{len(session.symbols)} subscribed, {len(added)} more asked",
                request.id,
            )
            await self._error(session, error)
            return
        async with session.lock:
            # Registered before the snapshot is taken, so no update can fall between the two.
            session.symbols += tuple(added)
            for symbol in added:
                self._by_symbol.setdefault(symbol, set()).add(session)
            for symbol in request.symbols:
                session.pending.pop(symbol, None)  # the snapshot below carries the newest value
            await session.write(ack_frame("subscribed", request.id, list(request.symbols)))
            data = [self.latest[s] for s in request.symbols if s in self.latest]
            await session.write(snapshot_frame(self.source, self.stale, data))
            for series in ((s, i) for s in request.symbols for i in request.klines):
                session.klines.add(series)
                self._by_kline.setdefault(series, set()).add(session)
                session.pending_klines.pop(series, None)
                if series in self.latest_klines:
                    await session.write(self.latest_klines[series])

    async def _unsubscribe(self, session: ClientSession, request: ClientRequest) -> None:
        async with session.lock:
            for series in [k for k in session.klines if k[0] in request.symbols]:
                if not request.klines or series[1] in request.klines:
                    session.klines.discard(series)
                    session.pending_klines.pop(series, None)
                    self._by_kline.get(series, set()).discard(session)
            # an unsubscribe that names intervals drops those candles only, not the prices
            gone = () if request.klines else request.symbols
            session.symbols = tuple(s for s in session.symbols if s not in gone)
            for symbol in gone:
                session.pending.pop(symbol, None)
                self._by_symbol.get(symbol, set()).discard(session)
            await session.write(ack_frame("unsubscribed", request.id, list(request.symbols)))
