"""알림: price alerts kept in the browser fire once, in the page, when the price reaches the target."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import TYPE_CHECKING

from playwright.sync_api import Page, WebSocketRoute, expect

from tests.support.ui import open_live

if TYPE_CHECKING:
    from tests.support.ui import Service


def test_a_price_alert_fires_once_when_the_price_is_reached(page: Page, service: Service) -> None:
    sockets: list[WebSocketRoute] = []

    def route(ws: WebSocketRoute) -> None:
        ws.connect_to_server()
        sockets.append(ws)

    page.route_web_socket(re.compile(r".*/ws/v1/market$"), route)
    open_live(page, service)
    last = Decimal(page.locator('[data-symbol="ETHUSDT"]').get_attribute("data-last") or "0")
    target = (last * 2).quantize(Decimal("0.01"))

    page.locator('.quickbar [data-panel="alerts"]').click()
    panel = page.locator("#panel")
    form = panel.locator("form.alert-form")
    form.locator("select[name=symbol]").select_option("ETHUSDT")
    expect(form.locator(".alert-form__hint")).to_contain_text("USDT")
    form.locator("input[name=price]").fill("abc")
    form.get_by_role("button", name="알림 만들기").click()
    expect(form.locator("[role=alert]")).to_contain_text("숫자로")
    form.locator("input[name=price]").fill(f"{target:,}")
    form.get_by_role("button", name="알림 만들기").click()
    expect(panel.locator(".alert-item")).to_have_count(1)
    expect(panel.locator(".alert-item")).to_contain_text("이더리움")
    expect(panel.locator(".alert-item")).to_contain_text("이상")
    stored = json.loads(page.evaluate("() => window.localStorage.getItem('covaex.alerts')"))
    assert stored["v"] == 1 and stored["items"][0]["price"] == str(target) and stored["items"][0]["rising"]

    # The price reaches the target (an update frame as the gateway sends it).
    reached = {"symbol": "ETHUSDT", "last": str(target + 1), "eventTime": 1}
    sockets[-1].send(json.dumps({"type": "update", "seq": 10**9, "source": "simulator", "data": [reached]}))
    expect(page.locator(".toasts")).to_contain_text("알림 가격")
    expect(page.locator(".toasts")).to_contain_text("이더리움")
    expect(panel.locator(".alert-item")).to_have_count(0)
    assert json.loads(page.evaluate("() => window.localStorage.getItem('covaex.alerts')"))["items"] == []
