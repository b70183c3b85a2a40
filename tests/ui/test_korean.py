"""The page speaks Korean: every error code the service can answer with has a Korean sentence,
and the server's English message never reaches the screen."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from covaex_service.error_codes import CODES
from playwright.sync_api import BrowserContext, Page, expect

from tests.support.ui import open_live

if TYPE_CHECKING:
    from tests.support.ui import Service

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def test_every_error_code_has_a_korean_sentence(page: Page, service: Service) -> None:
    """The registry (covaex_service.error_codes) and errors.js name the same codes: none without its
    sentence, no sentence for a code the service no longer sends."""
    open_live(page, service)
    sentences = page.evaluate(
        """async () => {
            const errors = await import('/static/js/errors.js');
            return Object.fromEntries(errors.ERROR_CODES.map((code) => [code, errors.koreanError(code, 400)]));
        }"""
    )
    assert set(sentences) == CODES
    for code, sentence in sentences.items():
        assert HANGUL.search(sentence) and not re.search(r"[A-Za-z]{3,}", sentence), (code, sentence)


def test_api_failures_come_back_in_korean_not_the_servers_english(context: BrowserContext, service: Service) -> None:
    page = context.new_page()  # not the console-watching fixture: the browser logs each 4xx asked for here
    open_live(page, service)
    results = page.evaluate(
        """async () => {
            const { api } = await import('/static/js/api.js');
            return [
                await api('PUT', '/api/v1/watchlist/BTCUSDT'),      // guest: 401 "log in first"
                await api('POST', '/api/v1/auth/login', {}),        // 400 invalid_request
                await api('GET', '/api/v1/no-such-route'),          // Sanic's own 404
            ];
        }"""
    )
    for result in results:
        assert not result["ok"]
        english = result["data"]["error"]["message"]
        assert result["message"] != english and english not in result["message"]
        assert HANGUL.search(result["message"]), result


def test_signup_rules_are_checked_in_korean_before_sending(page: Page, service: Service) -> None:
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if "/auth/signup" in request.url else None)
    open_live(page, service)
    page.locator('.account [data-action="open-login"]').click()
    dialog = page.locator("#auth-dialog")
    dialog.get_by_role("tab", name="회원가입").click()
    error = dialog.locator(".auth__error")
    for username, password, hint in (
        ("ab", "correct-horse-battery-42", "아이디는"),
        ("good_name", "short", "비밀번호는"),
        ("good_name", "xx-good_name-xx", "아이디를 넣을 수 없어요"),
    ):
        dialog.locator("input[name=username]").fill(username)
        dialog.locator("input[name=password]").fill(password)
        dialog.locator('[data-action="submit-auth"]').click()
        expect(error).to_be_visible()
        expect(error).to_contain_text(hint)
        assert not re.search(r"[A-Za-z]{4,}", error.inner_text())
    assert sent == []
