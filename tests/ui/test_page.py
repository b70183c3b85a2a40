"""The main page's view model: formatting rules and keyword chips, without a browser."""

from __future__ import annotations

from covaex_service.market.candles import INTERVAL_MS, Kline
from covaex_service.ui.names import coin_name
from covaex_service.ui.page import (
    chip_groups,
    coin_row,
    direction_of,
    format_change,
    format_price,
    format_volume,
    main_page,
    sparkline,
)


def market(symbol: str, change: str, volume: str, last: str = "1.00") -> dict[str, object]:
    return {"symbol": symbol, "last": last, "changePct": change, "quoteVolume": volume, "eventTime": 1}


def test_prices_keep_their_digits_and_group_thousands() -> None:
    assert format_price("97123.45000000") == "97,123.45"
    assert format_price("97123.455") == "97,123.46"  # half away from zero, as Intl does
    assert format_price("0.61235") == "0.6124"
    assert format_price("0.0000123456") == "0.00001235"
    assert format_price("not a number") == "0.00000000"


def test_change_has_a_sign_and_no_negative_zero() -> None:
    assert format_change("2.345") == "+2.35%"
    assert format_change("-1.5") == "-1.50%"
    assert format_change("-0.004") == "0.00%"
    assert [direction_of(v) for v in ("0.005", "-0.005", "0.004", "0")] == ["rise", "fall", "flat", "flat"]


def test_volume_is_compact() -> None:
    assert format_volume("28395365511.53") == "$28.40B"
    assert format_volume("1234567") == "$1.23M"
    assert format_volume("123.4") == "$123.40"


def test_names_split_the_quote_asset() -> None:
    assert (coin_name("ETHUSDT").base, coin_name("ETHUSDT").ko, coin_name("ETHUSDT").en) == (
        "ETH",
        "이더리움",
        "Ethereum",
    )
    unknown = coin_name("ZZZUSDT")
    assert (unknown.base, unknown.quote, unknown.ko) == ("ZZZ", "USDT", "ZZZ")


def test_chips_pick_gainers_losers_and_most_traded() -> None:
    rows = [
        coin_row(market("BTCUSDT", "1.0", "900")),
        coin_row(market("ETHUSDT", "-3.0", "800")),
        coin_row(market("SOLUSDT", "5.0", "10")),
        coin_row(market("XRPUSDT", "-1.0", "20")),
    ]
    groups = {group.key: [chip.symbol for chip in group.chips] for group in chip_groups(rows)}
    assert groups == {
        "gainers": ["SOLUSDT", "BTCUSDT", "XRPUSDT"],
        "losers": ["ETHUSDT", "XRPUSDT", "BTCUSDT"],
        "traded": ["BTCUSDT", "ETHUSDT", "XRPUSDT"],
    }


def test_page_from_an_empty_snapshot() -> None:
    page = main_page({"asOf": None, "stale": True, "source": "simulator", "markets": []})
    assert page.rows == () and page.stale and page.as_of_text == "아직 시세가 없어요"
    assert page.summary.rising == 0 and page.summary.volume_text == "$0.00"


HOUR = INTERVAL_MS["1h"]


def hourly(*closes: tuple[int, str], interval: str = "1h") -> list[Kline]:
    """Candles at the given hours; each opens at the previous one's close."""
    candles = []
    for index, (hour, close) in enumerate(closes):
        opened = closes[index - 1][1] if index else close
        length = INTERVAL_MS[interval]
        high, low = max(opened, close, key=float), min(opened, close, key=float)
        start, end = hour * length, (hour + 1) * length - 1
        candles.append(Kline("BTCUSDT", interval, start, end, opened, high, low, close, "1", True, "binance"))
    return candles


def test_a_sparkline_draws_the_price_at_each_hour_of_the_last_day() -> None:
    # 30 hours: the newest 24 are drawn, from the open a day ago to the last close, over the whole width.
    line = sparkline(hourly(*((h, str(100 + h)) for h in range(30))))
    assert line is not None and line.count == 25
    points = [tuple(map(float, p.split(","))) for p in line.points.split()]
    assert points[0] == (0.0, 26.0) and points[-1] == (72.0, 2.0)  # lowest price at the bottom, highest on top
    assert [x for x, _ in points] == [round(hour * 72 / 24, 2) for hour in range(25)]
    assert (line.low, line.high, line.direction, line.last_open) == ("105", "129", "rise", 29 * HOUR)

    # A gap (hours 10 and 11 missing) is drawn where it is, not stretched away.
    gappy = sparkline(hourly(*((h, str(100 + h)) for h in range(24) if h not in (10, 11))))
    assert gappy is not None and gappy.count == 23
    xs = [float(p.split(",")[0]) for p in gappy.points.split()]
    assert abs((xs[11] - xs[10]) - 3 * 72 / 24) < 0.02


def test_no_sparkline_without_candles_and_a_flat_day_is_a_level_line() -> None:
    assert sparkline([]) is None
    assert sparkline(hourly((5, "1.0"), (6, "2.0"), interval="1m")) is None  # no hourly candle
    last_hour = sparkline(hourly((0, "1.0"), (40, "2.0")))  # the older candle is not in the last day
    assert last_hour is not None and last_hour.count == 2
    assert [p.split(",")[0] for p in last_hour.points.split()] == ["69.00", "72.00"]
    flat = sparkline(hourly((0, "1.5"), (1, "1.5"), (2, "1.5")))
    assert flat is not None and flat.direction == "flat" and flat.count == 4
    assert {p.split(",")[1] for p in flat.points.split()} == {"14.00"}


def test_the_main_page_has_sparklines_only_for_symbols_with_candles() -> None:
    markets = [market("BTCUSDT", "1", "1"), market("ETHUSDT", "1", "1")]
    snapshot = {"asOf": 1, "stale": False, "source": "binance", "markets": markets}
    page = main_page(snapshot, {"BTCUSDT": hourly((0, "1"), (1, "2"))})
    assert set(page.sparklines) == {"BTCUSDT"}
    assert main_page(snapshot).sparklines == {}
