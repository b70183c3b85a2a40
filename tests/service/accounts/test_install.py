"""The area's wiring: routes registered by install(), the store opened and closed with the server."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from covaex_service.accounts.storage import StorageError

from tests.support.accounts import app_settings, serve


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


async def test_a_lost_database_is_a_503_json_error_not_a_500(database_url: str) -> None:
    async with serve(app_settings(database_url)) as live, live.client() as client:
        await live.app.ctx.accounts.store.db.close()  # the database goes away under the running app
        response = await client.post("/api/v1/auth/login", json={"username": "someone", "password": "whatever it is"})
    assert response.status_code == 503
    assert response.json() == {
        "error": {"code": "unavailable", "message": "the account database is unavailable; try again shortly"}
    }
