"""The seam between the account store and a database driver.

Two drivers sit behind :class:`Database`: SQLite through aiosqlite (the embedded
default) and PostgreSQL through asyncpg. The store writes each query once, with
``?`` placeholders and SQL both dialects accept; a driver adapts placeholders,
row types and its own integrity error to :class:`IntegrityViolation`.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Literal, Protocol, TypeAlias

from covaex_service.errors import CovaexError

SqlValue: TypeAlias = str | int | None
Row: TypeAlias = tuple[SqlValue, ...]
Dialect: TypeAlias = Literal["sqlite", "postgresql"]


class StorageError(CovaexError):
    """The database cannot be opened, migrated or used."""


class IntegrityViolation(StorageError):
    """A write broke a UNIQUE, PRIMARY KEY or FOREIGN KEY constraint."""


class DatabaseUnavailable(StorageError):
    """The database cannot be reached or used right now (connection lost, file locked too long)."""


class Executor(Protocol):
    """Runs statements; inside a transaction, all on that transaction's connection."""

    async def execute(self, sql: str, *args: SqlValue) -> int:
        """Run one statement and return how many rows it changed."""
        ...

    async def executemany(self, sql: str, rows: Sequence[Sequence[SqlValue]]) -> None: ...

    async def fetch(self, sql: str, *args: SqlValue) -> list[Row]: ...

    async def fetchrow(self, sql: str, *args: SqlValue) -> Row | None: ...


class Database(Executor, Protocol):
    """A connection (pool) to one database; statements outside :meth:`transaction` autocommit."""

    @property
    def dialect(self) -> Dialect: ...

    @property
    def lock_clause(self) -> str:
        """Suffix of a SELECT that locks the rows it reads until the transaction ends."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[Executor]:
        """Commit what runs inside on a clean exit, roll it back on an exception."""
        ...

    async def close(self) -> None: ...
