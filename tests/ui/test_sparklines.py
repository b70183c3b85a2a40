"""The list's 24 h sparklines: drawn by the server from the cached hourly candles, the same candles
``/api/v1/markets/<SYMBOL>/klines?interval=1h&limit=24`` serves; none where there are no candles;
the last point follows the live price; rise/fall colours in light and dark."""

from __future__ import annotations

import itertools
import re
from decimal import Decimal
from typing import TYPE_CHECKING

import httpx
from playwright.sync_api import Page, expect

from tests.support.local_market import HOUR_MS, WITHOUT_CANDLES, hourly_closes
from tests.support.ui import open_live

if TYPE_CHECKING:
    from tests.support.ui import LocalFeed, Service

DAY = 24
Point = tuple[float, float]


def drawn_lines(page: Page) -> dict[str, dict[str, str]]:
    """Every row's line as the page shows it: points, colour class and the scale it was drawn with."""
    lines: dict[str, dict[str, str]] = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll("tr.coin svg[data-spark]")].map((svg) => [
            svg.closest("tr").dataset.symbol,
            {points: svg.querySelector("polyline").getAttribute("points"), cls: svg.getAttribute("class"),
             hidden: svg.getAttribute("aria-hidden"), viewBox: svg.getAttribute("viewBox")},
        ]))"""
    )
    return lines


def parse(points: str) -> list[Point]:
    return [(float(x), float(y)) for x, y in (pair.split(",") for pair in points.split())]


def served_day(service: Service, symbol: str) -> list[dict[str, str | int]]:
    answer = httpx.get(f"{service.base_url}/api/v1/markets/{symbol}/klines", params={"interval": "1h", "limit": DAY})
    assert answer.status_code == 200, answer.text
    klines: list[dict[str, str | int]] = answer.json()["klines"]
    return klines


def assert_same_shape(points: list[Point], closes: list[Decimal]) -> None:
    """Higher close, higher point (smaller y), in proportion: both scaled to 0..1 agree to within the
    rounding of points written to 0.01 (relative to the height the points span)."""
    low, high = min(closes), max(closes)
    top, bottom = min(y for _, y in points), max(y for _, y in points)
    tolerance = 0.02 / (bottom - top)
    for (_, y), close in zip(points, closes, strict=True):
        expected = float((close - low) / (high - low))
        drawn = (bottom - y) / (bottom - top)
        assert abs(expected - drawn) < tolerance, (points, closes)


def test_each_row_draws_the_last_24_hours_of_the_candles_the_klines_endpoint_serves(
    page: Page, local_feed: LocalFeed
) -> None:
    page.goto(local_feed.service.base_url + "/")
    expect(page.locator("html[data-ready=true]")).to_have_count(1)
    lines = drawn_lines(page)
    symbols = [s for s in local_feed.market.server.tickers if s != WITHOUT_CANDLES]
    assert sorted(lines) == sorted(symbols)
    for symbol in symbols:
        served = served_day(local_feed.service, symbol)
        # The service serves what the upstream holds: the newest 24 of the market's 30 hours.
        assert [Decimal(str(k["close"])) for k in served] == hourly_closes(symbol)[-DAY:]
        assert int(served[-1]["openTime"]) - int(served[0]["openTime"]) == (DAY - 1) * HOUR_MS
        # The price at each of the day's 25 hour boundaries: the first candle's open, then every close.
        prices = [Decimal(str(served[0]["open"]))] + [Decimal(str(k["close"])) for k in served]
        line = lines[symbol]
        points = parse(line["points"])
        assert len(points) == DAY + 1, symbol
        width = float(line["viewBox"].split()[2])
        xs = [x for x, _ in points]
        assert xs[0] == 0 and xs[-1] == width
        assert all(abs((b - a) - width / DAY) < 0.02 for a, b in itertools.pairwise(xs))
        assert_same_shape(points, prices)
        # The line's way is the row's 24 h change (the market's ticker opened where the day's first candle did).
        way = "rise" if prices[-1] > prices[0] else "fall" if prices[-1] < prices[0] else "flat"
        row_change = page.locator(f'#row-{symbol} [data-field="changePct"]')
        expect(row_change).to_have_class(re.compile(rf"\b{way}\b"))
        assert way in line["cls"].split(), (symbol, line["cls"])
        assert line["hidden"] == "true"  # the row states the change in words


def test_a_row_whose_candles_are_missing_shows_no_sparkline(page: Page, local_feed: LocalFeed) -> None:
    missing = httpx.get(f"{local_feed.service.base_url}/api/v1/markets/{WITHOUT_CANDLES}/klines?interval=1h")
    assert missing.status_code == 503
    page.goto(local_feed.service.base_url + "/")
    row = page.locator(f"#row-{WITHOUT_CANDLES}")
    expect(row.locator('[data-field="last"]')).not_to_be_empty()
    expect(row.locator("svg")).to_have_count(1)  # the star's icon only
    expect(row.locator("svg[data-spark], polyline")).to_have_count(0)
    expect(page.locator("#row-BTCUSDT svg[data-spark]")).to_have_count(1)


def test_the_last_point_follows_the_live_price(page: Page, local_feed: LocalFeed) -> None:
    symbol = "ETHUSDT"
    closes = hourly_closes(symbol)[-DAY - 1 :]  # the day's first open is the close before it
    page.goto(local_feed.service.base_url + "/")
    expect(page.locator('.conn[data-conn="live"]')).to_have_count(1)
    polyline = page.locator(f"#row-{symbol} svg[data-spark] polyline")
    before = parse(polyline.get_attribute("points") or "")
    top = str(max(closes) * 2)
    try:
        local_feed.market.push(symbol, last=top, high=top)
        expect(page.locator(f'#row-{symbol} [data-field="last"]')).to_have_text(f"{Decimal(top):,.2f}")
        # A new high: the last point goes to the top edge, the others keep their order, and the line rises.
        expect(page.locator(f"#row-{symbol} svg.spark.rise")).to_have_count(1)
        after = parse(polyline.get_attribute("points") or "")
        assert len(after) == DAY + 1 and after[-1][1] == min(y for _, y in after)
        assert [x for x, _ in after] == [x for x, _ in before]
        assert_same_shape(after[:-1], closes[:-1])
    finally:
        local_feed.market.push(symbol, last=str(closes[-1]), high=str(max(closes)))
    # Back to the candle's close: the line is the server's again (to the 0.01 its points are written in).
    page.wait_for_function(
        """([selector, y]) => {
            const points = document.querySelector(selector).getAttribute("points").trim().split(" ");
            return Math.abs(Number(points.at(-1).split(",")[1]) - y) < 0.05;
        }""",
        arg=[f"#row-{symbol} svg[data-spark] polyline", before[-1][1]],
    )
    restored = parse(polyline.get_attribute("points") or "")
    assert all(abs(a[1] - b[1]) < 0.05 for a, b in zip(restored, before, strict=True))


def test_the_line_takes_the_rise_and_fall_colours_of_the_theme(page: Page, service: Service) -> None:
    rise_colour = {}
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        # Live before the next navigation: leaving a socket mid-handshake logs a console error.
        open_live(page, service)
        colours = page.evaluate(
            """() => [...document.querySelectorAll("svg.spark.rise, svg.spark.fall")].slice(0, 6).map((svg) => {
                const probe = document.createElement("span");
                probe.className = svg.classList.contains("rise") ? "rise" : "fall";
                document.body.append(probe);
                const wanted = getComputedStyle(probe).color;
                probe.remove();
                return [getComputedStyle(svg.querySelector("polyline")).stroke, wanted];
            })"""
        )
        assert colours, "no rising or falling line on the simulator's list"
        for stroke, wanted in colours:
            assert stroke == wanted, scheme
        rise_colour[scheme] = page.evaluate(
            """() => { const probe = document.createElement("span"); probe.className = "rise";
                       document.body.append(probe); const colour = getComputedStyle(probe).color;
                       probe.remove(); return colour; }"""
        )
    assert rise_colour["light"] != rise_colour["dark"]


def test_live_prices_and_lines_cost_no_forced_layout(page: Page, service: Service) -> None:
    """Cells and lines are written, never measured: one layout per frame that changed the list at most,
    however many cells and lines it changed (a read after each write would add one layout each)."""
    open_live(page, service)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")

    def layouts() -> float:
        metrics = cdp.send("Performance.getMetrics")["metrics"]
        return float(next(m["value"] for m in metrics if m["name"] == "LayoutCount"))

    # The frames in which the list changed, and how many lines changed in them.
    page.evaluate(
        """() => {
            window.__frame = 0; window.__changedFrames = new Set(); window.__lines = 0;
            const tick = () => { window.__frame += 1; requestAnimationFrame(tick); };
            requestAnimationFrame(tick);
            new MutationObserver((records) => {
                window.__changedFrames.add(window.__frame);
                window.__lines += records.filter((r) => r.attributeName === "points").length;
            }).observe(document.querySelector("table.coins tbody"),
                       { subtree: true, childList: true, characterData: true, attributes: true });
        }"""
    )
    before = layouts()
    page.wait_for_function("() => window.__lines >= 40", timeout=20_000)
    spent = layouts() - before
    frames, lines = page.evaluate("() => [window.__changedFrames.size, window.__lines]")
    assert lines >= 40
    # A read after each write would cost about one layout per line on top of one per frame; other parts
    # of the page (summary, badges) may add a few of their own.
    assert spent < frames + lines / 2, f"{spent} layouts for {frames} frames that changed the list ({lines} lines)"


def test_on_the_simulator_the_line_and_the_change_agree(page: Page, service: Service) -> None:
    """The simulator's history passes through its 24 h open: a row that clearly rose draws a rising line.
    (Within a few seconds' moves of zero the two may differ: the line is re-read every few seconds.)"""
    page.goto(service.base_url + "/")
    rows = page.evaluate(
        """() => [...document.querySelectorAll("tr.coin")].map((row) => [
            row.dataset.symbol,
            Number(row.dataset.changePct),
            row.querySelector("svg[data-spark]")?.getAttribute("class"),
        ])"""
    )
    assert len(rows) == 20 and all(cls for _, _, cls in rows), "every simulated coin has a line"
    clear = [(symbol, change, cls) for symbol, change, cls in rows if abs(change) >= 1]
    assert all(("rise" if change > 0 else "fall") in cls.split() for _, change, cls in clear), clear
