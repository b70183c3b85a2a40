"""The real client of Binance's public market streams (the ``binance`` feed).

Behaviour, per Binance's documented WebSocket rules:

* one combined-stream connection ``<base>/stream?streams=a@ticker/b@ticker``
  per :data:`~.binance.MAX_STREAMS_PER_CONNECTION` streams (more symbols,
  more connections);
* server pings are answered with a pong carrying the same payload (the
  ``websockets`` protocol layer does it as soon as the ping is read);
* at most :data:`COMMANDS_PER_SECOND` commands a second per connection,
  under Binance's limit of 5 incoming messages a second (pings and pongs
  count too, hence the headroom);
* reconnects forever with capped, fully jittered exponential backoff
  (:class:`~covaex_service.market.backoff.Backoff`); reconnects at once on
  ``serverShutdown`` and :data:`MAX_CONNECTION_AGE_SECONDS` after connecting,
  before Binance's 24 h cut;
* bootstraps every connection, and re-syncs after each reconnect, from REST
  ``GET <rest>/api/v3/ticker/24hr?symbols=[...]``;
* with a candle sink, also carries ``<symbol>@kline_<interval>`` for every
  kept interval (the live candle) and fetches the history from REST
  ``GET <rest>/api/v3/klines`` at the same moments (a history row older than
  a live candle already seen is harmless: the next push, within 2 s, wins);
* :meth:`BinanceFeed.update_symbols` changes the set live with
  ``SUBSCRIBE``/``UNSUBSCRIBE`` on the open connections;
* malformed frames are skipped and counted (``FeedStats.malformed_frames``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import deque
from collections.abc import Sequence

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from covaex_service.market.backoff import Backoff
from covaex_service.market.candles import INTERVALS, KLINES_KEPT, Kline
from covaex_service.market.feeds.base import KlineSink, MarketSink
from covaex_service.market.feeds.binance import (
    MAX_REST_SYMBOLS_PER_REQUEST,
    MAX_STREAMS_PER_CONNECTION,
    CommandReply,
    KlineEvent,
    MalformedFrame,
    ServerShutdown,
    TickerEvent,
    combined_stream_url,
    command,
    kline_stream_name,
    klines_url,
    parse_rest_klines,
    parse_rest_tickers,
    parse_stream_frame,
    stream_name,
    symbol_of_stream,
    ticker_url,
)
from covaex_service.market.model import Market, Source
from covaex_service.market.stats import FeedStats
from covaex_service.venues import BINANCE

log = logging.getLogger("covaex.market.binance")

COMMANDS_PER_SECOND = 4
MAX_CONNECTION_AGE_SECONDS = 23 * 3600 + 50 * 60
PING_INTERVAL_SECONDS = 20.0
"""Our own keepalive pings (one message per 20 s) detect a silently dead connection."""
OPEN_TIMEOUT_SECONDS = 10.0
HTTP_TIMEOUT_SECONDS = 10.0
COMMAND_REPLY_TIMEOUT_SECONDS = 10.0
MAX_PARAMS_PER_COMMAND = 200
MAX_UPSTREAM_FRAME_BYTES = 1 << 20
UPSTREAM_BACKOFF_CAP_SECONDS = 4.0
"""Longest wait between reconnect attempts: prices return within a few seconds of the upstream.
Binance allows 300 connection attempts per 5 minutes per IP; a few workers retrying every 4 s stay far below."""


class CommandLimiter:
    """At most ``rate`` sends in any one-second window."""

    def __init__(self, rate: int) -> None:
        self._rate = rate
        self._sent: deque[float] = deque()

    async def wait(self) -> None:
        while True:
            now = time.monotonic()
            while self._sent and now - self._sent[0] >= 1.0:
                self._sent.popleft()
            if len(self._sent) < self._rate:
                self._sent.append(now)
                return
            await asyncio.sleep(1.0 - (now - self._sent[0]))


class _Connection:
    """One upstream connection carrying up to the per-connection stream limit."""

    def __init__(self, feed: BinanceFeed, streams: Sequence[str]) -> None:
        self.feed = feed
        self.streams: dict[str, None] = dict.fromkeys(streams)
        self.ws: ClientConnection | None = None
        self.limiter = CommandLimiter(COMMANDS_PER_SECOND)
        self._ids = itertools.count(1)
        self._replies: dict[int, asyncio.Future[str | None]] = {}
        self.task: asyncio.Task[None] | None = None

    @property
    def symbols(self) -> list[str]:
        return list(dict.fromkeys(symbol_of_stream(s) for s in self.streams))

    async def run(self) -> None:
        backoff = Backoff(self.feed.backoff_base, self.feed.backoff_cap)
        first = True
        while self.streams:
            if not first:
                self.feed.stats.upstream_reconnects += 1
            first = False
            try:
                outcome = await self._session(backoff)
            except (OSError, TimeoutError, WebSocketException) as exc:
                outcome = f"failed: {exc!r}"
            if outcome in ("serverShutdown", "max age"):
                log.info("reconnecting to Binance at once (%s)", outcome, extra={"event": "upstream_reconnect"})
                continue
            delay = backoff.next_delay()
            log.warning(
                "Binance connection %s; reconnecting in %.2fs", outcome, delay, extra={"event": "upstream_reconnect"}
            )
            await asyncio.sleep(delay)

    async def _session(self, backoff: Backoff) -> str:
        url = combined_stream_url(self.feed.ws_base, list(self.streams))
        async with connect(
            url,
            open_timeout=OPEN_TIMEOUT_SECONDS,
            ping_interval=PING_INTERVAL_SECONDS,
            ping_timeout=PING_INTERVAL_SECONDS,
            close_timeout=2,
            max_size=MAX_UPSTREAM_FRAME_BYTES,
        ) as ws:
            self.ws = ws
            resync = asyncio.create_task(self.feed.resync(self.symbols), name="covaex-binance-resync")
            try:
                async with asyncio.timeout(self.feed.max_connection_age) as deadline:
                    async for raw in ws:
                        frame = self._parse(raw)
                        if isinstance(frame, TickerEvent):
                            backoff.reset()  # data flows: the next failure starts from a short delay again
                            self.feed.emit([frame.market])
                        elif isinstance(frame, KlineEvent):
                            backoff.reset()
                            self.feed.emit_klines([frame.kline])
                        elif isinstance(frame, ServerShutdown):
                            self.feed.stats.server_shutdowns += 1
                            return "serverShutdown"
                        elif isinstance(frame, CommandReply):
                            self._reply(frame)
            except TimeoutError:
                if deadline.expired():
                    return "max age"
                raise
            finally:
                self.ws = None
                resync.cancel()
                for future in self._replies.values():
                    if not future.done():
                        future.set_result("connection closed before the reply")
                self._replies.clear()
        return "closed by the server"

    def _parse(self, raw: str | bytes) -> TickerEvent | KlineEvent | ServerShutdown | CommandReply | None:
        try:
            return parse_stream_frame(raw)
        except MalformedFrame as exc:
            self.feed.stats.malformed_frames += 1
            log.debug("skipping a malformed Binance frame: %s", exc)
            return None

    def _reply(self, reply: CommandReply) -> None:
        future = self._replies.pop(reply.id, None) if reply.id is not None else None
        if future is not None and not future.done():
            future.set_result(reply.error)
        elif reply.error is not None:
            log.warning("Binance answered an unknown command with an error: %s", reply.error)

    async def send_command(self, method: str, streams: Sequence[str]) -> None:
        """SUBSCRIBE/UNSUBSCRIBE on the open connection; when closed, the next URL carries the set anyway."""
        for start in range(0, len(streams), MAX_PARAMS_PER_COMMAND):
            ws = self.ws
            if ws is None:
                return
            await self.limiter.wait()
            command_id = next(self._ids)
            future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
            self._replies[command_id] = future
            self.feed.stats.subscribe_requests += 1
            try:
                await ws.send(command(method, streams[start : start + MAX_PARAMS_PER_COMMAND], command_id))
                error = await asyncio.wait_for(future, COMMAND_REPLY_TIMEOUT_SECONDS)
            except (WebSocketException, TimeoutError, OSError) as exc:
                self._replies.pop(command_id, None)
                log.warning("%s not confirmed (%r); the reconnect URL carries the set", method, exc)
                return
            if error is not None:
                log.warning("Binance refused %s: %s", method, error)


class BinanceFeed:
    """The ``binance`` feed; see the module docstring for the protocol it follows."""

    def __init__(
        self,
        symbols: Sequence[str],
        ws_base: str,
        rest_base: str,
        stats: FeedStats,
        *,
        max_streams_per_connection: int = MAX_STREAMS_PER_CONNECTION,
        max_connection_age: float = MAX_CONNECTION_AGE_SECONDS,
        backoff_base: float = 0.5,
        backoff_cap: float = UPSTREAM_BACKOFF_CAP_SECONDS,
    ) -> None:
        self.symbols = tuple(symbols)
        self.ws_base = ws_base
        self.rest_base = rest_base
        self.stats = stats
        self.max_streams = max_streams_per_connection
        self.max_connection_age = max_connection_age
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.connections: list[_Connection] = []
        self._sink: MarketSink | None = None
        self._kline_sink: KlineSink | None = None
        self._http: httpx.AsyncClient | None = None
        self._event_times: dict[str, int] = {}
        self.latest: dict[str, Market] = {}

    @property
    def source(self) -> Source:
        return BINANCE.name

    def is_live(self) -> bool:
        return bool(self.connections) and all(c.ws is not None for c in self.connections)

    def emit(self, markets: Sequence[Market]) -> None:
        fresh = []
        for market in markets:
            # REST snapshots and stream events interleave after a reconnect: never go back in time.
            if market.event_time < self._event_times.get(market.symbol, -1):
                continue
            self._event_times[market.symbol] = market.event_time
            self.latest[market.symbol] = market
            fresh.append(market)
        if fresh and self._sink is not None:
            self._sink(fresh)

    def emit_klines(self, klines: Sequence[Kline]) -> None:
        if klines and self._kline_sink is not None:
            self._kline_sink(klines)

    def streams_of(self, symbols: Sequence[str]) -> list[str]:
        """The ticker stream of each symbol, and its candle streams when candles are wanted."""
        intervals = INTERVALS if self._kline_sink is not None else ()
        return [
            name
            for symbol in dict.fromkeys(symbols)
            for name in (stream_name(symbol), *(kline_stream_name(symbol, i) for i in intervals))
        ]

    async def run(self, sink: MarketSink, klines: KlineSink | None = None) -> None:
        self._sink = sink
        self._kline_sink = klines
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS) as http:
            self._http = http
            streams = self.streams_of(self.symbols)
            try:
                for start in range(0, len(streams), self.max_streams):
                    self._start(streams[start : start + self.max_streams])
                await asyncio.Event().wait()  # the connections run until the feed is cancelled
            finally:
                for connection in self.connections:
                    if connection.task is not None:
                        connection.task.cancel()
                for connection in self.connections:
                    if connection.task is not None:
                        with contextlib.suppress(asyncio.CancelledError):
                            await connection.task
                self.connections.clear()
                self._http = None

    def _start(self, streams: Sequence[str]) -> None:
        connection = _Connection(self, streams)
        self.connections.append(connection)
        connection.task = asyncio.create_task(connection.run(), name="covaex-binance-connection")

    async def update_symbols(self, symbols: Sequence[str]) -> None:
        """Change the symbol set live: UNSUBSCRIBE what went, SUBSCRIBE what came (new connections past the limit)."""
        wanted = self.streams_of(symbols)
        wanted_set = set(wanted)
        for connection in self.connections:
            removed = [s for s in connection.streams if s not in wanted_set]
            for stream in removed:
                del connection.streams[stream]
            if removed:
                await connection.send_command("UNSUBSCRIBE", removed)
        present = {s for c in self.connections for s in c.streams}
        added = [s for s in wanted if s not in present]
        for connection in self.connections:
            room = self.max_streams - len(connection.streams)
            take, added = added[:room], added[room:]
            if take:
                connection.streams.update(dict.fromkeys(take))
                await connection.send_command("SUBSCRIBE", take)
                await self.resync(list(dict.fromkeys(symbol_of_stream(s) for s in take)))
        for start in range(0, len(added), self.max_streams):
            self._start(added[start : start + self.max_streams])
        emptied = [c for c in self.connections if not c.streams]
        self.connections = [c for c in self.connections if c.streams]
        for connection in emptied:
            # A connection left with no stream is closed now, not left orphaned upstream.
            if connection.task is not None:
                connection.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await connection.task
        self.symbols = tuple(dict.fromkeys(symbols))

    async def resync(self, symbols: Sequence[str]) -> None:
        """REST snapshot of ``symbols``; failures are logged, the stream keeps going."""
        http = self._http
        if http is None or not symbols:
            return
        for start in range(0, len(symbols), MAX_REST_SYMBOLS_PER_REQUEST):
            chunk = symbols[start : start + MAX_REST_SYMBOLS_PER_REQUEST]
            try:
                response = await http.get(ticker_url(self.rest_base, chunk))
                if response.status_code != 200:
                    log.warning("Binance REST answered %s: %s", response.status_code, response.text[:200])
                    continue
                markets, skipped = parse_rest_tickers(response.json())
            except (httpx.HTTPError, ValueError) as exc:
                log.warning("Binance REST resync failed: %r", exc)
                continue
            self.stats.malformed_frames += skipped
            self.stats.rest_resyncs += 1
            self.emit(markets)
        if self._kline_sink is not None:
            await self._resync_klines(http, symbols)

    async def _resync_klines(self, http: httpx.AsyncClient, symbols: Sequence[str]) -> None:
        """Candle history per symbol and interval (weight 2 each; sequential, far under Binance's limits)."""
        for symbol in symbols:
            for interval in INTERVALS:
                try:
                    response = await http.get(klines_url(self.rest_base, symbol, interval, KLINES_KEPT))
                    if response.status_code != 200:
                        log.warning("Binance klines answered %s: %s", response.status_code, response.text[:200])
                        continue
                    klines, skipped = parse_rest_klines(response.json(), symbol, interval, int(time.time() * 1000))
                except (httpx.HTTPError, ValueError) as exc:
                    log.warning("Binance klines resync failed: %r", exc)
                    continue
                self.stats.malformed_frames += skipped
                self.emit_klines(klines)
