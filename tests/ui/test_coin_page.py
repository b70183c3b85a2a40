"""The coin page /coins/<SYMBOL>: server-rendered, a live candle chart with intervals, 24 h stats, the star,
links from the list and search, a back button that keeps the list's scroll, and old /#row- links."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.support.ui import DESKTOP, open_live

if TYPE_CHECKING:
    from tests.support.ui import Service

PRICE = re.compile(r"^\d{1,3}(,\d{3})*\.\d{2,8}$")


def test_the_coin_page_is_server_rendered_from_the_cache(browser: Browser, service: Service) -> None:
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    try:
        page = context.new_page()
        response = page.goto(service.base_url + "/coins/ethusdt")
        assert response is not None and response.status == 200
        expect(page).to_have_title(re.compile("이더리움 ETH"))
        expect(page.locator("h1")).to_contain_text("이더리움")
        assert PRICE.match(page.locator('.coin-head [data-field="last"]').inner_text().strip())
        for key in ("open", "high", "low", "volume", "quoteVolume"):
            assert page.locator(f'.coin-stats [data-field="{key}"]').inner_text().strip() not in ("", "—"), key
        expect(page.locator(".intervals [data-interval]")).to_have_count(3)
        expect(page.locator('a.back[href="/"]')).to_be_visible()
    finally:
        context.close()


def test_an_unknown_coin_gets_a_korean_page(service: Service) -> None:
    answer = httpx.get(service.base_url + "/coins/NOPEUSDT", timeout=5)
    assert answer.status_code == 404
    assert "text/html" in answer.headers["content-type"]
    assert "찾을 수 없는 코인이에요" in answer.text


def test_the_chart_draws_history_follows_the_live_candle_and_switches_interval(page: Page, service: Service) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    open_live(page, service, "/coins/BTCUSDT")
    chart = page.locator("#chart")
    expect(chart).to_have_attribute("data-interval", "1m")
    assert int(chart.get_attribute("data-bars") or 0) > 100
    expect(chart.locator("canvas").first).to_be_visible()
    expect(page.locator("[data-chart-status]")).to_contain_text("시뮬레이터")
    # The live candle arrives over the WebSocket and moves the last bar.
    expect(chart).to_have_attribute("data-live-close", re.compile(r"^\d+(\.\d+)?$"))
    first = chart.get_attribute("data-live-close")
    page.wait_for_function(
        "(first) => document.querySelector('#chart').dataset.liveClose !== first", arg=first, timeout=15_000
    )
    # The vendored chart library, served by the service itself.
    assert any("/static/vendor/lightweight-charts.standalone.production.js?v=" in url for url in requested)
    assert not [url for url in requested if not url.startswith((service.base_url, "ws://127.0.0.1", "data:"))]

    page.locator('.intervals [data-interval="1h"]').click()
    expect(page.locator('.intervals [data-interval="1h"]')).to_have_attribute("aria-pressed", "true")
    expect(chart).to_have_attribute("data-interval", "1h")
    hourly = httpx.get(service.base_url + "/api/v1/markets/BTCUSDT/klines?interval=1h&limit=1", timeout=5).json()
    expect(chart).to_have_attribute("data-live-open-time", str(hourly["klines"][-1]["openTime"]))


def test_the_star_on_the_coin_page_is_the_watchlist(page: Page, service: Service) -> None:
    open_live(page, service, "/coins/SOLUSDT")
    star = page.locator('.coin-head [data-action="toggle-watch"]')
    expect(star).to_have_attribute("aria-pressed", "false")
    star.click()
    expect(star).to_have_attribute("aria-pressed", "true")
    stored = json.loads(page.evaluate("() => window.localStorage.getItem('covaex.watchlist')"))
    assert [item["symbol"] for item in stored["items"]] == ["SOLUSDT"]
    page.goto(service.base_url + "/")
    expect(page.locator('[data-symbol="SOLUSDT"] button[data-action="watch"]')).to_have_attribute(
        "aria-pressed", "true"
    )


def test_rows_link_to_the_coin_and_back_returns_to_the_same_scroll(page: Page, service: Service) -> None:
    page.set_viewport_size({"width": 1280, "height": 600})
    open_live(page, service)
    link = page.locator('[data-symbol="LINKUSDT"] a.coin__link')
    link.scroll_into_view_if_needed()
    page.evaluate("() => window.scrollBy(0, 120)")
    before = page.evaluate("() => window.scrollY")
    assert before > 200
    link.click()
    expect(page).to_have_url(service.base_url + "/coins/LINKUSDT")
    expect(page.locator("html[data-ready=true]")).to_have_count(1)
    page.locator("a.back").click()
    expect(page).to_have_url(service.base_url + "/")
    page.wait_for_function("(y) => Math.abs(window.scrollY - y) <= 2", arg=before, timeout=10_000)


def test_search_results_and_old_row_links_open_the_coin_page(page: Page, service: Service) -> None:
    open_live(page, service)
    search = page.locator("input[type=search]")
    search.fill("XRP")
    search.press("Enter")
    expect(page).to_have_url(service.base_url + "/coins/XRPUSDT")
    page.goto(service.base_url + "/#row-ETHUSDT")
    expect(page).to_have_url(service.base_url + "/coins/ETHUSDT")
    expect(page.locator("h1")).to_contain_text("이더리움")
