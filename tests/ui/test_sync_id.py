"""Issue 16 item 14, in the browser: a pending guest-sync id belongs to one login and is dropped at logout."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING

from playwright.sync_api import BrowserContext, Page, Route, expect

if TYPE_CHECKING:
    from tests.support.ui import Service

SYNC = "**/api/v1/watchlist/sync"


def sign_up_and_log_in(page: Page) -> None:
    page.get_by_role("button", name="로그인", exact=True).first.click()
    dialog = page.locator("#auth-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("tab", name="회원가입").click()
    dialog.locator("input[name=username]").fill(f"ui{uuid.uuid4().hex[:12]}")
    dialog.locator("input[name=password]").fill("correct-horse-battery-42")
    dialog.locator('[data-action="submit-auth"]').click()
    expect(dialog).to_be_hidden(timeout=30_000)  # two Argon2 hashes on a loaded machine


def log_out(page: Page) -> None:
    page.locator('[data-action="toggle-profile"]').click()
    page.get_by_role("menuitem", name="로그아웃").click()
    expect(page.locator('[data-action="open-login"]').first).to_be_visible()


def test_a_failed_sync_is_retried_under_a_new_id_after_logout(context: BrowserContext, service: Service) -> None:
    # Its own page, without the console watcher: the refused sync is logged by Chromium as a failed request.
    page = context.new_page()
    page.goto(service.base_url + "/")
    expect(page.locator("html[data-ready=true]")).to_have_count(1)
    page.locator('[data-symbol="SOLUSDT"] button[data-action="watch"]').click()

    refused: list[str] = []

    def unavailable(route: Route) -> None:
        refused.append(json.loads(route.request.post_data or "{}")["syncId"])
        body = {"error": {"code": "unavailable", "message": "try again shortly"}}
        route.fulfill(status=503, content_type="application/json", headers={"Retry-After": "1"}, body=json.dumps(body))

    page.route(SYNC, unavailable)
    sign_up_and_log_in(page)
    for _ in range(100):  # the sync follows the login; route handlers run while the page waits
        if refused:
            break
        page.wait_for_timeout(100)
    assert len(refused) == 1, refused  # the sync failed: the guest star stays local, the id stays pending
    log_out(page)
    page.unroute(SYNC)

    with page.expect_request(lambda request: request.url.endswith("/api/v1/watchlist/sync")) as sent:
        sign_up_and_log_in(page)
    # Another login, another account: the id of the first login's pending sync is not replayed.
    assert sent.value.post_data_json["syncId"] != refused[0]
