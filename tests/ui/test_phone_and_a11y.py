"""A phone's first screen is the market, every touch target is a finger's size, focus survives live updates,
and axe-core (from npm, pinned) finds no serious or critical violation on either page, logged out or in."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.support.ui import DESKTOP, PHONE, open_live, sign_up_and_log_in

if TYPE_CHECKING:
    from tests.support.ui import Console, Service

AXE = Path(__file__).resolve().parents[2] / "tools" / "lint" / "node_modules" / "axe-core" / "axe.min.js"
TOUCH = 44


def phone_context(browser: Browser, **options: Any) -> BrowserContext:
    return browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="ko-KR", **options)


def test_a_phones_first_screen_shows_at_least_six_coin_rows(browser: Browser, service: Service) -> None:
    context = phone_context(browser)
    try:
        page = context.new_page()
        open_live(page, service)
        visible = page.evaluate(
            """() => {
                const bar = document.querySelector('.quickbar').getBoundingClientRect();
                const bottom = Math.min(window.innerHeight, bar.top);
                return [...document.querySelectorAll('tbody tr[data-symbol]')]
                    .map((row) => row.getBoundingClientRect())
                    .filter((box) => box.top >= 0 && box.bottom <= bottom)
                    .length;
            }"""
        )
        assert visible >= 6
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/", "/coins/BTCUSDT"])
def test_touch_targets_are_a_fingers_size_on_a_phone(browser: Browser, service: Service, path: str) -> None:
    context = phone_context(browser)
    try:
        page = context.new_page()
        open_live(page, service, path)
        small = page.evaluate(
            """(size) => [...document.querySelectorAll('button, a[href], input, select, [role=tab]')]
                .filter((node) => node.getClientRects().length > 0 && !node.closest('[hidden], .visually-hidden'))
                .filter((node) => !node.matches('.skip-link, .chart__credit a'))
                .map((node) => { const r = node.getBoundingClientRect();
                    return {what: node.outerHTML.slice(0, 80), width: r.width, height: r.height}; })
                .filter((box) => box.width < size - 0.5 || box.height < size - 0.5)""",
            TOUCH,
        )
        assert small == []
    finally:
        context.close()


def test_the_quick_bar_comes_early_in_the_tab_order(page: Page, service: Service) -> None:
    open_live(page, service)
    for _ in range(15):
        page.keyboard.press("Tab")
        if page.evaluate("() => Boolean(document.activeElement.closest('.quickbar'))"):
            break
    else:
        pytest.fail("the quick bar is not within the first 15 tab stops")


# Counts the live updates that reached an element (prices, re-ranking): the test waits for updates
# that happened, not for a time in which they may not have.
COUNT_UPDATES = """(selector) => {
    window.__updates = 0;
    new MutationObserver((records) => { window.__updates += records.length; }).observe(
        document.querySelector(selector), { subtree: true, childList: true, characterData: true });
}"""
UPDATES = 6


def test_live_updates_never_take_keyboard_focus_away(page: Page, service: Service) -> None:
    open_live(page, service)
    page.locator('.quickbar [data-panel="movers"]').click()
    first = page.locator("#panel .panel-item").first
    first.focus()
    focused = first.get_attribute("data-coin")
    page.evaluate(COUNT_UPDATES, "#panel")
    page.wait_for_function(f"() => window.__updates >= {UPDATES}", timeout=20_000)
    assert page.evaluate("() => document.activeElement.closest('#panel') !== null")
    assert page.evaluate("() => document.activeElement.dataset.coin") == focused
    sort = page.locator("button[data-sort=changePct]")
    sort.focus()
    page.evaluate(COUNT_UPDATES, "table.coins tbody")
    page.wait_for_function(f"() => window.__updates >= {UPDATES}", timeout=20_000)
    expect(sort).to_be_focused()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .filter((v) => v.impact === 'serious' || v.impact === 'critical')
            .map((v) => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' '))}))"""
    )
    return list(result)


@pytest.mark.parametrize("who", ["guest", "user"])
@pytest.mark.parametrize("path", ["/", "/coins/ETHUSDT"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_serious(
    browser: Browser, service: Service, console: Console, who: str, path: str, scheme: str
) -> None:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: scripts/setup.sh installs the pinned axe-core")
    # axe is injected as an inline script, which the page's CSP (rightly) refuses: bypass it for the audit only.
    context = browser.new_context(viewport=DESKTOP, locale="ko-KR", bypass_csp=True, color_scheme=scheme)  # type: ignore[arg-type]
    try:
        if who == "user":
            sign_up_and_log_in(context, service)
        page = context.new_page()
        console.watch(page)
        open_live(page, service, path)
        if who == "user":
            expect(page.locator(".profile")).to_be_visible()
        assert axe_violations(page) == []
        assert console.errors == []
    finally:
        context.close()
