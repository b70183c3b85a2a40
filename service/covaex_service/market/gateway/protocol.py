"""The WebSocket protocol of ``/ws/v1/market``: client messages, server frames, limits and close codes.

Client -> server (JSON text frames)::

    {"op": "subscribe",   "symbols": ["BTCUSDT", ...], "id": <any>}
    {"op": "subscribe",   "symbols": ["BTCUSDT"], "klines": ["1m", "1h"], "id": <any>}   candles too
    {"op": "unsubscribe", "symbols": ["BTCUSDT", ...], "id": <any>}
    {"op": "unsubscribe", "symbols": ["BTCUSDT"], "klines": ["1m"], "id": <any>}          candles only
    {"op": "ping", "id": <any>}

Server -> client::

    {"type": "subscribed",   "id": ..., "symbols": [...]}      then one
    {"type": "snapshot", "source": ..., "stale": bool, "data": [market, ...]}
    {"type": "update", "seq": n, "source": ..., "data": [market, ...]}   seq +1 per frame
    {"type": "unsubscribed", "id": ..., "symbols": [...]}
    {"type": "pong", "id": ...}
    {"type": "status", "source": ..., "stale": bool}           when the feed's label or freshness changes
    {"type": "error", "code": ..., "message": ..., "id": ...}  the connection stays usable
    {"type": "kline", "symbol": ..., "interval": ..., "source": ..., "data": kline}

The candle extension: a subscribe may carry ``"klines"``, a list of
intervals (:data:`~covaex_service.market.candles.INTERVALS`); the connection
then also gets, for every listed symbol and interval, the open candle as a
``kline`` frame (``data`` has the fields of ``GET
/api/v1/markets/<SYMBOL>/klines``), first the latest one known right after the
snapshot, then each change (coalesced per candle series like prices). An
unsubscribe with ``"klines"`` stops those candles only; one without stops the
symbols and their candles. History is fetched over REST. An interval the
service does not keep is refused with ``unknown_interval``.

``symbols`` in an ack are the request's symbols, upper-cased and
de-duplicated (``"btcusdt"`` is accepted as ``BTCUSDT``); the snapshot that
follows a ``subscribed`` carries those symbols' latest values. A subscribe or
unsubscribe is all or nothing: with one unknown symbol, or a subscription
that would pass the limit, nothing changes. ``snapshot`` and ``update``
frames also say which feed produced the data (``source``) — simulated prices
are always labelled — and a ``status`` frame tells when the data turns stale
or fresh again. ``seq`` counts ``update`` frames only, from 1, per connection;
each update carries the newest value of every symbol that changed since the
previous one (values a slow reader missed are coalesced, never queued).

Error codes: :data:`ERROR_CODES` (their meanings; the codes are registered in
:mod:`covaex_service.error_codes`). Limits: :data:`MAX_SYMBOLS_PER_CONNECTION`,
:data:`MAX_FRAME_BYTES`, :data:`RATE_LIMIT_PER_SECOND` (burst
:data:`RATE_LIMIT_BURST`), :data:`SEND_TIMEOUT_SECONDS`, every frame including
control frames :data:`FRAMES_PER_SECOND` (burst :data:`FRAME_BURST`), open
connections :data:`MAX_CONNECTIONS_PER_ADDRESS` per address and worker (the
upgrade is answered 429 past it, and 403 for a page of another site).

Close codes:

=====  ==============================================================
code   when
=====  ==============================================================
1001   the server is shutting down (:data:`CLOSE_GOING_AWAY`)
1008   the client kept flooding past the rate limit, or sent frames of any kind
       faster than :data:`FRAMES_PER_SECOND` (:data:`CLOSE_POLICY_VIOLATION`)
1009   a client frame over :data:`MAX_FRAME_BYTES` (:data:`CLOSE_MESSAGE_TOO_BIG`)
1011   the client answered nothing, not even a ping, for
       :data:`KEEPALIVE_SECONDS` + :data:`KEEPALIVE_TIMEOUT_SECONDS`
       (:data:`CLOSE_INTERNAL_ERROR`, as the ``websockets`` library does)
4008   the client did not read fast enough: its send buffer stayed full
       for :data:`SEND_TIMEOUT_SECONDS` (:data:`CLOSE_SLOW_CLIENT`)
=====  ==============================================================
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from covaex_service.error_codes import WebSocketCode
from covaex_service.market.candles import INTERVALS
from covaex_service.market.model import Source

MAX_SYMBOLS_PER_CONNECTION = 50
MAX_FRAME_BYTES = 16 * 1024
"""Largest client frame; the app config's ``WEBSOCKET_MAX_SIZE`` enforces it with 1009."""
RATE_LIMIT_PER_SECOND = 10.0
RATE_LIMIT_BURST = 20
RATE_LIMIT_CLOSE_AFTER = 50
"""Messages rejected in a row by the rate limit before the connection is closed with 1008."""
SEND_TIMEOUT_SECONDS = 5.0
"""How long a client's send buffer may stay full (:data:`SEND_BUFFER_HIGH_WATER`) before it is closed with 4008."""
KEEPALIVE_SECONDS = 20.0
"""The server pings a client idle for half of this, every this often (a browser answers pings by itself)."""
KEEPALIVE_TIMEOUT_SECONDS = 20.0
"""A client silent for :data:`KEEPALIVE_SECONDS` plus this is closed with 1011: a dead peer frees its slot."""
FRAMES_PER_SECOND = 30.0
FRAME_BURST = 60
"""Every frame a client sends, control frames (ping, pong) included; past it: close 1008 (:mod:`.guard`)."""
MAX_CONNECTIONS_PER_ADDRESS = 50
"""Open connections per client address and worker (a household or office NAT shares one address)."""
SEND_BUFFER_HIGH_WATER = 16 * 1024
"""Bytes a client's transport may hold unsent before a write waits (asyncio's default is 64 KiB).

An update frame of 20 symbols is ~5 KB, so three frames fit: a reader that
keeps up never waits, and one that stalls costs at most this much of our
memory (plus the kernel's socket buffer) until :data:`SEND_TIMEOUT_SECONDS`
closes it with 4008. With the default, 2,000 stalled clients could pin
128 MiB; with this, 32 MiB.
"""

CLOSE_GOING_AWAY = 1001
CLOSE_POLICY_VIOLATION = 1008
CLOSE_MESSAGE_TOO_BIG = 1009
CLOSE_INTERNAL_ERROR = 1011
CLOSE_SLOW_CLIENT = 4008

ERROR_CODES: dict[WebSocketCode, str] = {
    "malformed_json": "the frame is not valid JSON (or not text)",
    "invalid_message": "valid JSON but not a message of this protocol (wrong shape or field types)",
    "unknown_op": "the op is not subscribe, unsubscribe or ping",
    "unknown_symbol": "a symbol this service does not carry",
    "too_many_symbols": f"the subscription would exceed {MAX_SYMBOLS_PER_CONNECTION} symbols",
    "unknown_interval": f"a candle interval this service does not keep (it keeps {', '.join(INTERVALS)})",
    "rate_limited": f"more than {RATE_LIMIT_PER_SECOND:g} messages a second; the message was ignored",
}


@dataclass(frozen=True, slots=True)
class GatewayLimits:
    """Per-connection limits; the defaults are the documented constants above."""

    max_symbols: int = MAX_SYMBOLS_PER_CONNECTION
    rate_per_second: float = RATE_LIMIT_PER_SECOND
    rate_burst: int = RATE_LIMIT_BURST
    rate_close_after: int = RATE_LIMIT_CLOSE_AFTER
    send_timeout: float = SEND_TIMEOUT_SECONDS
    keepalive: float = KEEPALIVE_SECONDS
    keepalive_timeout: float = KEEPALIVE_TIMEOUT_SECONDS
    frames_per_second: float = FRAMES_PER_SECOND
    frame_burst: int = FRAME_BURST
    max_connections_per_address: int = MAX_CONNECTIONS_PER_ADDRESS


@dataclass(frozen=True, slots=True)
class ClientRequest:
    op: Literal["subscribe", "unsubscribe", "ping"]
    id: Any
    symbols: tuple[str, ...] = ()
    klines: tuple[str, ...] = ()


class ProtocolError(Exception):
    """Bad client input; answered with an error frame."""

    def __init__(self, code: WebSocketCode, message: str, request_id: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id


def parse_request(raw: str | bytes, known_symbols: Collection[str]) -> ClientRequest:
    """Validate one client frame; raise :class:`ProtocolError` with a clear message otherwise."""
    if isinstance(raw, bytes):
        raise ProtocolError("malformed_json", "send JSON text frames, not binary frames")
    try:
        message = json.loads(raw)
    except ValueError as exc:
        raise ProtocolError("malformed_json", f"frame is not valid JSON: {exc}") from None
    except RecursionError:
        # json.loads recurses per nesting level; [[[[... deep enough exhausts the stack.
        raise ProtocolError("malformed_json", "frame is nested too deeply") from None
    if not isinstance(message, dict):
        raise ProtocolError("invalid_message", "a message must be a JSON object with an 'op'")
    request_id = message.get("id")
    op = message.get("op")
    if op == "ping":
        return ClientRequest(op="ping", id=request_id)
    if op not in ("subscribe", "unsubscribe"):
        raise ProtocolError("unknown_op", f"unknown op {op!r}; use subscribe, unsubscribe or ping", request_id)
    symbols = message.get("symbols")
    if not isinstance(symbols, list) or not symbols or not all(isinstance(s, str) for s in symbols):
        raise ProtocolError("invalid_message", "'symbols' must be a non-empty list of strings", request_id)
    wanted = tuple(dict.fromkeys(s.strip().upper() for s in symbols))
    unknown = [s for s in wanted if s not in known_symbols]
    if unknown:
        shown = ", ".join(unknown[:10]) + (" ..." if len(unknown) > 10 else "")
        raise ProtocolError("unknown_symbol", f"unknown symbols: {shown}", request_id)
    return ClientRequest(op=op, id=request_id, symbols=wanted, klines=_intervals(message, request_id))


def _intervals(message: dict[str, Any], request_id: Any) -> tuple[str, ...]:
    if "klines" not in message:
        return ()
    intervals = message["klines"]
    if not isinstance(intervals, list) or not intervals or not all(isinstance(i, str) for i in intervals):
        raise ProtocolError("invalid_message", "'klines' must be a non-empty list of intervals like \"1m\"", request_id)
    unknown = [i for i in intervals if i not in INTERVALS]
    if unknown:
        raise ProtocolError(
            "unknown_interval", f"unknown intervals: {', '.join(unknown[:5])}; use {', '.join(INTERVALS)}", request_id
        )
    return tuple(dict.fromkeys(intervals))


def _frame(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"))


def error_frame(error: ProtocolError) -> str:
    return _frame({"type": "error", "code": error.code, "message": error.message, "id": error.request_id})


def ack_frame(kind: Literal["subscribed", "unsubscribed"], request_id: Any, symbols: list[str]) -> str:
    return _frame({"type": kind, "id": request_id, "symbols": symbols})


def pong_frame(request_id: Any) -> str:
    return _frame({"type": "pong", "id": request_id})


def status_frame(source: Source, stale: bool) -> str:
    return _frame({"type": "status", "source": source, "stale": stale})


def snapshot_frame(source: Source, stale: bool, encoded_markets: list[str]) -> str:
    # Markets arrive already encoded (once per worker, not per client).
    return f'{{"type":"snapshot","source":"{source}","stale":{json.dumps(stale)},"data":[{",".join(encoded_markets)}]}}'


def update_frame(seq: int, source: Source, encoded_markets: Iterable[str]) -> str:
    return f'{{"type":"update","seq":{seq},"source":"{source}","data":[{",".join(encoded_markets)}]}}'


def kline_frame(symbol: str, interval: str, source: Source, encoded_kline: str) -> str:
    return f'{{"type":"kline","symbol":"{symbol}","interval":"{interval}","source":"{source}","data":{encoded_kline}}}'
