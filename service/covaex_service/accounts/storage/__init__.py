"""Storage of the accounts area: one store, two databases chosen by ``COVAEX_DATABASE_URL``.

* ``sqlite:///relative/path`` (or ``sqlite:////absolute/path``): aiosqlite, WAL mode;
  the parent folder is created;
* ``postgresql://…`` (or ``postgres://…``): asyncpg pool.

:func:`open_store` opens the database and applies pending migrations.
"""

from __future__ import annotations

from covaex_service.accounts.storage.database import Database, DatabaseUnavailable, IntegrityViolation, StorageError
from covaex_service.accounts.storage.migrations import migrate
from covaex_service.accounts.storage.postgres import PostgresDatabase
from covaex_service.accounts.storage.sqlite import SqliteDatabase
from covaex_service.accounts.storage.store import AccountStore, Session, User

__all__ = [
    "AccountStore",
    "Database",
    "DatabaseUnavailable",
    "IntegrityViolation",
    "Session",
    "StorageError",
    "User",
    "open_database",
    "open_store",
]

SQLITE_PREFIX = "sqlite:///"


async def open_database(url: str) -> Database:
    """Connect to the database ``url`` names (no migrations)."""
    if url.startswith(SQLITE_PREFIX):
        path = url.removeprefix(SQLITE_PREFIX)
        if not path:
            raise StorageError("COVAEX_DATABASE_URL sqlite:/// needs a file path, e.g. sqlite:///var/covaex.db")
        return await SqliteDatabase.open(path)
    if url.startswith(("postgresql://", "postgres://")):
        return await PostgresDatabase.open(url)
    scheme = url.split(":", maxsplit=1)[0]
    raise StorageError(f"COVAEX_DATABASE_URL must be sqlite:///path or postgresql://..., got {scheme}:...")


async def open_store(url: str) -> AccountStore:
    """Open the database and bring its schema up to date."""
    db = await open_database(url)
    try:
        await migrate(db)
    except BaseException:
        await db.close()
        raise
    return AccountStore(db)
