"""PostgreSQL through asyncpg: what the RDS instance of the v1 stack serves.

A connection pool; each transaction runs on one pooled connection. Queries are
written with ``?`` placeholders (shared with SQLite) and numbered here, once
per distinct statement.

Credentials: RDS rotates the master password every 7 days and the old one
stops working at once; connections already open stay up, the next new one is
refused. The password is re-read from Secrets Manager at every service start
(the instance's root-only ``covaex-env``, :mod:`infraforge.constructs.user_data`),
so a worker of ``covaex serve`` that is refused stops itself; the main process
then ends non-zero and systemd starts the service again with the rotated
secret (:mod:`covaex_service.server`). Chosen over IAM database
authentication: no AWS SDK and no instance-role credentials in the service
process, no 15-minute token to renew on every connection, and one mechanism
for every start. The price is one restart per instance per rotation.
"""

from __future__ import annotations

import logging
import os
import re
import signal
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
log = logging.getLogger("covaex")
_stop_on_rejected_credentials = False


def stop_worker_on_rejected_credentials() -> None:
    """Make this process stop itself (SIGTERM) when PostgreSQL refuses its credentials; workers only."""
    global _stop_on_rejected_credentials  # noqa: PLW0603  # one switch per process, set by the server
    _stop_on_rejected_credentials = True


def _credentials_rejected(exc: Exception) -> None:
    log.error("PostgreSQL rejected the credentials (%s): the password was rotated", exc)
    if _stop_on_rejected_credentials:
        log.error("stopping this worker; the service restarts and reads the current secret")
        os.kill(os.getpid(), signal.SIGTERM)


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
    except asyncpg.InvalidAuthorizationSpecificationError as exc:
        _credentials_rejected(exc)
        raise DatabaseUnavailable("PostgreSQL rejected the service's credentials; it restarts to read them") from exc
    except _UNAVAILABLE as exc:
        raise DatabaseUnavailable(f"PostgreSQL is unavailable: {type(exc).__name__}: {exc}") from exc


POOL_MAX_SIZE = 5
"""Connections one process (a worker of ``covaex serve``) may hold. The database's connection budget counts
it for every worker of every instance and pod (``covaex.analysis.connections``); the accounts traffic is
short transactions, so five is headroom, and the budget fails the docs build when the fleets outgrow the
database class."""


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
    async def open(cls, url: str, *, max_size: int | None = None) -> PostgresDatabase:
        max_size = POOL_MAX_SIZE if max_size is None else max_size
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
