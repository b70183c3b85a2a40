"""A local server that speaks Binance's public market-data protocol, for tests, demos and benchmarks.

It serves, on one loopback port, what Binance serves on two hosts:

* WebSocket ``/stream?streams=btcusdt@ticker/...`` (combined envelope
  ``{"stream", "data"}``) and ``/ws/<stream>`` (raw payloads), with
  ``24hrTicker`` / ``24hrMiniTicker`` payloads;
* ``SUBSCRIBE`` / ``UNSUBSCRIBE`` / ``LIST_SUBSCRIPTIONS`` answered with
  ``{"result": ..., "id": ...}`` (errors ``{"code", "msg", "id"}``);
* pings with a payload every ``ping_interval`` seconds, checking the pong
  echoes it; more than ``max_messages_per_second`` client text frames in a
  second closes the connection, as Binance does; more than
  ``max_streams`` streams is refused;
* ``serverShutdown`` events, abrupt drops, garbage frames, on demand, and a
  whole outage (:meth:`LocalBinance.go_down`: every connection cut, every
  new WebSocket or REST request refused with ``503`` until
  :meth:`LocalBinance.come_back`), so a client's own staleness can be staged;
* REST ``GET /api/v3/ticker/24hr`` with ``symbols=[...]`` or ``symbol=``,
  ``400 {"code": -1121, "msg": "Invalid symbol."}`` for unknown symbols;
* candles: ``<symbol>@kline_<interval>`` streams (``{"e": "kline", "E", "s",
  "k": {t T s i f L o c h l v n x q V Q B}}``) and REST ``GET /api/v3/klines``
  (``symbol`` and ``interval`` required, ``limit`` default 500 and 1 to 1000,
  optional ``startTime``/``endTime``; rows of twelve fields, oldest first),
  with Binance's errors ``-1102`` (missing parameter), ``-1120`` (invalid
  interval), ``-1121`` (invalid symbol) and ``-1130`` (bad limit).

The client under test only gets the two base URLs. Run it by hand::

    python -m covaex_service.market.devtools.binance_server --port 9443 --interval 1
    COVAEX_BINANCE_WS_URL=ws://127.0.0.1:9443 COVAEX_BINANCE_REST_URL=http://127.0.0.1:9443 covaex serve --feed binance
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import secrets
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from covaex_service.market.candles import Kline
from covaex_service.market.feeds.simulator import SimulatorFeed
from covaex_service.market.model import Market, change_pct
from covaex_service.settings import DEFAULT_SYMBOLS

KLINE_INTERVALS = ("1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M")
"""Every interval Binance's spot API accepts (the service keeps a few of them)."""
_STREAM = re.compile(rf"^([a-z0-9]+)@(ticker|miniTicker|kline_(?:{'|'.join(KLINE_INTERVALS)}))$")
KLINES_DEFAULT_LIMIT, KLINES_MAX_LIMIT = 500, 1000


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Ticker:
    """One symbol's rolling 24 h state, as decimal strings."""

    symbol: str
    last: str = "100.00"
    open: str = "100.00"
    high: str = "100.00"
    low: str = "100.00"
    volume: str = "0"
    quote_volume: str = "0"
    change_pct: str | None = None  # None: computed from last and open
    event_time: int = 0

    def pct(self) -> str:
        return self.change_pct if self.change_pct is not None else change_pct(self.last, self.open)

    def ticker_payload(self) -> dict[str, Any]:
        return {
            "e": "24hrTicker", "E": self.event_time, "s": self.symbol, "p": "0", "P": self.pct(), "w": self.last,
            "x": self.open, "c": self.last, "Q": "1", "b": self.last, "B": "1", "a": self.last, "A": "1",
            "o": self.open, "h": self.high, "l": self.low, "v": self.volume, "q": self.quote_volume,
            "O": self.event_time - 86_400_000, "C": self.event_time, "F": 0, "L": 1, "n": 2,
        }  # fmt: skip

    def mini_payload(self) -> dict[str, Any]:
        return {
            "e": "24hrMiniTicker", "E": self.event_time, "s": self.symbol, "c": self.last, "o": self.open,
            "h": self.high, "l": self.low, "v": self.volume, "q": self.quote_volume,
        }  # fmt: skip

    def rest_payload(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol, "priceChange": "0", "priceChangePercent": self.pct(),
            "weightedAvgPrice": self.last, "prevClosePrice": self.open, "lastPrice": self.last, "lastQty": "1",
            "bidPrice": self.last, "bidQty": "1", "askPrice": self.last, "askQty": "1", "openPrice": self.open,
            "highPrice": self.high, "lowPrice": self.low, "volume": self.volume, "quoteVolume": self.quote_volume,
            "openTime": self.event_time - 86_400_000, "closeTime": self.event_time, "firstId": 0, "lastId": 1,
            "count": 2,
        }  # fmt: skip


def kline_row(kline: Kline) -> list[Any]:
    """One row of ``/api/v3/klines``: open time, OHLCV, close time, quote volume, trades, taker volumes, ignore."""
    return [
        kline.open_time, kline.open, kline.high, kline.low, kline.close, kline.volume, kline.close_time,
        "0", 0, "0", "0", "0",
    ]  # fmt: skip


def kline_payload(kline: Kline) -> dict[str, Any]:
    return {
        "e": "kline", "E": _now_ms(), "s": kline.symbol,
        "k": {
            "t": kline.open_time, "T": kline.close_time, "s": kline.symbol, "i": kline.interval, "f": 0, "L": 0,
            "o": kline.open, "c": kline.close, "h": kline.high, "l": kline.low, "v": kline.volume, "n": 0,
            "x": kline.closed, "q": "0", "V": "0", "Q": "0", "B": "0",
        },
    }  # fmt: skip


@dataclass(eq=False)
class LocalConnection:
    """One client connection as the server sees it (tests inspect these)."""

    ws: ServerConnection
    streams: dict[str, None]
    combined: bool
    commands: list[dict[str, Any]] = field(default_factory=list)
    pongs_ok: int = 0
    pongs_missing: int = 0
    closed: bool = False
    _recent: deque[float] = field(default_factory=deque)


class LocalBinance:
    """The server; ``await start()``, then point a client at :attr:`ws_url` and :attr:`rest_url`."""

    def __init__(
        self,
        symbols: Sequence[str] = DEFAULT_SYMBOLS,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ping_interval: float | None = 20.0,
        max_messages_per_second: int = 5,
        max_streams: int = 1024,
    ) -> None:
        self.tickers: dict[str, Ticker] = {s: Ticker(s, event_time=_now_ms()) for s in symbols}
        self.klines: dict[tuple[str, str], dict[int, Kline]] = {}
        self.host = host
        self.port = port
        self.ping_interval = ping_interval
        self.max_messages_per_second = max_messages_per_second
        self.max_streams = max_streams
        self.connections: list[LocalConnection] = []
        self.rest_requests: list[str] = []
        self.connection_attempts = 0
        self.refuse_rest = False
        self.down = False
        self._server: Server | None = None
        self._ticking: asyncio.Task[None] | None = None

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    @property
    def rest_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def open_connections(self) -> list[LocalConnection]:
        return [c for c in self.connections if not c.closed]

    async def start(self) -> None:
        self._server = await serve(
            self._handle, self.host, self.port, process_request=self._process_request, ping_interval=None
        )
        self.port = self._server.sockets[0].getsockname()[1] if self.port == 0 else self.port

    async def stop(self) -> None:
        if self._ticking is not None:
            self._ticking.cancel()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    # -- driving the market ------------------------------------------------

    def set_ticker(self, symbol: str, **fields: Any) -> Ticker:
        ticker = self.tickers.setdefault(symbol, Ticker(symbol))
        for name, value in fields.items():
            setattr(ticker, name, value)
        ticker.event_time = fields.get("event_time", _now_ms())
        return ticker

    async def push(self, symbol: str, **fields: Any) -> None:
        """Update a ticker and send it to every connection subscribed to its streams."""
        ticker = self.set_ticker(symbol, **fields)
        for connection in self.open_connections:
            for kind, payload in (("ticker", ticker.ticker_payload), ("miniTicker", ticker.mini_payload)):
                stream = f"{symbol.lower()}@{kind}"
                if stream in connection.streams:
                    body = {"stream": stream, "data": payload()} if connection.combined else payload()
                    await self._send(connection, json.dumps(body))

    def set_klines(self, klines: Sequence[Kline]) -> None:
        """Store candles for REST (a candle with the same open time replaces the older one)."""
        for kline in klines:
            self.klines.setdefault((kline.symbol, kline.interval), {})[kline.open_time] = kline

    async def push_kline(self, kline: Kline) -> None:
        """Store a candle and send it to every connection subscribed to its ``@kline_<interval>`` stream."""
        self.set_klines([kline])
        stream = f"{kline.symbol.lower()}@kline_{kline.interval}"
        for connection in self.open_connections:
            if stream in connection.streams:
                payload = kline_payload(kline)
                body = {"stream": stream, "data": payload} if connection.combined else payload
                await self._send(connection, json.dumps(body))

    async def send_raw(self, text: str | bytes) -> None:
        """Send a frame as is (garbage, truncated JSON...) to every open connection."""
        for connection in self.open_connections:
            await self._send(connection, text)

    async def server_shutdown(self, close_after: float = 0.2) -> None:
        """Announce ``serverShutdown`` on every connection, then close them."""
        event = json.dumps({"e": "serverShutdown", "E": _now_ms()})
        victims = self.open_connections
        for connection in victims:
            await self._send(connection, event)
        await asyncio.sleep(close_after)
        for connection in victims:
            await connection.ws.close(1001, "server shutdown")

    def drop_all(self) -> None:
        """Cut every connection without a close frame, like a network failure."""
        for connection in self.open_connections:
            connection.closed = True
            if connection.ws.transport is not None:
                connection.ws.transport.abort()

    def go_down(self) -> None:
        """An outage: cut every connection and refuse every new request (503) until :meth:`come_back`."""
        self.down = True
        self.drop_all()

    def come_back(self) -> None:
        """End an outage: connections and REST requests are served again."""
        self.down = False

    async def ping_all(self, payload: bytes, wait: float = 5.0) -> list[bool]:
        """Ping every connection with ``payload``; True where a pong with the same payload came back."""
        results = []
        for connection in self.open_connections:
            results.append(await self._ping(connection, payload, wait))
        return results

    def start_ticking(self, interval: float = 1.0) -> None:
        """Move every symbol randomly at ``interval`` (for demos and benchmarks)."""

        def publish(markets: Sequence[Market]) -> None:
            for market in markets:
                fields = {
                    "last": market.last, "open": market.open, "high": market.high, "low": market.low,
                    "volume": market.volume, "quote_volume": market.quote_volume, "change_pct": market.change_pct,
                }  # fmt: skip
                asyncio.get_running_loop().create_task(self.push(market.symbol, **fields))

        def publish_klines(klines: Sequence[Kline]) -> None:
            live = [k for k in klines if not k.closed]
            self.set_klines([k for k in klines if k.closed])
            for kline in live:
                asyncio.get_running_loop().create_task(self.push_kline(kline))

        feed = SimulatorFeed(list(self.tickers), interval=interval)
        self._ticking = asyncio.create_task(feed.run(publish, publish_klines))

    # -- protocol ----------------------------------------------------------

    async def _send(self, connection: LocalConnection, frame: str | bytes) -> None:
        with contextlib.suppress(ConnectionClosed):
            await connection.ws.send(frame)

    async def _ping(self, connection: LocalConnection, payload: bytes, wait: float) -> bool:
        try:
            waiter = await connection.ws.ping(payload)
            # websockets resolves the waiter only for a pong carrying this exact payload.
            await asyncio.wait_for(waiter, wait)
        except (TimeoutError, ConnectionClosed):
            connection.pongs_missing += 1
            return False
        connection.pongs_ok += 1
        return True

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        if self.down:
            return self._json(connection, HTTPStatus.SERVICE_UNAVAILABLE, {"code": -1001, "msg": "Unavailable."})
        if parts.path == "/stream" or parts.path.startswith("/ws/"):
            return None  # go on with the WebSocket handshake
        if parts.path not in ("/api/v3/ticker/24hr", "/api/v3/klines"):
            return self._json(connection, HTTPStatus.NOT_FOUND, {"code": -1, "msg": "Not found."})
        self.rest_requests.append(request.path)
        if self.refuse_rest:
            return self._json(connection, HTTPStatus.SERVICE_UNAVAILABLE, {"code": -1001, "msg": "Unavailable."})
        query = parse_qs(parts.query)
        status, body = self._klines(query) if parts.path == "/api/v3/klines" else self._tickers(query)
        return self._json(connection, status, body)

    def _tickers(self, query: dict[str, list[str]]) -> tuple[HTTPStatus, object]:
        try:
            if "symbols" in query:
                wanted = json.loads(query["symbols"][0])
                if not isinstance(wanted, list) or not all(isinstance(s, str) for s in wanted):
                    raise ValueError
            elif "symbol" in query:
                wanted = [query["symbol"][0]]
            else:
                wanted = list(self.tickers)
        except ValueError:
            return HTTPStatus.BAD_REQUEST, {"code": -1100, "msg": "Illegal characters."}
        if any(s not in self.tickers for s in wanted):
            return HTTPStatus.BAD_REQUEST, {"code": -1121, "msg": "Invalid symbol."}
        body = [self.tickers[s].rest_payload() for s in wanted]
        return HTTPStatus.OK, body if "symbol" not in query else body[0]

    def _klines(self, query: dict[str, list[str]]) -> tuple[HTTPStatus, object]:
        for name in ("symbol", "interval"):
            if not query.get(name, [""])[0]:
                return HTTPStatus.BAD_REQUEST, {
                    "code": -1102,
                    "msg": f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.",
                }
        symbol, interval = query["symbol"][0], query["interval"][0]
        if interval not in KLINE_INTERVALS:
            return HTTPStatus.BAD_REQUEST, {"code": -1120, "msg": "Invalid interval."}
        if symbol not in self.tickers:
            return HTTPStatus.BAD_REQUEST, {"code": -1121, "msg": "Invalid symbol."}
        try:
            limit = int(query.get("limit", [str(KLINES_DEFAULT_LIMIT)])[0])
            start = int(query["startTime"][0]) if "startTime" in query else None
            end = int(query["endTime"][0]) if "endTime" in query else None
        except ValueError:
            return HTTPStatus.BAD_REQUEST, {"code": -1100, "msg": "Illegal characters found in a parameter."}
        if not 1 <= limit <= KLINES_MAX_LIMIT:
            return HTTPStatus.BAD_REQUEST, {"code": -1130, "msg": "Invalid data sent for a parameter."}
        series = [k for t, k in sorted(self.klines.get((symbol, interval), {}).items())]
        series = [k for k in series if (start is None or k.open_time >= start) and (end is None or k.open_time <= end)]
        # Without startTime the most recent candles; with it, the first ones from there.
        chosen = series[:limit] if start is not None else series[-limit:]
        return HTTPStatus.OK, [kline_row(k) for k in chosen]

    @staticmethod
    def _json(connection: ServerConnection, status: HTTPStatus, body: object) -> Response:
        response = connection.respond(status, json.dumps(body))
        response.headers = Headers(
            [(k, v) for k, v in response.headers.raw_items() if k.lower() != "content-type"]
            + [("Content-Type", "application/json")]
        )
        return response

    async def _handle(self, ws: ServerConnection) -> None:
        self.connection_attempts += 1
        parts = urlsplit(ws.request.path if ws.request is not None else "/")
        if parts.path == "/stream":
            names = parse_qs(parts.query).get("streams", [""])[0].split("/")
            combined = True
        else:
            names = parts.path[len("/ws/") :].split("/")
            combined = False
        names = [n for n in names if n]
        if not names or any(not _STREAM.match(n) for n in names):
            await ws.close(1008, "Invalid stream name")
            return
        if len(names) > self.max_streams:
            await ws.close(1008, f"More than {self.max_streams} streams")
            return
        connection = LocalConnection(ws=ws, streams=dict.fromkeys(names), combined=combined)
        self.connections.append(connection)
        pinger = asyncio.create_task(self._keep_pinging(connection)) if self.ping_interval else None
        try:
            async for message in ws:
                if not self._within_rate(connection):
                    await ws.close(1008, "Too many messages")
                    break
                await self._command(connection, message)
        except ConnectionClosed:
            pass
        finally:
            connection.closed = True
            if pinger is not None:
                pinger.cancel()

    def _within_rate(self, connection: LocalConnection) -> bool:
        now = time.monotonic()
        connection._recent.append(now)
        while connection._recent and now - connection._recent[0] >= 1.0:
            connection._recent.popleft()
        return len(connection._recent) <= self.max_messages_per_second

    async def _keep_pinging(self, connection: LocalConnection) -> None:
        assert self.ping_interval is not None
        while not connection.closed:
            await asyncio.sleep(self.ping_interval)
            await self._ping(connection, secrets.token_hex(8).encode(), wait=60.0)

    async def _command(self, connection: LocalConnection, message: str | bytes) -> None:
        try:
            request = json.loads(message)
            if not isinstance(request, dict):
                raise ValueError
        except ValueError:
            await self._send(connection, json.dumps({"code": 3, "msg": "Invalid JSON", "id": None}))
            return
        connection.commands.append(request)
        method, params, request_id = request.get("method"), request.get("params", []), request.get("id")
        if method not in ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS") or not isinstance(params, list):
            await self._send(connection, json.dumps({"code": 2, "msg": "Invalid request", "id": request_id}))
            return
        if method == "LIST_SUBSCRIPTIONS":
            await self._send(connection, json.dumps({"result": list(connection.streams), "id": request_id}))
            return
        if any(not isinstance(p, str) or not _STREAM.match(p) for p in params):
            await self._send(connection, json.dumps({"code": 2, "msg": "Invalid stream name", "id": request_id}))
            return
        if method == "SUBSCRIBE":
            if len(connection.streams) + len(set(params) - set(connection.streams)) > self.max_streams:
                await self._send(connection, json.dumps({"code": 2, "msg": "Too many streams", "id": request_id}))
                return
            connection.streams.update(dict.fromkeys(params))
        else:
            for stream in params:
                connection.streams.pop(stream, None)
        await self._send(connection, json.dumps({"result": None, "id": request_id}))


async def _main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="local Binance market-data server (loopback only)")
    parser.add_argument("--port", type=int, default=9443)
    parser.add_argument("--symbols", default=",".join(DEFAULT_SYMBOLS))
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between each symbol's ticks")
    args = parser.parse_args(argv)
    server = LocalBinance([s.strip().upper() for s in args.symbols.split(",") if s.strip()], port=args.port)
    await server.start()
    server.start_ticking(args.interval)
    print(f"Binance protocol on {server.ws_url} (WebSocket) and {server.rest_url} (REST); Ctrl-C stops")
    await asyncio.Event().wait()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main())
