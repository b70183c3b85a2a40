"""Honest liveness: a silently dead connection or an offline browser is noticed within 5 s,
and the live badge is never green beside stale prices."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import BrowserContext, Page, WebSocketRoute, expect

from tests.ui.conftest import open_live

if TYPE_CHECKING:
    from tests.ui.conftest import Service

# The page promises 5 s; the bound is asserted with slack for a loaded shared machine.
DEAD_WITHIN_MS = 5_000
SLACK_MS = 3_000


def test_a_silently_dead_connection_is_noticed_by_the_missing_pong(page: Page, service: Service) -> None:
    silent = {"on": False}

    def route(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        # The network "goes away": nothing more reaches the page, and the socket never closes.
        server.on_message(lambda message: None if silent["on"] else ws.send(message))

    page.route_web_socket(re.compile(r".*/ws/v1/market$"), route)
    open_live(page, service)
    silent["on"] = True
    started = page.evaluate("() => Date.now()")
    expect(page.locator('.conn[data-conn="live"]')).to_have_count(0, timeout=DEAD_WITHIN_MS + SLACK_MS)
    noticed_after = page.evaluate("() => Date.now()") - started
    assert noticed_after <= DEAD_WITHIN_MS + SLACK_MS
    silent["on"] = False
    expect(page.locator('.conn[data-conn="live"]')).to_have_count(1, timeout=20_000)


def test_the_offline_event_is_shown_at_once(page: Page, context: BrowserContext, service: Service) -> None:
    open_live(page, service)
    context.set_offline(True)
    try:
        expect(page.locator('.conn[data-conn="offline"]')).to_have_count(1, timeout=DEAD_WITHIN_MS)
    finally:
        context.set_offline(False)
    expect(page.locator('.conn[data-conn="live"]')).to_have_count(1, timeout=20_000)


@pytest.mark.xfail(
    strict=False,
    reason="races the live server's own frames (about 1 run in 5 under load): the staged outage needs a "
    "server-side stale feed instead of an injected frame (issue 17, open)",
)
def test_the_badge_is_not_green_while_the_feed_is_stale(page: Page, service: Service) -> None:
    sockets: list[WebSocketRoute] = []
    held = [False]  # while the outage is staged, the live server's fresh frames are held back (pongs pass)

    def route(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        server.on_message(lambda message: None if held[0] and '"pong"' not in str(message) else ws.send(message))
        sockets.append(ws)

    page.route_web_socket(re.compile(r".*/ws/v1/market$"), route)
    open_live(page, service)
    # The gateway's status frame of a feed outage, as the protocol documents it.
    held[0] = True
    sockets[0].send('{"type": "status", "source": "simulator", "stale": true}')
    expect(page.locator('[data-badge="stale"]')).to_be_visible()
    expect(page.locator('.conn[data-conn="stale"]')).to_have_count(1)
    expect(page.locator('.conn[data-conn="live"]')).to_have_count(0)
    expect(page.locator(".conn__text")).not_to_have_text("실시간")
    held[0] = False
    sockets[0].send('{"type": "status", "source": "simulator", "stale": false}')
    expect(page.locator('.conn[data-conn="live"]')).to_have_count(1)
    expect(page.locator('[data-badge="stale"]')).to_be_hidden()
