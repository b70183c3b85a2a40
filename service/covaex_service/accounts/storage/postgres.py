"""PostgreSQL through asyncpg: what the RDS instance of the v1 stack serves.

A connection pool; each transaction runs on one pooled connection. Queries are
written with ``?`` placeholders (shared with SQLite) and numbered here, once
per distinct statement.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from functools import lru_cache
from typing import Any, Literal

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information

from covaex_service.accounts.storage.database import (
    DatabaseUnavailable,
    Executor,
    IntegrityViolation,
    Row,
    SqlValue,
    StorageError,
)

_PLACEHOLDER = re.compile(r"\?")


@lru_cache(maxsize=256)
def numbered(sql: str) -> str:
    """``?`` placeholders to asyncpg's ``$1, $2, …`` (our SQL has no ``?`` in literals)."""
    counter = iter(range(1, 10_000))
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)


def _rowcount(status: str) -> int:
    # asyncpg returns the command tag, e.g. "DELETE 3" or "INSERT 0 1".
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


# What a lost connection or a failover looks like (an RDS Multi-AZ switch, pg_terminate_backend,
# a restart): the request can succeed again shortly, so it is a 503, not a 500.
_UNAVAILABLE = (
    OSError,
    asyncpg.PostgresConnectionError,  # class 08: connection exceptions
    asyncpg.InterfaceError,  # the connection closed under a query (ConnectionDoesNotExistError...)
    asyncpg.InternalClientError,  # "cannot perform operation: another operation is in progress" on a dead one
    asyncpg.exceptions.OperatorInterventionError,  # class 57: admin shutdown, crash shutdown, cannot connect now
    asyncpg.exceptions.ReadOnlySQLTransactionError,  # writing to a former primary that is now a replica
    asyncpg.exceptions.InsufficientResourcesError,  # class 53: too many connections, out of memory or disk
)


@contextmanager
def _translated() -> Iterator[None]:
    """asyncpg's errors as the storage layer's own (the rest are bugs and stay as they are)."""
    try:
        yield
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise IntegrityViolation(str(exc)) from exc
    except _UNAVAILABLE as exc:
        raise DatabaseUnavailable(f"PostgreSQL is unavailable: {type(exc).__name__}: {exc}") from exc


class _Connection:
    """Statements on one connection (or the pool), with integrity errors translated."""

    def __init__(self, conn: Any) -> None:
        # asyncpg.Pool and asyncpg.Connection share these methods.
        self._conn = conn

    async def execute(self, sql: str, *args: SqlValue) -> int:
        with _translated():
            return _rowcount(await self._conn.execute(numbered(sql), *args))

    async def executemany(self, sql: str, rows: Sequence[Sequence[SqlValue]]) -> None:
        with _translated():
            await self._conn.executemany(numbered(sql), rows)

    async def fetch(self, sql: str, *args: SqlValue) -> list[Row]:
        with _translated():
            return [tuple(record) for record in await self._conn.fetch(numbered(sql), *args)]

    async def fetchrow(self, sql: str, *args: SqlValue) -> Row | None:
        with _translated():
            record = await self._conn.fetchrow(numbered(sql), *args)
        return None if record is None else tuple(record)


class PostgresDatabase(_Connection):
    """A :class:`~covaex_service.accounts.storage.database.Database` on a PostgreSQL pool."""

    dialect: Literal["postgresql"] = "postgresql"

    def __init__(self, pool: asyncpg.Pool) -> None:
        super().__init__(pool)
        self._pool = pool

    @classmethod
    async def open(cls, url: str, *, max_size: int = 10) -> PostgresDatabase:
        try:
            pool = await asyncpg.create_pool(url, min_size=1, max_size=max_size)
        except (OSError, asyncpg.PostgresError) as exc:
            raise StorageError(f"cannot connect to PostgreSQL: {exc}") from exc
        return cls(pool)

    @property
    def lock_clause(self) -> str:
        return " FOR UPDATE"

    def transaction(self) -> AbstractAsyncContextManager[Executor]:
        return self._transaction()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Executor]:
        with _translated():
            async with self._pool.acquire() as conn, conn.transaction():
                yield _Connection(conn)

    async def close(self) -> None:
        await self._pool.close()
