"""End-to-end tests of the main page: a real service on the simulator feed, real headless Chromium."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, WebSocketRoute, expect

if TYPE_CHECKING:
    from tests.support.ui import Console, Service

DESKTOP: ViewportSize = {"width": 1440, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
GUEST_KEY = "covaex.watchlist"
PRICE = re.compile(r"^\d{1,3}(,\d{3})*\.\d{2,8}$")
CHANGE = re.compile(r"^[+-]?\d+\.\d{2}%$")


def open_live(page: Page, service: Service) -> None:
    """Load the page and wait until its scripts ran and the live feed is connected."""
    page.goto(service.base_url + "/")
    expect(page.locator("html[data-ready=true]")).to_have_count(1)
    expect(page.locator('.conn[data-conn="live"]')).to_have_count(1)


def guest_storage(page: Page) -> object:
    raw = page.evaluate(f"() => window.localStorage.getItem({json.dumps(GUEST_KEY)})")
    return None if raw is None else json.loads(raw)


def test_list_renders_from_ssr_before_any_javascript(browser: Browser, service: Service) -> None:
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(service.base_url + "/")
        rows = page.locator("[data-symbol]")
        expected = [market["symbol"] for market in service.markets()["markets"]]
        assert rows.count() == len(expected) >= 10
        btc = page.locator('[data-symbol="BTCUSDT"]')
        assert PRICE.match(btc.locator('[data-field="last"]').inner_text().strip())
        assert CHANGE.match(btc.locator('[data-field="changePct"]').inner_text().strip())
        assert btc.locator('button[data-action="watch"]').get_attribute("aria-pressed") == "false"
        assert page.locator("input[type=search]").count() == 1
        # The keyword chips are rendered too, from the same snapshot.
        assert page.locator('[data-chips="gainers"] .chip').count() == 3
        assert page.locator('[data-badge="simulator"]').is_visible()
    finally:
        context.close()


def test_page_loads_nothing_from_elsewhere(page: Page, service: Service) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    open_live(page, service)
    foreign = [url for url in requested if not url.startswith((service.base_url, "ws://127.0.0.1", "data:"))]
    assert foreign == []
    assert any(re.search(r"/static/js/main\.js\?v=[0-9a-f]{12}$", url) for url in requested)


def test_a_price_cell_changes_within_a_few_seconds(page: Page, service: Service) -> None:
    open_live(page, service)
    before = page.locator('[data-field="last"]').all_inner_texts()
    page.wait_for_function(
        "(before) => [...document.querySelectorAll('[data-field=\"last\"]')]"
        ".some((cell, index) => cell.textContent.trim() !== before[index].trim())",
        arg=before,
        timeout=10_000,
    )
    after = page.locator('[data-field="last"]').all_inner_texts()
    assert all(PRICE.match(text.strip()) for text in after)


def test_search_finds_eth_by_symbol_and_by_name(page: Page, service: Service) -> None:
    open_live(page, service)
    search = page.locator("input[type=search]")
    search.fill("ETH")
    option = page.locator('#search-results [role=option][data-coin="ETHUSDT"]')
    expect(option).to_be_visible()
    expect(search).to_have_attribute("aria-expanded", "true")
    # The best match comes first and Enter opens it.
    expect(page.locator("#search-results [role=option]").first).to_have_attribute("data-coin", "ETHUSDT")
    search.fill("비트")
    expect(page.locator('#search-results [role=option][data-coin="BTCUSDT"]')).to_be_visible()
    search.press("ArrowDown")
    active = search.get_attribute("aria-activedescendant")
    assert active and page.locator(f"#{active}").get_attribute("aria-selected") == "true"
    search.press("Escape")
    expect(page.locator("#search-results")).to_be_hidden()
    # Enter opens the best match's own page.
    search.fill("ETH")
    search.press("Enter")
    expect(page).to_have_url(service.base_url + "/coins/ETHUSDT")


def test_starring_as_a_guest_survives_a_reload(page: Page, service: Service) -> None:
    open_live(page, service)
    star = page.locator('[data-symbol="ETHUSDT"] button[data-action="watch"]')
    expect(star).to_have_attribute("aria-pressed", "false")
    star.click()
    expect(star).to_have_attribute("aria-pressed", "true")
    stored = guest_storage(page)
    assert isinstance(stored, dict) and stored["v"] == 1
    assert [item["symbol"] for item in stored["items"]] == ["ETHUSDT"]
    assert isinstance(stored["items"][0]["addedAt"], int)

    page.reload()
    expect(page.locator("html[data-ready=true]")).to_have_count(1)
    expect(page.locator('[data-symbol="ETHUSDT"] button[data-action="watch"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.locator('[data-symbol="BTCUSDT"] button[data-action="watch"]')).to_have_attribute(
        "aria-pressed", "false"
    )


def test_signup_and_login_merge_the_guest_star_and_clear_local_storage(
    page: Page, context: BrowserContext, service: Service
) -> None:
    open_live(page, service)
    page.locator('[data-symbol="SOLUSDT"] button[data-action="watch"]').click()
    assert [item["symbol"] for item in guest_storage(page)["items"]] == ["SOLUSDT"]  # type: ignore[index]

    page.get_by_role("button", name="로그인", exact=True).first.click()
    dialog = page.locator("#auth-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("tab", name="회원가입").click()
    username = f"ui{uuid.uuid4().hex[:12]}"
    dialog.locator("input[name=username]").fill(username)
    dialog.locator("input[name=password]").fill("correct-horse-battery-42")
    dialog.locator('[data-action="submit-auth"]').click()

    # Signup then login hash the password twice (argon2): allow for a loaded machine.
    expect(dialog).to_be_hidden(timeout=30_000)
    expect(page.locator(".profile__name")).to_have_text(username)
    expect(page.locator(".toasts")).to_contain_text("추가 1개")
    page.wait_for_function(f"() => window.localStorage.getItem({json.dumps(GUEST_KEY)}) === null")
    server = context.request.get(service.base_url + "/api/v1/watchlist")
    assert server.ok
    assert [item["symbol"] for item in server.json()["items"]] == ["SOLUSDT"]
    expect(page.locator('[data-symbol="SOLUSDT"] button[data-action="watch"]')).to_have_attribute(
        "aria-pressed", "true"
    )

    # Logged in, the watchlist is the server's: a star goes there, not to localStorage.
    page.locator('[data-symbol="BTCUSDT"] button[data-action="watch"]').click()
    expect(page.locator('[data-symbol="BTCUSDT"] button[data-action="watch"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    page.wait_for_function("async () => (await (await fetch('/api/v1/watchlist')).json()).items.length === 2")
    assert guest_storage(page) is None
    page.reload()
    expect(page.locator(".profile__name")).to_have_text(username)
    expect(page.locator('[data-symbol="BTCUSDT"] button[data-action="watch"]')).to_have_attribute(
        "aria-pressed", "true"
    )

    # Logging out from the profile menu (keyboard) goes back to an empty guest list.
    page.locator('[data-action="toggle-profile"]').click()
    expect(page.locator("#profile-menu")).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("menuitem", name="로그아웃")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator('[data-action="open-login"]').first).to_be_visible()
    expect(page.locator('[data-symbol="BTCUSDT"] button[data-action="watch"]')).to_have_attribute(
        "aria-pressed", "false"
    )


def test_guest_watchlist_panel_lists_the_guest_stars_and_offers_login(page: Page, service: Service) -> None:
    open_live(page, service)
    page.locator('[data-symbol="XRPUSDT"] button[data-action="watch"]').click()
    page.locator('.quickbar [data-panel="watchlist"]').click()
    panel = page.locator("#panel")
    expect(panel).to_be_visible()
    # The guest list works: it is shown, and login is offered, not demanded.
    expect(panel.locator('[data-coin="XRPUSDT"]')).to_be_visible()
    expect(panel).not_to_contain_text("로그인이 필요해요")
    expect(panel.locator('[data-gate="login"]')).to_contain_text("이 기기에 저장돼 있어요")
    panel.locator('[data-gate="login"] [data-action="open-login"]').click()
    expect(page.locator("#auth-dialog")).to_be_visible()
    expect(page.locator("#auth-dialog input[name=username]")).to_be_focused()


def test_quick_bar_panels(page: Page, service: Service) -> None:
    open_live(page, service)
    page.locator('.quickbar [data-panel="movers"]').click()
    panel = page.locator("#panel")
    expect(panel.locator("[data-coin]").first).to_be_visible()
    # No dead ends: every quick-bar button opens something that works.
    expect(page.locator(".quickbar [data-panel]")).to_have_count(4)
    expect(page.locator('.quickbar [data-panel="portfolio"]')).to_have_count(0)
    # Viewing a coin lands it in "recently viewed".
    page.locator('[data-symbol="XRPUSDT"] a[data-action="view"]').click()
    expect(page).to_have_url(service.base_url + "/coins/XRPUSDT")
    expect(page.locator("html[data-ready=true]")).to_have_count(1)
    page.locator('.quickbar [data-panel="recent"]').click()
    expect(panel.locator('[data-coin="XRPUSDT"]')).to_be_visible()


def test_coin_list_sorts_by_change(page: Page, service: Service) -> None:
    open_live(page, service)
    header = page.locator("th:has(button[data-sort=changePct])")
    # Click and read in one task, so no live update lands in between.
    values = page.evaluate(
        """() => {
            document.querySelector('button[data-sort=changePct]').click();
            return [...document.querySelectorAll('tbody tr[data-symbol]')].map((row) => Number(row.dataset.changePct));
        }"""
    )
    expect(header).to_have_attribute("aria-sort", "descending")
    assert values == sorted(values, reverse=True)
    header.locator("button").focus()
    page.keyboard.press("Enter")
    expect(header).to_have_attribute("aria-sort", "ascending")


def test_formatting_in_the_browser_matches_the_server(page: Page, service: Service) -> None:
    from covaex_service.ui.page import format_change, format_price, format_volume

    prices = ["97123.455", "3456.7", "0.61235", "0.0000123456", "1", "0.01", "12345678.905"]
    changes = ["2.345", "-0.004", "0", "-1.5", "0.005", "-12.3449"]
    volumes = ["123.4", "1234567", "28395365511.53", "1500000000000"]
    open_live(page, service)
    got = page.evaluate(
        """async ([prices, changes, volumes]) => {
            const f = await import('/static/js/format.js');
            return [prices.map(f.formatPrice), changes.map(f.formatChange), volumes.map(f.formatVolume)];
        }""",
        [prices, changes, volumes],
    )
    assert got == [
        [format_price(p) for p in prices],
        [format_change(c) for c in changes],
        [format_volume(v) for v in volumes],
    ]


def test_lost_connection_is_shown_marked_stale_then_reconnected_and_resubscribed(page: Page, service: Service) -> None:
    subscribes: list[str] = []
    sockets: list[WebSocketRoute] = []
    refuse = {"on": False}

    def route(ws: WebSocketRoute) -> None:
        if refuse["on"]:
            ws.close(code=1013, reason="test: try again later")
            return
        server = ws.connect_to_server()
        sockets.append(ws)

        def from_page(message: str | bytes) -> None:
            if isinstance(message, str) and '"subscribe"' in message:
                subscribes.append(message)
            server.send(message)

        ws.on_message(from_page)

    page.route_web_socket(re.compile(r".*/ws/v1/market$"), route)
    open_live(page, service)
    assert len(subscribes) == 1
    stale_badge = page.locator('[data-badge="stale"]')
    expect(stale_badge).to_be_hidden()

    refuse["on"] = True
    sockets[0].close(code=1012, reason="test: service restart")
    expect(page.locator('.conn[data-conn="live"]')).to_have_count(0)
    # A few seconds without a connection: the prices are marked as not current.
    expect(stale_badge).to_be_visible()
    expect(page.locator('#markets[data-stale="true"]')).to_have_count(1)

    refuse["on"] = False
    expect(page.locator('.conn[data-conn="live"]')).to_have_count(1, timeout=20_000)
    expect(stale_badge).to_be_hidden()
    assert len(subscribes) == 2
    assert json.loads(subscribes[1])["symbols"] == json.loads(subscribes[0])["symbols"]


def test_screenshots_desktop_and_phone(browser: Browser, service: Service, console: Console, tmp_path: Path) -> None:
    # Into a temporary folder: a test never writes tracked files (the docs take theirs from `covaex docs build`).
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context = browser.new_context(
            viewport=viewport,
            device_scale_factor=1,
            is_mobile=name == "phone",
            has_touch=name == "phone",
            locale="ko-KR",
            timezone_id="Asia/Seoul",
        )
        try:
            page = context.new_page()
            console.watch(page)
            open_live(page, service)
            page.locator('[data-symbol="BTCUSDT"] button[data-action="watch"]').click()
            page.locator('[data-symbol="ETHUSDT"] button[data-action="watch"]').click()
            page.evaluate("() => document.querySelectorAll('.toast').forEach((toast) => toast.remove())")
            # A calm first screen: scrolled to the top, nothing hovered or focused.
            page.mouse.move(0, viewport["height"] - 1)
            page.evaluate("() => { document.activeElement.blur(); window.scrollTo(0, 0); }")
            page.wait_for_timeout(1200)  # let the flash of the latest ticks settle into a typical frame
            # Responsive: nothing sticks out sideways, down to a phone's width.
            assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
            path: Path = tmp_path / f"main-{name}.png"
            page.screenshot(path=str(path))
            assert path.stat().st_size > 10_000
            assert console.errors == []
        finally:
            context.close()
