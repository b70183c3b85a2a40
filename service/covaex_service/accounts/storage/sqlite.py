"""SQLite through aiosqlite: the embedded default database.

One connection per process in WAL mode (readers never wait for the writer;
several worker processes share the file, waiting up to ``busy_timeout`` for
the write lock). Coroutines of one process share that connection, so an
:class:`asyncio.Lock` keeps a transaction's statements from interleaving with
another coroutine's, and ``BEGIN IMMEDIATE`` takes the file's write lock at the
start of a transaction so two processes cannot both read-then-write.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Literal

import aiosqlite

from covaex_service.accounts.storage.database import (
    DatabaseUnavailable,
    Executor,
    IntegrityViolation,
    Row,
    SqlValue,
    StorageError,
)

BUSY_TIMEOUT_MS = 5000


@contextmanager
def _translated() -> Iterator[None]:
    """sqlite3's errors as the storage layer's own (the rest are bugs and stay as they are)."""
    try:
        yield
    except sqlite3.IntegrityError as exc:
        raise IntegrityViolation(str(exc)) from exc
    except sqlite3.OperationalError as exc:  # locked past busy_timeout, disk full, I/O error
        raise DatabaseUnavailable(f"SQLite is unavailable: {exc}") from exc
    except ValueError as exc:  # aiosqlite: "no active connection" once closed
        raise DatabaseUnavailable(f"SQLite is unavailable: {exc}") from exc
    except sqlite3.ProgrammingError as exc:
        if "closed" not in str(exc):  # "Cannot operate on a closed database"; anything else is a bug
            raise
        raise DatabaseUnavailable(f"SQLite is unavailable: {exc}") from exc


class _Connection:
    """Statements on the shared connection, with sqlite3's integrity error translated."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, *args: SqlValue) -> int:
        with _translated():
            async with self._conn.execute(sql, args) as cursor:
                return cursor.rowcount

    async def executemany(self, sql: str, rows: Sequence[Sequence[SqlValue]]) -> None:
        with _translated():
            await self._conn.executemany(sql, rows)

    async def fetch(self, sql: str, *args: SqlValue) -> list[Row]:
        with _translated():
            async with self._conn.execute(sql, args) as cursor:
                return [tuple(row) for row in await cursor.fetchall()]

    async def fetchrow(self, sql: str, *args: SqlValue) -> Row | None:
        with _translated():
            async with self._conn.execute(sql, args) as cursor:
                row = await cursor.fetchone()
        return None if row is None else tuple(row)


class SqliteDatabase:
    """A :class:`~covaex_service.accounts.storage.database.Database` on one SQLite file."""

    dialect: Literal["sqlite"] = "sqlite"

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._raw = conn
        self._conn = _Connection(conn)
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str) -> SqliteDatabase:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            # isolation_level=None: no implicit transactions, we issue BEGIN ourselves.
            conn = await aiosqlite.connect(path, isolation_level=None)
            for pragma in (
                "PRAGMA journal_mode=WAL",
                "PRAGMA foreign_keys=ON",
                f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
                "PRAGMA synchronous=NORMAL",
            ):
                await conn.execute(pragma)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open SQLite database {path!r}: {exc}") from exc
        return cls(conn)

    @property
    def lock_clause(self) -> str:
        return ""  # BEGIN IMMEDIATE already holds the database's write lock

    async def execute(self, sql: str, *args: SqlValue) -> int:
        async with self._lock:
            return await self._conn.execute(sql, *args)

    async def executemany(self, sql: str, rows: Sequence[Sequence[SqlValue]]) -> None:
        async with self._lock:
            await self._conn.executemany(sql, rows)

    async def fetch(self, sql: str, *args: SqlValue) -> list[Row]:
        async with self._lock:
            return await self._conn.fetch(sql, *args)

    async def fetchrow(self, sql: str, *args: SqlValue) -> Row | None:
        async with self._lock:
            return await self._conn.fetchrow(sql, *args)

    def transaction(self) -> AbstractAsyncContextManager[Executor]:
        return self._transaction()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Executor]:
        async with self._lock:
            with _translated():
                await self._raw.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                with _translated():
                    await self._raw.execute("ROLLBACK")
                raise
            with _translated():
                await self._raw.execute("COMMIT")

    async def close(self) -> None:
        await self._raw.close()
