"""The OpenAPI document: complete against INTERFACE.md, and true of the live app (schemathesis)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from covaex_service.openapi import openapi_document
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.accounts import app_settings, serve, signed_up

INTERFACE_OPERATIONS = {
    ("get", "/api/v1/markets"),
    ("get", "/api/v1/markets/{symbol}"),
    ("post", "/api/v1/auth/signup"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/auth/me"),
    ("get", "/api/v1/watchlist"),
    ("put", "/api/v1/watchlist"),
    ("post", "/api/v1/watchlist/sync"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
}
MARKET_AREA = ("/api/v1/markets", "/healthz", "/readyz", "/metrics")
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
EXAMPLES_PER_OPERATION = 25


def test_every_rest_endpoint_of_the_interface_is_described() -> None:
    doc = openapi_document()
    described = {(method, path) for path, ops in doc["paths"].items() for method in ops}
    assert described >= INTERFACE_OPERATIONS
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op["responses"], (method, path)
            if method != "get":
                assert "requestBody" in op or "{symbol}" in path or path.endswith("logout"), (method, path)


def test_the_document_is_valid_openapi() -> None:
    # schemathesis validates the document against the OpenAPI 3.0 meta-schema while loading it
    schema = schemathesis.openapi.from_dict(openapi_document())
    assert {op.ok().label for op in schema.get_all_operations()} >= {"POST /api/v1/watchlist/sync"}


def _fuzz(operation: Any, base_url: str, headers: dict[str, str]) -> None:
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)

    run()


@pytest.mark.slow
async def test_schemathesis_finds_no_5xx_and_no_schema_breaking_response(tmp_path: Path) -> None:
    """Every documented operation, fuzzed with a logged-in session, against the live app."""
    async with serve(app_settings(f"sqlite:///{tmp_path}/fuzz.db")) as live, live.client() as client:
        csrf = await signed_up(client)
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        headers = {"Cookie": cookie, "X-CSRF-Token": csrf}
        document = (await client.get("/openapi.json")).json()
        assert document == openapi_document()
        schema = schemathesis.openapi.from_dict(document)

        operations = [result.ok() for result in schema.get_all_operations()]
        # logout last: it ends the session the other operations use
        operations.sort(key=lambda op: op.path.endswith("/logout"))
        fuzzed = []
        for operation in operations:
            if operation.path.startswith(MARKET_AREA) and not await _served(client, operation.path):
                continue  # the market area is built separately; fuzz it once it answers
            # schemathesis is synchronous: run it in a thread while this loop serves the app
            await asyncio.to_thread(_fuzz, operation, live.base_url, headers)
            fuzzed.append(operation.label)
        assert "POST /api/v1/watchlist/sync" in fuzzed and "POST /api/v1/auth/signup" in fuzzed


async def _served(client: httpx.AsyncClient, path: str) -> bool:
    probe = path.replace("{symbol}", "BTCUSDT")
    return (await client.get(probe)).status_code != 404 or "{symbol}" in path
