"""The page speaks Korean: every error code the service can answer with has a Korean sentence,
and the server's English message never reaches the screen."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import TYPE_CHECKING

from covaex_service.market.gateway.protocol import ERROR_CODES
from playwright.sync_api import BrowserContext, Page, expect

from tests.ui.conftest import open_live

if TYPE_CHECKING:
    from tests.ui.conftest import Service

SERVICE_DIR = Path(__file__).resolve().parents[2] / "service" / "covaex_service"
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _string(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _codes_in(node: ast.AST) -> list[str | None]:
    # class attributes `code = "..."` / `code: ClassVar[str] = "..."`
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if any(isinstance(t, ast.Name) and t.id == "code" for t in targets):
            return [_string(node.value)]
    # keywords `code="..."`
    if isinstance(node, ast.keyword) and node.arg == "code":
        return [_string(node.value)]
    # a named mapping of statuses to codes: _SANIC_CODES = {404: "not_found", ...}
    if (
        isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id.endswith("_CODES") for t in node.targets)
        and isinstance(node.value, ast.Dict)
    ):
        return [_string(v) for v in node.value.values]
    # the mapping of Sanic's own 4xx in app.py: {404: "not_found", ...}.get(status, "invalid_request")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        owner = node.func.value
        if isinstance(owner, ast.Dict) and all(
            isinstance(k, ast.Constant) and type(k.value) is int for k in owner.keys
        ):
            return [_string(v) for v in owner.values] + [_string(a) for a in node.args[1:]]
    return []


def rest_error_codes() -> set[str]:
    """Every code the service's Python can put in an error body, read from the source."""
    codes: set[str] = set()
    for path in SERVICE_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            codes.update(code for code in _codes_in(node) if code)
    return codes


def test_every_error_code_has_a_korean_sentence(page: Page, service: Service) -> None:
    expected = rest_error_codes() | set(ERROR_CODES)
    assert {"internal", "unauthorized", "bad_credentials", "watchlist_full", "method_not_allowed"} <= expected
    open_live(page, service)
    sentences = page.evaluate(
        """async (codes) => {
            const errors = await import('/static/js/errors.js');
            return Object.fromEntries(
                codes.map((code) => [code, [errors.ERROR_CODES.includes(code), errors.koreanError(code, 400)]]),
            );
        }""",
        sorted(expected),
    )
    missing = [code for code, (known, _) in sentences.items() if not known]
    assert missing == []
    for code, (_, sentence) in sentences.items():
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
