"""The project's own normalized market type, shared by every feed, cache and view.

A :class:`Market` is one symbol's rolling 24 h ticker. Prices and volumes are
kept as the decimal strings the source sent (``"0.00001234"`` stays exactly
that): they are validated, never converted to ``float``, so nothing on the path
from the feed to the browser can round them. Arithmetic that must happen (the
simulator's random walk, a missing ``changePct``) uses :class:`decimal.Decimal`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from covaex_service.venues import SOURCES, SYMBOL_SHAPE

Source = str
"""A ``source`` label: a venue's name or ``simulator`` (all listed in :data:`covaex_service.venues.SOURCES`)."""

# Binance sends plain fixed-point strings; exponents and signs on prices are not expected.
_DECIMAL = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")

MARKET_FIELDS: tuple[str, ...] = (
    "symbol", "last", "open", "high", "low", "changePct", "volume", "quoteVolume", "eventTime",
)  # fmt: skip
"""The JSON fields of one market, in the order every view shows them (INTERFACE.md)."""


class InvalidMarket(ValueError):
    """A value that cannot be part of a :class:`Market` (bad decimal string, symbol, time)."""


def decimal_string(value: object, field: str) -> str:
    """Return ``value`` unchanged if it is a fixed-point decimal string, else raise :class:`InvalidMarket`."""
    if not isinstance(value, str) or not _DECIMAL.match(value):
        raise InvalidMarket(f"{field} must be a decimal string like '0.00001234', got {value!r}")
    return value


def symbol_string(value: object, field: str = "symbol") -> str:
    if not isinstance(value, str) or not SYMBOL_SHAPE.match(value):
        raise InvalidMarket(f"{field} must be an upper-case symbol like 'BTCUSDT', got {value!r}")
    return value


def epoch_ms(value: object, field: str) -> int:
    # bool is an int subclass; a JSON true is not a timestamp.
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidMarket(f"{field} must be a non-negative integer of milliseconds, got {value!r}")
    return value


def source_label(value: object) -> None:
    if value not in SOURCES:
        raise InvalidMarket(f"source must be one of {SOURCES}, got {value!r}")


def json_document(data: object, what: str, fields: tuple[str, ...]) -> dict[str, Any]:
    """``data`` as a JSON object with every one of ``fields`` (a cache document); raises :class:`InvalidMarket`."""
    if not isinstance(data, dict):
        raise InvalidMarket(f"a {what} must be a JSON object, got {type(data).__name__}")
    missing = [f for f in fields if f not in data]
    if missing:
        raise InvalidMarket(f"{what} is missing {', '.join(missing)}")
    return data


def change_pct(last: str, open_: str) -> str:
    """24 h change in percent with Binance's three decimals, computed exactly."""
    try:
        opened = Decimal(open_)
        if opened == 0:
            return "0.000"
        return str(((Decimal(last) - opened) / opened * 100).quantize(Decimal("0.001")))
    except InvalidOperation as exc:  # pragma: no cover - inputs are validated first
        raise InvalidMarket(f"cannot compute change from {last!r} and {open_!r}") from exc


@dataclass(frozen=True, slots=True)
class Market:
    """One symbol's 24 h ticker; every price and volume is an exact decimal string."""

    symbol: str
    last: str
    open: str
    high: str
    low: str
    change_pct: str
    volume: str
    quote_volume: str
    event_time: int  # ms since the epoch, as the source stamped it
    source: Source

    def __post_init__(self) -> None:
        symbol_string(self.symbol)
        for name in ("last", "open", "high", "low", "change_pct", "volume", "quote_volume"):
            decimal_string(getattr(self, name), name)
        epoch_ms(self.event_time, "event_time")
        source_label(self.source)

    def to_json(self) -> dict[str, Any]:
        """The public JSON object (INTERFACE.md field names); ``source`` is shown per snapshot."""
        return {
            "symbol": self.symbol,
            "last": self.last,
            "open": self.open,
            "high": self.high,
            "low": self.low,
            "changePct": self.change_pct,
            "volume": self.volume,
            "quoteVolume": self.quote_volume,
            "eventTime": self.event_time,
        }

    @classmethod
    def from_json(cls, data: object, source: Source) -> Market:
        """Rebuild a market from :meth:`to_json` output (cache documents); raises :class:`InvalidMarket`."""
        data = json_document(data, "market", MARKET_FIELDS)
        return cls(
            symbol=data["symbol"],
            last=data["last"],
            open=data["open"],
            high=data["high"],
            low=data["low"],
            change_pct=data["changePct"],
            volume=data["volume"],
            quote_volume=data["quoteVolume"],
            event_time=data["eventTime"],
            source=source,
        )
