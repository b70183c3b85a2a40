"""Versioned migrations on both databases."""

from __future__ import annotations

import pytest
from covaex_service.accounts.storage import StorageError, open_database
from covaex_service.accounts.storage.migrations import MIGRATIONS, migrate, schema_version


async def test_migrations_apply_once_and_are_recorded(database_url: str) -> None:
    db = await open_database(database_url)
    try:
        await migrate(db)  # the session's PostgreSQL database may be migrated already
        assert await migrate(db) == []
        rows = await db.fetch("SELECT version FROM schema_migrations ORDER BY version")
        assert [row[0] for row in rows] == [m.version for m in MIGRATIONS]
        assert schema_version() == MIGRATIONS[-1].version
        # the tables the store relies on exist and are empty-selectable
        for table in ("users", "sessions", "watchlist_items", "watchlist_syncs", "login_failures"):
            await db.fetch(f"SELECT * FROM {table} WHERE 1 = 0")
    finally:
        await db.close()


async def test_a_schema_newer_than_the_code_is_refused(tmp_path: object) -> None:
    db = await open_database(f"sqlite:///{tmp_path}/newer.db")
    try:
        await migrate(db)
        await db.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", 999, "x", 0)
        with pytest.raises(StorageError, match="newer than this code"):
            await migrate(db)
    finally:
        await db.close()


async def test_a_failed_migration_leaves_nothing_behind(tmp_path: object) -> None:
    db = await open_database(f"sqlite:///{tmp_path}/half.db")
    try:
        await db.execute("CREATE TABLE sessions (x TEXT)")  # makes migration 1 fail half-way
        with pytest.raises(Exception, match="already exists"):
            await migrate(db)
        assert await db.fetch("SELECT name FROM sqlite_master WHERE name IN ('users', 'schema_migrations')") == []
    finally:
        await db.close()
