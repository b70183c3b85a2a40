"""Versioned migrations, each test on an empty SQLite file and an empty PostgreSQL database."""

from __future__ import annotations

import asyncio

import pytest
from covaex_service.accounts.storage import StorageError, open_database
from covaex_service.accounts.storage.migrations import MIGRATIONS, migrate, schema_version

TABLES = ("users", "sessions", "watchlist_items", "watchlist_syncs", "login_failures")


async def test_migrations_apply_once_and_are_recorded(fresh_database_url: str) -> None:
    db = await open_database(fresh_database_url)
    try:
        assert await migrate(db) == [m.version for m in MIGRATIONS]
        assert await migrate(db) == []
        rows = await db.fetch("SELECT version FROM schema_migrations ORDER BY version")
        assert [row[0] for row in rows] == [m.version for m in MIGRATIONS]
        assert schema_version() == MIGRATIONS[-1].version
        for table in TABLES:
            assert await db.fetch(f"SELECT * FROM {table}") == []
    finally:
        await db.close()


async def test_a_schema_newer_than_the_code_is_refused(fresh_database_url: str) -> None:
    db = await open_database(fresh_database_url)
    try:
        await migrate(db)
        await db.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", 999, "x", 0)
        with pytest.raises(StorageError, match="newer than this code"):
            await migrate(db)
    finally:
        await db.close()


async def test_a_failed_migration_leaves_nothing_behind(fresh_database_url: str) -> None:
    db = await open_database(fresh_database_url)
    try:
        await db.execute("CREATE TABLE sessions (x TEXT)")  # makes migration 1 fail half-way
        with pytest.raises(StorageError, match=r"schema migration 1 .* failed: .*already exists"):
            await migrate(db)
        # users was created before the failing statement: rolled back with it
        for table in ("users", "schema_migrations"):
            with pytest.raises(Exception, match=table):
                await db.fetch(f"SELECT * FROM {table}")
    finally:
        await db.close()


async def test_concurrent_starts_migrate_once(fresh_database_url: str) -> None:
    """Several workers starting together: one applies the migrations, the others find them done."""
    dbs = [await open_database(fresh_database_url) for _ in range(3)]
    try:
        applied = await asyncio.gather(*(migrate(db) for db in dbs))
        assert sorted(applied, key=len) == [[], [], [m.version for m in MIGRATIONS]]
    finally:
        for db in dbs:
            await db.close()
