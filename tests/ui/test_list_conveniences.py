"""What a user of Upbit or Toss reaches for: 초성 and exchange-style pair search, '/' to search, live prices
in the results, a 관심 tab filtering the list, dark mode following the system."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.ui import DESKTOP, open_live

if TYPE_CHECKING:
    from tests.support.ui import Service


@pytest.mark.parametrize(
    ("query", "best"),
    [("ㅂㅌ", "BTCUSDT"), ("ㅇㄷㄹ", "ETHUSDT"), ("BTC/USDT", "BTCUSDT"), ("KRW-BTC", "BTCUSDT"),
     ("eth-usdt", "ETHUSDT"), ("USDT-SOL", "SOLUSDT"), ("ㅇㅅㅇㅍ", "XRPUSDT")],
)  # fmt: skip
def test_search_understands_choseong_and_pairs(page: Page, service: Service, query: str, best: str) -> None:
    open_live(page, service)
    search = page.locator("input[type=search]")
    search.fill(query)
    expect(page.locator("#search-results [role=option]").first).to_have_attribute("data-coin", best)


def test_slash_focuses_search_and_types_into_it(page: Page, service: Service) -> None:
    open_live(page, service)
    page.locator("body").click(position={"x": 5, "y": 400})
    page.keyboard.press("/")
    search = page.locator("input[type=search]")
    expect(search).to_be_focused()
    page.keyboard.type("BTC/USDT")
    expect(search).to_have_value("BTC/USDT")
    expect(page.locator("#search-results [role=option]").first).to_have_attribute("data-coin", "BTCUSDT")


def test_prices_in_search_results_stay_live(page: Page, service: Service) -> None:
    open_live(page, service)
    page.locator("input[type=search]").fill("USDT")
    prices = page.locator("#search-results .search__option-price")
    expect(prices.first).not_to_have_text("")
    before = prices.all_inner_texts()
    page.wait_for_function(
        "(before) => [...document.querySelectorAll('#search-results .search__option-price')]"
        ".some((cell, i) => cell.textContent !== before[i])",
        arg=before,
        timeout=15_000,
    )


def test_the_watch_tab_filters_the_list(page: Page, service: Service) -> None:
    open_live(page, service)
    rows = page.locator("tbody tr[data-symbol]:visible")
    total = rows.count()
    page.locator(".list-tab[data-filter=watch]").click()
    expect(rows).to_have_count(0)
    expect(page.locator("[data-watch-empty]")).to_be_visible()
    page.locator(".list-tab[data-filter=all]").click()
    for symbol in ("ETHUSDT", "SOLUSDT"):
        page.locator(f'[data-symbol="{symbol}"] button[data-action="watch"]').click()
    page.locator(".list-tab[data-filter=watch]").click()
    expect(page.locator(".list-tab[data-filter=watch]")).to_have_attribute("aria-pressed", "true")
    expect(rows).to_have_count(2)
    page.locator('[data-symbol="SOLUSDT"] button[data-action="watch"]').click()
    expect(rows).to_have_count(1)
    page.locator(".list-tab[data-filter=all]").click()
    expect(rows).to_have_count(total)


def test_dark_mode_follows_the_system(browser: Browser, service: Service) -> None:
    colours = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(viewport=DESKTOP, color_scheme=scheme)  # type: ignore[arg-type]
        try:
            page = context.new_page()
            open_live(page, service)
            colours[scheme] = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        finally:
            context.close()
    assert colours == {"light": "rgb(242, 244, 246)", "dark": "rgb(23, 23, 28)"}
