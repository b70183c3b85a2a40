"""The one mapping from exceptions to JSON error bodies (code review of issue 16)."""

from __future__ import annotations

import ast
from pathlib import Path

import covaex_service
from covaex_service.errors import TooManyRequests, error_response

SERVICE = Path(covaex_service.__file__).parent


def test_only_errors_py_builds_error_bodies() -> None:
    """Three places built ``{"error": ...}`` bodies although errors.py promised one mapping."""
    builders = []
    for path in SERVICE.rglob("*.py"):
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "error_body":
                builders.append(f"{path.relative_to(SERVICE)}:{node.lineno}")
    assert builders == []


def test_a_wait_travels_as_retry_after() -> None:
    response = error_response(TooManyRequests("slow down", retry_after_s=7))
    assert response.status == 429 and response.headers["Retry-After"] == "7"
    assert b'"code":"rate_limited"' in (response.body or b"")
