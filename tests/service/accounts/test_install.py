"""The area's wiring: routes registered by install(), the store opened and closed with the server."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from accounts_live import app_settings, serve
from covaex_service.accounts.storage import StorageError


async def test_the_store_opens_at_start_with_the_configured_database(tmp_path: Path) -> None:
    async with serve(app_settings(f"sqlite:///{tmp_path}/nested/covaex.db")) as live, live.client() as client:
        assert (tmp_path / "nested" / "covaex.db").exists()
        assert (await client.get("/openapi.json")).status_code == 200
        assert (await client.get("/api/v1/auth/me")).status_code == 401


async def test_an_unreachable_database_stops_the_start_with_a_clear_error() -> None:
    with pytest.raises(StorageError, match="cannot connect to PostgreSQL"):
        async with serve(app_settings("postgresql://nobody@127.0.0.1:1/covaex")):
            pass


async def test_unknown_api_paths_and_methods_are_json_errors(tmp_path: Path) -> None:
    async with serve(app_settings(f"sqlite:///{tmp_path}/c.db")) as live, live.client() as client:
        missing: httpx.Response = await client.get("/api/v1/watchlist/BTCUSDT/extra")
        wrong_method = await client.patch("/api/v1/watchlist")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert wrong_method.status_code == 405 and "error" in wrong_method.json()
