"""Stars are never lost: two tabs or devices editing at once, logged in and as a guest."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.support.ui import DESKTOP, open_live, sign_up_and_log_in

if TYPE_CHECKING:
    from tests.support.ui import Console, Service

GUEST_KEY = "covaex.watchlist"


def star(page: Page, symbol: str) -> None:
    """Click a star without waiting for anything: the other tab's click lands while this one is in flight."""
    page.evaluate(
        "(symbol) => document.querySelector(`[data-symbol='${symbol}'] button[data-action=watch]`).click()", symbol
    )


def expect_starred(page: Page, symbols: set[str], universe: set[str]) -> None:
    for symbol in universe:
        expect(page.locator(f'[data-symbol="{symbol}"] button[data-action="watch"]')).to_have_attribute(
            "aria-pressed", "true" if symbol in symbols else "false"
        )


def new_context(browser: Browser) -> BrowserContext:
    context = browser.new_context(viewport=DESKTOP, locale="ko-KR")
    context.set_default_timeout(20_000)
    return context


@contextmanager
def guest_tabs(browser: Browser, service: Service, console: Console) -> Iterator[tuple[Page, Page]]:
    """Two tabs of one browser, live on the main page, nobody logged in."""
    context = new_context(browser)
    try:
        tab1, tab2 = context.new_page(), context.new_page()
        for page in (tab1, tab2):
            console.watch(page)
            open_live(page, service)
        yield tab1, tab2
    finally:
        context.close()


def stored_symbols(page: Page) -> set[str]:
    stored = json.loads(page.evaluate(f"() => window.localStorage.getItem({json.dumps(GUEST_KEY)})"))
    return {item["symbol"] for item in stored["items"]}


def test_two_devices_logged_in_editing_at_once_lose_nothing(
    browser: Browser, service: Service, console: Console
) -> None:
    first, second = new_context(browser), new_context(browser)
    try:
        username = sign_up_and_log_in(first, service)
        sign_up_and_log_in(second, service, username)
        tab1, tab2 = first.new_page(), second.new_page()
        for page in (tab1, tab2):
            console.watch(page)
            open_live(page, service)
            expect(page.locator(".profile__name")).to_have_text(username)
        star(tab1, "BTCUSDT")
        expect_starred(tab1, {"BTCUSDT"}, {"BTCUSDT"})
        tab2.evaluate("() => window.dispatchEvent(new Event('focus'))")
        expect_starred(tab2, {"BTCUSDT"}, {"BTCUSDT"})

        # The reported sequence: XRP added in tab 1 while tab 2 adds ADA; BTC removed in tab 2
        # while tab 1 adds LINK. With whole-list writes the last one undid the other.
        star(tab1, "XRPUSDT")
        star(tab2, "ADAUSDT")
        star(tab2, "BTCUSDT")
        star(tab1, "LINKUSDT")
        wanted = {"XRPUSDT", "ADAUSDT", "LINKUSDT"}
        universe = wanted | {"BTCUSDT"}
        tab1.wait_for_function(
            "async (n) => (await (await fetch('/api/v1/watchlist')).json()).items.length === n", arg=len(wanted)
        )
        server = first.request.get(service.base_url + "/api/v1/watchlist").json()
        assert {item["symbol"] for item in server["items"]} == wanted

        # Each device follows the other when it comes back into focus.
        for page in (tab1, tab2):
            page.evaluate("() => window.dispatchEvent(new Event('focus'))")
            expect_starred(page, wanted, universe)
        assert console.errors == []
    finally:
        first.close()
        second.close()


def test_two_tabs_of_one_account_follow_each_other_without_focus(
    browser: Browser, service: Service, console: Console
) -> None:
    context = new_context(browser)
    try:
        sign_up_and_log_in(context, service)
        tab1, tab2 = context.new_page(), context.new_page()
        for page in (tab1, tab2):
            console.watch(page)
            open_live(page, service)
        star(tab1, "DOGEUSDT")
        # The BroadcastChannel tells the other tab; no reload, no focus.
        expect_starred(tab2, {"DOGEUSDT"}, {"DOGEUSDT", "BTCUSDT"})
        star(tab2, "DOGEUSDT")
        expect_starred(tab1, set(), {"DOGEUSDT"})
        assert console.errors == []
    finally:
        context.close()


def test_two_guest_tabs_editing_at_once_lose_nothing(browser: Browser, service: Service, console: Console) -> None:
    with guest_tabs(browser, service, console) as (tab1, tab2):
        star(tab1, "BTCUSDT")
        expect_starred(tab2, {"BTCUSDT"}, {"BTCUSDT"})
        star(tab1, "XRPUSDT")
        star(tab2, "ADAUSDT")  # tab 2 may not have heard of XRP yet
        star(tab2, "BTCUSDT")
        star(tab1, "LINKUSDT")
        wanted = {"XRPUSDT", "ADAUSDT", "LINKUSDT"}
        # Both tabs show the merged list (the storage event), without a reload, and both read it stored.
        for page in (tab1, tab2):
            expect_starred(page, wanted, wanted | {"BTCUSDT"})
        assert stored_symbols(tab1) == stored_symbols(tab2) == wanted
        # One tab writes for both: localStorage has no transactions across renderer processes.
        held = tab2.evaluate("async () => (await navigator.locks.query()).held.map((lock) => lock.name)")
        assert held == ["covaex.watchlist.writer"]
        assert console.errors == []


def test_two_guest_tabs_starring_in_bursts_lose_nothing(browser: Browser, service: Service, console: Console) -> None:
    """Both tabs star their own half of the list on timers of their own: their changes overlap in time.

    Each tab keeps its own copy of localStorage and learns of the other's writes a moment
    later, so tabs that each rewrote the whole list lost stars here; the writer tab keeps all.
    """
    with guest_tabs(browser, service, console) as (tab1, tab2):
        symbols = tab1.evaluate(
            "() => [...new Set([...document.querySelectorAll('[data-symbol] button[data-action=watch]')]"
            ".map((button) => button.closest('[data-symbol]').dataset.symbol))]"
        )
        assert len(symbols) >= 10
        halves = {tab1: symbols[0::2][:8], tab2: symbols[1::2][:8]}
        burst = """(symbols) => symbols.forEach((symbol, i) => setTimeout(() => document
            .querySelector(`[data-symbol='${symbol}'] button[data-action=watch]`).click(), 3 * i))"""
        for page, mine in halves.items():
            page.evaluate(burst, mine)
        wanted = set(halves[tab1]) | set(halves[tab2])
        for page in (tab1, tab2):
            expect_starred(page, wanted, wanted)
            assert stored_symbols(page) == wanted
        assert console.errors == []
