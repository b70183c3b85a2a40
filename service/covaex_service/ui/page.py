"""The main page's view model: a market snapshot turned into what the template shows.

Pure functions of the snapshot body (the ``/api/v1/markets`` shape), so the
server-rendered page and the REST snapshot can never disagree. The browser
repeats the same formatting rules in ``static/js/format.js`` when live
updates arrive; keep the two in step (the e2e tests compare them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal

from covaex_service.market.candles import DAY_CANDLES, DAY_INTERVAL, INTERVAL_MS, Kline
from covaex_service.ui.names import coin_name

Direction = Literal["rise", "fall", "flat"]

KST = timezone(timedelta(hours=9), "KST")
CHIP_COUNT = 3
_COMPACT_UNITS: tuple[tuple[Decimal, str], ...] = (
    (Decimal(10) ** 12, "T"),
    (Decimal(10) ** 9, "B"),
    (Decimal(10) ** 6, "M"),
    (Decimal(10) ** 3, "K"),
)


@dataclass(frozen=True)
class CoinRow:
    """One row of the coin list, raw values kept for sorting and the live client."""

    symbol: str
    base: str
    quote: str
    name_ko: str
    name_en: str
    last: str
    open: str
    high: str
    low: str
    change_pct: str
    quote_volume: str
    last_text: str
    change_text: str
    volume_text: str
    direction: Direction


@dataclass(frozen=True)
class Chip:
    """A keyword chip: one coin picked by a rule, with the value that earned it."""

    symbol: str
    base: str
    name_ko: str
    value_text: str
    direction: Direction


@dataclass(frozen=True)
class ChipGroup:
    key: str
    title: str
    chips: tuple[Chip, ...]


@dataclass(frozen=True)
class MarketSummary:
    """The hero's numbers: how many coins rose and fell, and the total traded."""

    rising: int
    falling: int
    volume_text: str


SPARK_WIDTH = 72
SPARK_HEIGHT = 28
SPARK_PAD = 2.0
"""Room for the stroke above the highest and below the lowest close (viewBox units)."""


@dataclass(frozen=True)
class Sparkline:
    """A row's 24 h line: SVG polyline points of the price at each hour, placed by time, coloured by its way.

    ``low``/``high`` (the closes the line is scaled between) and ``last_open``
    (the open time of the candle the last point draws) let the page move the
    last point with live prices; ``static/js/spark.js`` repeats the geometry.
    """

    points: str
    low: str
    high: str
    last_open: int
    count: int
    direction: Direction
    """The line's own: the price now against a day ago, so the picture never contradicts its colour."""


def sparkline(candles: Sequence[Kline]) -> Sparkline | None:
    """The line of the newest :data:`DAY_CANDLES` hours of ``candles`` (oldest first); ``None`` without any.

    The price at every hour's boundary: the oldest candle's open (a day ago,
    where the 24 h change is measured from), then each candle's close, the
    newest being the open candle's (the price now). A point's x is its hour
    counted back from now, so a gap or a short history is drawn where it is,
    not stretched over the whole day.
    """
    step = INTERVAL_MS[DAY_INTERVAL]
    if not candles:
        return None
    last_open = candles[-1].open_time
    first_open = last_open - (DAY_CANDLES - 1) * step
    kept = [k for k in candles if k.interval == DAY_INTERVAL and k.open_time >= first_open]
    if not kept:
        return None
    # (hour boundary, price): the first candle's open at its start, every close at its end.
    at = [(kept[0].open_time, decimal_of(kept[0].open))]
    at += [(k.open_time + step, decimal_of(k.close)) for k in kept]
    prices = [price for _, price in at]
    low, high = min(prices), max(prices)
    span = high - low
    usable = SPARK_HEIGHT - 2 * SPARK_PAD
    points = []
    for moment, price in at:
        x = (moment - first_open) / step * SPARK_WIDTH / DAY_CANDLES
        # A flat day is a line through the middle, not a division by zero.
        y = SPARK_HEIGHT / 2 if span == 0 else SPARK_PAD + float((high - price) / span) * usable
        points.append(f"{x:.2f},{y:.2f}")
    direction: Direction = "rise" if prices[-1] > prices[0] else "fall" if prices[-1] < prices[0] else "flat"
    return Sparkline(" ".join(points), format(low, "f"), format(high, "f"), last_open, len(points), direction)


@dataclass(frozen=True)
class MainPage:
    rows: tuple[CoinRow, ...]
    sparklines: Mapping[str, Sparkline]
    chip_groups: tuple[ChipGroup, ...]
    summary: MarketSummary
    as_of_ms: int
    as_of_iso: str
    as_of_text: str
    stale: bool
    source: str


def decimal_of(raw: object) -> Decimal:
    """A decimal from a price string; anything unreadable counts as zero."""
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        return Decimal(0)
    return value if value.is_finite() else Decimal(0)


def _grouped(value: Decimal, places: int) -> str:
    quantized = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{quantized:,.{places}f}"


def price_places(value: Decimal) -> int:
    """Fraction digits for a price: cents for big coins, more for small ones."""
    magnitude = abs(value)
    if magnitude >= 1:
        return 2
    if magnitude >= Decimal("0.01"):
        return 4
    return 8


def format_price(raw: object) -> str:
    value = decimal_of(raw)
    return _grouped(value, price_places(value))


def format_change(raw: object) -> str:
    # abs() of a zero drops the sign: "-0.00%" would read as a fall.
    value = decimal_of(raw).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    value = abs(value) if value == 0 else value
    sign = "+" if value > 0 else ""
    return f"{sign}{value:.2f}%"


def direction_of(raw: object) -> Direction:
    value = decimal_of(raw).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if value > 0:
        return "rise"
    if value < 0:
        return "fall"
    return "flat"


def format_volume(raw: object) -> str:
    """A quote-currency volume in compact form, e.g. ``$1.23B``."""
    value = decimal_of(raw)
    for size, unit in _COMPACT_UNITS:
        if abs(value) >= size:
            return f"${_grouped(value / size, 2)}{unit}"
    return f"${_grouped(value, 2)}"


def format_as_of(as_of_ms: int) -> tuple[str, str]:
    """``asOf`` as an ISO timestamp and as Korean wall-clock text (KST)."""
    moment = datetime.fromtimestamp(as_of_ms / 1000, tz=UTC)
    local = moment.astimezone(KST)
    return moment.isoformat(timespec="seconds"), f"{local:%H:%M:%S} 기준"


def coin_row(market: Mapping[str, Any]) -> CoinRow:
    symbol = str(market.get("symbol", ""))
    name = coin_name(symbol)
    last = str(market.get("last", "0"))
    change = str(market.get("changePct", "0"))
    volume = str(market.get("quoteVolume", "0"))
    return CoinRow(
        symbol=symbol,
        base=name.base,
        quote=name.quote,
        name_ko=name.ko,
        name_en=name.en,
        last=last,
        open=str(market.get("open", "0")),
        high=str(market.get("high", "0")),
        low=str(market.get("low", "0")),
        change_pct=change,
        quote_volume=volume,
        last_text=format_price(last),
        change_text=format_change(change),
        volume_text=format_volume(volume),
        direction=direction_of(change),
    )


def chip_groups(rows: Sequence[CoinRow]) -> tuple[ChipGroup, ...]:
    """Top gainers, top losers and most traded, computed from the rows given."""

    def chips(picked: Iterable[CoinRow], volume: bool = False) -> tuple[Chip, ...]:
        return tuple(
            Chip(
                symbol=row.symbol,
                base=row.base,
                name_ko=row.name_ko,
                value_text=row.volume_text if volume else row.change_text,
                direction="flat" if volume else row.direction,
            )
            for row in picked
        )

    by_change = sorted(rows, key=lambda row: decimal_of(row.change_pct))
    by_volume = sorted(rows, key=lambda row: decimal_of(row.quote_volume), reverse=True)
    return (
        ChipGroup("gainers", "급상승", chips(list(reversed(by_change))[:CHIP_COUNT])),
        ChipGroup("losers", "급하락", chips(by_change[:CHIP_COUNT])),
        ChipGroup("traded", "거래 많은", chips(by_volume[:CHIP_COUNT], volume=True)),
    )


def market_summary(rows: Sequence[CoinRow]) -> MarketSummary:
    total = sum((decimal_of(row.quote_volume) for row in rows), Decimal(0))
    return MarketSummary(
        rising=sum(1 for row in rows if row.direction == "rise"),
        falling=sum(1 for row in rows if row.direction == "fall"),
        volume_text=format_volume(total),
    )


def main_page(snapshot: Mapping[str, Any], candles: Mapping[str, Sequence[Kline]] | None = None) -> MainPage:
    """The view model of ``GET /`` for one cached snapshot body and each symbol's last 24 h of hourly candles."""
    rows = tuple(coin_row(market) for market in snapshot.get("markets", ()))
    lines = {row.symbol: sparkline((candles or {}).get(row.symbol, ())) for row in rows}
    as_of_ms = int(snapshot.get("asOf") or 0)
    as_of_iso, as_of_text = format_as_of(as_of_ms)
    return MainPage(
        rows=rows,
        sparklines={symbol: line for symbol, line in lines.items() if line is not None},
        chip_groups=chip_groups(rows),
        summary=market_summary(rows),
        as_of_ms=as_of_ms,
        as_of_iso=as_of_iso,
        as_of_text=as_of_text if as_of_ms else "아직 시세가 없어요",
        stale=bool(snapshot.get("stale", False)),
        source=str(snapshot.get("source", "")),
    )


@dataclass(frozen=True)
class CoinStat:
    key: str
    label: str
    value: str
    text: str


@dataclass(frozen=True)
class CoinPage:
    """The view model of ``GET /coins/<SYMBOL>``: one coin's price, 24 h stats and what the chart needs."""

    row: CoinRow
    stats: tuple[CoinStat, ...]
    as_of_ms: int
    as_of_iso: str
    as_of_text: str
    stale: bool
    source: str


def coin_page(snapshot: Mapping[str, Any], symbol: str) -> CoinPage:
    """The coin's view model from one cached snapshot body (a coin without a price yet shows dashes)."""
    market = next((m for m in snapshot.get("markets", ()) if m.get("symbol") == symbol), {"symbol": symbol})
    row = coin_row(market)
    priced = "last" in market
    volume = str(market.get("volume", "0"))

    def stat(key: str, label: str, value: str, text: str) -> CoinStat:
        return CoinStat(key, label, value, text if priced else "—")

    as_of_ms = int(snapshot.get("asOf") or 0)
    as_of_iso, as_of_text = format_as_of(as_of_ms)
    return CoinPage(
        row=row,
        stats=(
            stat("open", "시가 (24시간 전)", row.open, format_price(row.open)),
            stat("high", "24시간 최고", row.high, format_price(row.high)),
            stat("low", "24시간 최저", row.low, format_price(row.low)),
            stat("volume", f"24시간 거래량 ({row.base})", volume, format_volume(volume)),
            stat("quoteVolume", "24시간 거래대금", row.quote_volume, row.volume_text),
        ),
        as_of_ms=as_of_ms,
        as_of_iso=as_of_iso,
        as_of_text=as_of_text if as_of_ms else "아직 시세가 없어요",
        stale=bool(snapshot.get("stale", False)),
        source=str(snapshot.get("source", "")),
    )
