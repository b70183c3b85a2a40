"""The live app for the accounts and OpenAPI tests: ``create_app`` serving on a free loopback port."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import httpx
from covaex_service.accounts import AccountsConfig
from covaex_service.app import create_app
from covaex_service.sanic_types import ServiceApp
from covaex_service.server import serving_in_loop
from covaex_service.settings import Settings, load_settings


def unique_name(prefix: str = "user") -> str:
    return f"{prefix}_{secrets.token_hex(5)}"


FAST_HASHING = AccountsConfig(hash_time_cost=1, hash_memory_kib=8 * 1024, hash_parallelism=1)
"""Argon2id still, at a cost the suite can afford (production keeps the defaults)."""


@dataclass
class LiveApp:
    """The real app serving on a loopback port, in the test's event loop."""

    app: ServiceApp
    base_url: str

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, timeout=30)


@asynccontextmanager
async def serve(settings: Settings, config: AccountsConfig = FAST_HASHING) -> AsyncIterator[LiveApp]:
    """Start ``create_app(settings)`` on a port the OS picks (bound, read back), with its listeners; stop it after."""
    app = create_app(settings, name=unique_name("covaex_test"))
    app.ctx.accounts_config = config
    async with serving_in_loop(app, "127.0.0.1", 0) as port:
        yield LiveApp(app, f"http://127.0.0.1:{port}")


def app_settings(database_url: str, **changes: Any) -> Settings:
    return replace(load_settings({"COVAEX_FEED": "simulator"}), database_url=database_url, **changes)


async def signed_up(
    client: httpx.AsyncClient, username: str | None = None, password: str = "correct horse battery"
) -> str:
    """Sign up and log in ``client``; return the CSRF token (the client keeps the cookies)."""
    username = username or unique_name()
    response = await client.post("/api/v1/auth/signup", json={"username": username, "password": password})
    assert response.status_code == 201, response.text
    response = await client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["csrfToken"])
