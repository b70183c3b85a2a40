"""Fixtures of the accounts tests: a store on each real database, and the live app.

Every storage-backed test runs twice, on a SQLite file and on a database of its
own on the real PostgreSQL server (created for the session, dropped after).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import pytest_asyncio
from covaex_service.accounts.storage import AccountStore, open_store

from tests.support.accounts import FAST_HASHING, LiveApp, app_settings, serve


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_database_url(postgres_url: str) -> Iterator[str]:
    """A fresh database on the real PostgreSQL server, for this test session only."""
    name = f"covaex_test_{secrets.token_hex(6)}"
    asyncio.run(_admin(postgres_url, f'CREATE DATABASE "{name}"'))
    yield _with_database(postgres_url, name)
    asyncio.run(_admin(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL per backend: a new SQLite file, or the session's PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'covaex.db'}"
    return str(request.getfixturevalue("pg_database_url"))


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind for one test (schema tests that must start from nothing)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    admin_url = str(request.getfixturevalue("postgres_url"))
    name = f"covaex_test_{secrets.token_hex(6)}"
    asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    yield _with_database(admin_url, name)
    asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[AccountStore]:
    opened = await open_store(database_url)
    yield opened
    await opened.db.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Like ``database_url``, shared by one test module (one app start per module and backend)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('live') / 'covaex.db'}"
    return str(request.getfixturevalue("pg_database_url"))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def live(module_database_url: str) -> AsyncIterator[LiveApp]:
    """The app serving for a whole module; tests stay independent by using fresh usernames.

    Its client limits on failed logins and signups are raised so that one test's attempts cannot
    throttle another's (all come from 127.0.0.1); the limits have their own tests with their own app.
    """
    config = replace(FAST_HASHING, max_failures_per_client=10_000, max_signups_per_client=10_000)
    async with serve(app_settings(module_database_url), config) as running:
        yield running
