"""Candles (Binance "klines"): the type, the intervals the service keeps, and one series' upkeep.

A :class:`Kline` is one candle of one symbol at one interval, with Binance's
field meaning: ``openTime``/``closeTime`` in ms (``closeTime`` is the last
millisecond of the candle, ``openTime + interval - 1``), prices and the base
volume as exact decimal strings. The open candle of a live stream changes
until it closes; a series is keyed by ``openTime``, so a newer version of a
candle replaces the older one and nothing is ever duplicated.

History comes from REST ``/api/v3/klines`` (or the simulator) when the feed
starts or reconnects; the live candle comes from the ``<symbol>@kline_<interval>``
streams. Both go through the ingest into the cache like tickers; nothing
reads upstream per request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from covaex_service.market.model import (
    InvalidMarket,
    Source,
    decimal_string,
    epoch_ms,
    json_document,
    source_label,
    symbol_string,
)

INTERVAL_MS: Mapping[str, int] = {"1m": 60_000, "1h": 3_600_000, "1d": 86_400_000}
"""The intervals the service keeps, in Binance's spelling, and their length."""
INTERVALS: tuple[str, ...] = tuple(INTERVAL_MS)
DAY_INTERVAL = "1h"
DAY_CANDLES = 24
"""24 hourly candles, the open one included: the last 24 h, as ``/klines?interval=1h&limit=24`` serves them.

The list's sparklines are drawn from them, and the simulator's 24 h open rolls with them."""
if DAY_INTERVAL not in INTERVAL_MS:  # pragma: no cover - a wrong edit fails at import
    raise RuntimeError(f"{DAY_INTERVAL!r} is not a kept candle interval")
KLINES_KEPT = 500
"""Candles kept per symbol and interval (Binance's default ``limit``): 8 h of 1m, 3 weeks of 1h, 500 days of 1d."""
KLINE_FIELDS: tuple[str, ...] = ("openTime", "open", "high", "low", "close", "volume", "closeTime")


@dataclass(frozen=True, slots=True)
class Kline:
    symbol: str
    interval: str
    open_time: int
    close_time: int
    open: str
    high: str
    low: str
    close: str
    volume: str
    closed: bool
    source: Source

    def __post_init__(self) -> None:
        symbol_string(self.symbol)
        if self.interval not in INTERVAL_MS:
            raise InvalidMarket(f"interval must be one of {', '.join(INTERVALS)}, got {self.interval!r}")
        epoch_ms(self.open_time, "openTime")
        epoch_ms(self.close_time, "closeTime")
        if self.close_time < self.open_time:
            raise InvalidMarket("closeTime is before openTime")
        for name in ("open", "high", "low", "close", "volume"):
            decimal_string(getattr(self, name), name)
        source_label(self.source)

    def to_json(self) -> dict[str, Any]:
        """The public JSON object of ``GET /api/v1/markets/<SYMBOL>/klines`` and the ``kline`` frame."""
        return {
            "openTime": self.open_time,
            "open": self.open,
            "high": self.high,
            "low": self.low,
            "close": self.close,
            "volume": self.volume,
            "closeTime": self.close_time,
        }

    @classmethod
    def from_json(cls, data: object, symbol: str, interval: str, source: Source) -> Kline:
        """Rebuild a candle from :meth:`to_json` output (cache documents); raises :class:`InvalidMarket`."""
        data = json_document(data, "kline", KLINE_FIELDS)
        return cls(
            symbol=symbol,
            interval=interval,
            open_time=data["openTime"],
            close_time=data["closeTime"],
            open=data["open"],
            high=data["high"],
            low=data["low"],
            close=data["close"],
            volume=data["volume"],
            closed=bool(data.get("closed", True)),
            source=source,
        )


def merge_series(series: Iterable[Kline], fresh: Iterable[Kline], keep: int = KLINES_KEPT) -> list[Kline]:
    """``series`` with ``fresh`` candles added or replacing the same ``openTime``; oldest first, the newest ``keep``."""
    by_open = {k.open_time: k for k in series}
    for kline in fresh:
        by_open[kline.open_time] = kline
    return [by_open[t] for t in sorted(by_open)[-keep:]]
