"""Versioned schema migrations, applied at start on SQLite and PostgreSQL alike.

Each migration is a numbered list of statements in SQL both dialects accept
(TEXT, BIGINT, INTEGER, foreign keys with ON DELETE CASCADE). ``schema_migrations``
records what has run; :func:`migrate` applies the rest in one transaction, so a
failed migration leaves the schema as it was. Never edit a released migration:
append a new one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from covaex_service.accounts.storage.database import Database, StorageError


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "accounts, sessions, watchlists, guest syncs, login failures",
        (
            """CREATE TABLE users (
                id TEXT PRIMARY KEY,
                username TEXT NOT NULL UNIQUE,
                password_hash TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )""",
            # id_hash: a keyed hash of the cookie value, so a database leak yields no usable session.
            """CREATE TABLE sessions (
                id_hash TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                csrf_token TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL
            )""",
            "CREATE INDEX sessions_user ON sessions (user_id)",
            """CREATE TABLE watchlist_items (
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                position INTEGER NOT NULL,
                symbol TEXT NOT NULL,
                added_at BIGINT NOT NULL,
                PRIMARY KEY (user_id, symbol)
            )""",
            # The stored response makes a replayed syncId return the first answer.
            """CREATE TABLE watchlist_syncs (
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                sync_id TEXT NOT NULL,
                response TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (user_id, sync_id)
            )""",
            """CREATE TABLE login_failures (
                key TEXT NOT NULL,
                at BIGINT NOT NULL
            )""",
            "CREATE INDEX login_failures_key_at ON login_failures (key, at)",
        ),
    ),
    Migration(
        2,
        "sync request digests, throttle attempt ids, indexes for the purge",
        (
            # A replayed syncId is compared with the first request: other items are a conflict, not a replay.
            "ALTER TABLE watchlist_syncs ADD COLUMN request_digest TEXT NOT NULL DEFAULT ''",
            "CREATE INDEX watchlist_syncs_user_created ON watchlist_syncs (user_id, created_at)",
            "CREATE INDEX watchlist_syncs_created ON watchlist_syncs (created_at)",
            "CREATE INDEX sessions_expires ON sessions (expires_at)",
            # Names one attempt's events, so a refused or successful attempt takes back exactly its own.
            "ALTER TABLE login_failures ADD COLUMN attempt TEXT NOT NULL DEFAULT ''",
            "CREATE INDEX login_failures_at ON login_failures (at)",
        ),
    ),
)

# Any constant: serialises concurrent migrators (several workers starting at once).
_PG_MIGRATION_LOCK = 7_301_118_008


async def migrate(db: Database) -> list[int]:
    """Apply pending migrations; return the versions applied now (empty when current)."""
    async with db.transaction() as tx:
        if db.dialect == "postgresql":
            await tx.execute(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
        await tx.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
        )
        applied = {int(str(row[0])) for row in await tx.fetch("SELECT version FROM schema_migrations")}
        newest = max(m.version for m in MIGRATIONS)
        if applied and max(applied) > newest:
            raise StorageError(
                f"the database schema is at version {max(applied)}, newer than this code knows ({newest}); "
                "upgrade the service"
            )
        done: list[int] = []
        for migration in MIGRATIONS:
            if migration.version in applied:
                continue
            try:
                for statement in migration.statements:
                    await tx.execute(statement)
            except Exception as exc:
                # The driver's own error, named after the migration: the transaction undoes it all.
                raise StorageError(f"schema migration {migration.version} ({migration.name}) failed: {exc}") from exc
            await tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                migration.version,
                migration.name,
                int(time.time() * 1000),
            )
            done.append(migration.version)
        return done


def schema_version() -> int:
    """The version this code migrates to."""
    return max(m.version for m in MIGRATIONS)
