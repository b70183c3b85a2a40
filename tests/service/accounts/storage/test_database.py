"""The two drivers behind one Database interface: same SQL, same results, same errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from covaex_service.accounts.storage import IntegrityViolation, StorageError, open_database
from covaex_service.accounts.storage.postgres import numbered


async def test_statements_transactions_and_integrity_errors(database_url: str) -> None:
    db = await open_database(database_url)
    table = "probe_" + Path(database_url).name.replace(".", "_").replace("-", "_")[-12:]
    try:
        await db.execute(f"DROP TABLE IF EXISTS {table}")
        await db.execute(f"CREATE TABLE {table} (k TEXT PRIMARY KEY, v BIGINT NOT NULL)")
        await db.executemany(f"INSERT INTO {table} (k, v) VALUES (?, ?)", [("a", 1), ("b", 2**40)])
        assert await db.fetch(f"SELECT k, v FROM {table} ORDER BY k") == [("a", 1), ("b", 2**40)]
        assert await db.fetchrow(f"SELECT v FROM {table} WHERE k = ?", "zz") is None
        assert await db.execute(f"UPDATE {table} SET v = v + 1") == 2

        with pytest.raises(IntegrityViolation):
            await db.execute(f"INSERT INTO {table} (k, v) VALUES (?, ?)", "a", 5)

        # an exception inside a transaction rolls back everything it did
        with pytest.raises(RuntimeError):
            async with db.transaction() as tx:
                await tx.execute(f"DELETE FROM {table}")
                raise RuntimeError("abort")
        assert len(await db.fetch(f"SELECT k FROM {table}")) == 2

        async with db.transaction() as tx:
            await tx.execute(f"DELETE FROM {table} WHERE k = ?", "a")
        assert await db.fetch(f"SELECT k FROM {table}") == [("b",)]
        await db.execute(f"DROP TABLE {table}")
    finally:
        await db.close()


async def test_sqlite_creates_the_folder_and_uses_wal(tmp_path: Path) -> None:
    db = await open_database(f"sqlite:///{tmp_path}/deep/er/covaex.db")
    try:
        assert (tmp_path / "deep" / "er" / "covaex.db").exists()
        assert await db.fetchrow("PRAGMA journal_mode") == ("wal",)
        assert await db.fetchrow("PRAGMA foreign_keys") == (1,)
    finally:
        await db.close()


async def test_a_relative_sqlite_path_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    db = await open_database("sqlite:///var/covaex.db")
    await db.close()
    assert (tmp_path / "var" / "covaex.db").exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite:///", "needs a file path"),
        ("mysql://x/y", "must be sqlite:///path or postgresql://"),
        ("postgresql://nobody@127.0.0.1:1/none", "cannot connect to PostgreSQL"),
    ],
)
async def test_bad_database_urls_get_a_clear_error(url: str, message: str) -> None:
    with pytest.raises(StorageError, match=message):
        await open_database(url)


def test_placeholders_are_numbered_for_asyncpg() -> None:
    assert numbered("SELECT ? , ?, x FROM t WHERE a = ?") == "SELECT $1 , $2, x FROM t WHERE a = $3"
