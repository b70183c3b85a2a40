"""The header in every state: guest and logged in, on a desktop and on a phone."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, ViewportSize, expect

from tests.support.ui import DESKTOP, PHONE, open_live, sign_up_and_log_in

if TYPE_CHECKING:
    from tests.support.ui import Console, Service

# One row on a desktop; on a phone the search takes a second row of its own, never a third.
MAX_HEADER_HEIGHT = {"desktop": 80, "phone": 130}


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("who", ["guest", "user"])
def test_header_shows_exactly_one_account_control_and_fits(
    browser: Browser, service: Service, console: Console, size: str, who: str
) -> None:
    viewport: ViewportSize = DESKTOP if size == "desktop" else PHONE
    context = browser.new_context(
        viewport=viewport, is_mobile=size == "phone", has_touch=size == "phone", locale="ko-KR"
    )
    try:
        username = sign_up_and_log_in(context, service) if who == "user" else ""
        page = context.new_page()
        console.watch(page)
        open_live(page, service)
        login = page.locator('.account [data-action="open-login"]')
        profile = page.locator(".account .profile")
        if who == "user":
            expect(profile).to_be_visible()
            expect(page.locator(".profile__name")).to_have_text(username)
            expect(login).to_be_hidden()
        else:
            expect(login).to_be_visible()
            expect(profile).to_be_hidden()

        header = page.locator(".topbar").bounding_box()
        assert header is not None
        assert header["y"] == 0
        assert header["height"] <= MAX_HEADER_HEIGHT[size], header
        # Every visible control of the header lies inside it and inside the viewport.
        boxes = page.evaluate(
            """() => [...document.querySelectorAll('.topbar__inner > *, .account button, .conn, .badge')]
                .filter((node) => node.getClientRects().length > 0)
                .map((node) => { const r = node.getBoundingClientRect();
                    return {name: node.className, top: r.top, bottom: r.bottom, left: r.left, right: r.right}; })"""
        )
        assert boxes
        for box in boxes:
            assert box["top"] >= 0 and box["bottom"] <= header["height"] + 0.5, box
            assert box["left"] >= 0 and box["right"] <= viewport["width"], box
        assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
        assert console.errors == []
    finally:
        context.close()
