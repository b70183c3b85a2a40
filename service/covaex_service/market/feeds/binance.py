"""Binance public market data: URLs and parsing into :class:`~covaex_service.market.model.Market`.

Everything Binance-specific about *payloads* is here; the connection logic is
in :mod:`.binance_client`. Prices stay the exact strings Binance sent.

Combined stream frame (``<base>/stream?streams=btcusdt@ticker/...``)::

    {"stream": "btcusdt@ticker",
     "data": {"e": "24hrTicker", "E": 1732600000123, "s": "BTCUSDT",
              "p": "812.10", "P": "0.853", "w": "95321.55", "x": "95188.00",
              "c": "96000.10", "Q": "0.013", "b": "96000.09", "B": "1.2",
              "a": "96000.10", "A": "0.4", "o": "95188.00", "h": "96500.00",
              "l": "94800.00", "v": "18523.41", "q": "1765000123.45",
              "O": 1732513600123, "C": 1732600000123, "F": 1, "L": 2, "n": 2}}

``<symbol>@miniTicker`` carries ``e: "24hrMiniTicker"`` with ``c o h l v q``
only (no ``P``: the change is computed exactly from ``c`` and ``o``).

Control traffic on the same connection: ``{"result": null, "id": 1}`` answers
a ``SUBSCRIBE``/``UNSUBSCRIBE`` (errors come as ``{"code", "msg", "id"}`` or
``{"error": {...}, "id"}``), and ``{"e": "serverShutdown", "E": ms}`` announces
a disconnection (also accepted wrapped in the combined envelope).

REST bootstrap ``GET <rest>/api/v3/ticker/24hr?symbols=["BTCUSDT","ETHUSDT"]``
answers a list of objects with ``symbol lastPrice openPrice highPrice
lowPrice priceChangePercent volume quoteVolume closeTime``.

Candles: ``<symbol>@kline_<interval>`` pushes the current candle (every 2 s
for 1m and longer)::

    {"stream": "btcusdt@kline_1m",
     "data": {"e": "kline", "E": 1732600000123, "s": "BTCUSDT",
              "k": {"t": 1732599960000, "T": 1732600019999, "s": "BTCUSDT", "i": "1m",
                    "f": 100, "L": 200, "o": "95990.00", "c": "96000.10", "h": "96010.00",
                    "l": "95980.00", "v": "12.345", "n": 100, "x": false,
                    "q": "1185000.00", "V": "6.1", "Q": "585000.00", "B": "0"}}}

``x`` is true on the candle's last message. History: ``GET
<rest>/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=500`` answers arrays,
oldest first, the last one the open candle::

    [[1732599960000, "95990.00", "96010.00", "95980.00", "96000.10", "12.345",
      1732600019999, "1185000.00", 100, "6.1", "585000.00", "0"], ...]
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from covaex_service.market.candles import Kline
from covaex_service.market.model import InvalidMarket, Market, change_pct, decimal_string, epoch_ms, symbol_string
from covaex_service.venues import BINANCE

STREAM_KIND = "ticker"
"""The stream used per symbol: ``<symbol>@ticker`` (rolling 24 h, pushed every 1000 ms)."""
MAX_STREAMS_PER_CONNECTION = 1024
MAX_REST_SYMBOLS_PER_REQUEST = 100
TICKER_PATH = "/api/v3/ticker/24hr"
KLINES_PATH = "/api/v3/klines"


class MalformedFrame(ValueError):
    """A frame that is not valid Binance market data; skipped and counted, never fatal."""


@dataclass(frozen=True, slots=True)
class TickerEvent:
    market: Market


@dataclass(frozen=True, slots=True)
class KlineEvent:
    kline: Kline


@dataclass(frozen=True, slots=True)
class ServerShutdown:
    event_time: int | None


@dataclass(frozen=True, slots=True)
class CommandReply:
    id: int | None
    error: str | None  # None when the command succeeded


StreamFrame = TickerEvent | KlineEvent | ServerShutdown | CommandReply


def stream_name(symbol: str, kind: str = STREAM_KIND) -> str:
    """Binance stream names are lower case: ``BTCUSDT`` -> ``btcusdt@ticker``."""
    return f"{symbol.lower()}@{kind}"


def kline_stream_name(symbol: str, interval: str) -> str:
    return stream_name(symbol, f"kline_{interval}")


def symbol_of_stream(stream: str) -> str:
    return stream.split("@", 1)[0].upper()


def combined_stream_url(base: str, streams: Sequence[str]) -> str:
    return f"{base.rstrip('/')}/stream?streams={'/'.join(streams)}"


def ticker_url(rest_base: str, symbols: Sequence[str]) -> str:
    """``/api/v3/ticker/24hr?symbols=[...]`` with the JSON array URL-encoded, as Binance documents."""
    array = json.dumps(list(symbols), separators=(",", ":"))
    return f"{rest_base.rstrip('/')}{TICKER_PATH}?symbols={quote(array, safe='')}"


def klines_url(rest_base: str, symbol: str, interval: str, limit: int) -> str:
    return f"{rest_base.rstrip('/')}{KLINES_PATH}?symbol={symbol}&interval={interval}&limit={limit}"


def command(method: str, streams: Sequence[str], command_id: int) -> str:
    return json.dumps({"method": method, "params": list(streams), "id": command_id}, separators=(",", ":"))


def parse_ticker_event(data: dict[str, Any]) -> Market:
    """A ``24hrTicker`` or ``24hrMiniTicker`` payload; raises :class:`MalformedFrame`."""
    try:
        last = decimal_string(data.get("c"), "c")
        opened = decimal_string(data.get("o"), "o")
        pct = decimal_string(data.get("P"), "P") if data.get("e") == "24hrTicker" else change_pct(last, opened)
        return Market(
            symbol=symbol_string(data.get("s"), "s"),
            last=last,
            open=opened,
            high=decimal_string(data.get("h"), "h"),
            low=decimal_string(data.get("l"), "l"),
            change_pct=pct,
            volume=decimal_string(data.get("v"), "v"),
            quote_volume=decimal_string(data.get("q"), "q"),
            event_time=epoch_ms(data.get("E"), "E"),
            source=BINANCE.name,
        )
    except InvalidMarket as exc:
        raise MalformedFrame(f"bad ticker payload: {exc}") from None


def parse_kline_event(data: dict[str, Any]) -> Kline:
    """A ``kline`` stream payload; raises :class:`MalformedFrame`."""
    candle = data.get("k")
    try:
        if not isinstance(candle, dict):
            raise InvalidMarket("'k' is not an object")
        closed = candle.get("x")
        if not isinstance(closed, bool):
            raise InvalidMarket(f"x must be a boolean, got {closed!r}")
        return Kline(
            symbol=symbol_string(candle.get("s"), "s"),
            interval=str(candle.get("i")),
            open_time=epoch_ms(candle.get("t"), "t"),
            close_time=epoch_ms(candle.get("T"), "T"),
            open=decimal_string(candle.get("o"), "o"),
            high=decimal_string(candle.get("h"), "h"),
            low=decimal_string(candle.get("l"), "l"),
            close=decimal_string(candle.get("c"), "c"),
            volume=decimal_string(candle.get("v"), "v"),
            closed=closed,
            source=BINANCE.name,
        )
    except InvalidMarket as exc:
        raise MalformedFrame(f"bad kline payload: {exc}") from None


def _shutdown(payload: dict[str, Any]) -> ServerShutdown | None:
    if payload.get("e") == "serverShutdown":
        stamp = payload.get("E")
        return ServerShutdown(stamp if isinstance(stamp, int) else None)
    return None


def parse_stream_frame(raw: str | bytes) -> StreamFrame:
    """One frame of a combined-stream connection; raises :class:`MalformedFrame`."""
    try:
        message = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedFrame(f"not JSON: {exc}") from None
    if not isinstance(message, dict):
        raise MalformedFrame("frame is not a JSON object")
    if "stream" in message:
        data = message.get("data")
        if not isinstance(data, dict):
            raise MalformedFrame("combined frame without a 'data' object")
        shutdown = _shutdown(data)
        if shutdown is not None:
            return shutdown
        if data.get("e") == "kline":
            return KlineEvent(parse_kline_event(data))
        if data.get("e") not in ("24hrTicker", "24hrMiniTicker"):
            raise MalformedFrame(f"unexpected event {data.get('e')!r} on stream {message.get('stream')!r}")
        return TickerEvent(parse_ticker_event(data))
    shutdown = _shutdown(message) or (_shutdown(message["event"]) if isinstance(message.get("event"), dict) else None)
    if shutdown is not None:
        return shutdown
    if "id" in message and ("result" in message or "error" in message or "code" in message):
        command_id = message.get("id")
        error = message.get("error")
        if "code" in message and "result" not in message:
            error = {"code": message.get("code"), "msg": message.get("msg")}
        return CommandReply(
            id=command_id if isinstance(command_id, int) else None,
            error=None if error is None else json.dumps(error),
        )
    raise MalformedFrame("frame is neither stream data, a command reply nor serverShutdown")


def parse_rest_tickers(body: object) -> tuple[list[Market], int]:
    """Markets from a ``/api/v3/ticker/24hr`` list, and how many entries were skipped as malformed."""
    if not isinstance(body, list):
        raise MalformedFrame("ticker/24hr answer is not a JSON list")
    markets: list[Market] = []
    skipped = 0
    for item in body:
        try:
            if not isinstance(item, dict):
                raise InvalidMarket("entry is not an object")
            last = decimal_string(item.get("lastPrice"), "lastPrice")
            markets.append(
                Market(
                    symbol=symbol_string(item.get("symbol")),
                    last=last,
                    open=decimal_string(item.get("openPrice"), "openPrice"),
                    high=decimal_string(item.get("highPrice"), "highPrice"),
                    low=decimal_string(item.get("lowPrice"), "lowPrice"),
                    change_pct=decimal_string(item.get("priceChangePercent"), "priceChangePercent"),
                    volume=decimal_string(item.get("volume"), "volume"),
                    quote_volume=decimal_string(item.get("quoteVolume"), "quoteVolume"),
                    event_time=epoch_ms(item.get("closeTime"), "closeTime"),
                    source=BINANCE.name,
                )
            )
        except InvalidMarket:
            skipped += 1
    return markets, skipped


def parse_rest_klines(body: object, symbol: str, interval: str, now_ms: int) -> tuple[list[Kline], int]:
    """Candles from a ``/api/v3/klines`` answer (oldest first), and how many rows were skipped as malformed."""
    if not isinstance(body, list):
        raise MalformedFrame("klines answer is not a JSON list")
    klines: list[Kline] = []
    skipped = 0
    for row in body:
        try:
            if not isinstance(row, list) or len(row) < 7:
                raise InvalidMarket("row is not a list of at least 7 fields")
            close_time = epoch_ms(row[6], "closeTime")
            klines.append(
                Kline(
                    symbol=symbol,
                    interval=interval,
                    open_time=epoch_ms(row[0], "openTime"),
                    close_time=close_time,
                    open=decimal_string(row[1], "open"),
                    high=decimal_string(row[2], "high"),
                    low=decimal_string(row[3], "low"),
                    close=decimal_string(row[4], "close"),
                    volume=decimal_string(row[5], "volume"),
                    closed=close_time < now_ms,
                    source=BINANCE.name,
                )
            )
        except InvalidMarket:
            skipped += 1
    return klines, skipped
