"""The account store: every query of the accounts area, written once for both databases.

Multi-row changes (a watchlist rewrite, a guest sync, a login that replaces a
session) run inside one transaction that first locks the user's row, so two
concurrent changes of the same user's list run one after the other and neither
loses the other's items.

Nothing only grows: :meth:`AccountStore.purge` deletes expired sessions, throttle
events past every window and old sync records, and each user keeps at most a
few sync records (:class:`SyncRetention`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from covaex_service.accounts.guest import MergeResult, WatchItem
from covaex_service.accounts.storage.database import Database, Executor, IntegrityViolation, StorageError


@dataclass(frozen=True)
class SyncRetention:
    """How many guest-sync records a user keeps, and for how long (a client retries within seconds)."""

    per_user: int = 10
    ttl_ms: int = 24 * 3600 * 1000


class SyncIdReused(StorageError):
    """A syncId came back with other items than its first request: not a retry, so not answered as one."""


@dataclass(frozen=True)
class User:
    id: str
    username: str
    password_hash: str
    created_at: int


@dataclass(frozen=True)
class Session:
    """A live session: whose it is and the CSRF token bound to it."""

    user_id: str
    username: str
    csrf_token: str
    expires_at: int


class AccountStore:
    """Users, sessions, login failures and watchlists on a :class:`Database`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # users

    async def create_user(self, user_id: str, username: str, password_hash: str, now: int) -> User | None:
        """Insert a user; ``None`` when the username is taken."""
        try:
            await self.db.execute(
                "INSERT INTO users (id, username, password_hash, created_at) VALUES (?, ?, ?, ?)",
                user_id,
                username,
                password_hash,
                now,
            )
        except IntegrityViolation:
            return None
        return User(user_id, username, password_hash, now)

    async def user_by_username(self, username: str) -> User | None:
        row = await self.db.fetchrow(
            "SELECT id, username, password_hash, created_at FROM users WHERE username = ?", username
        )
        return None if row is None else User(str(row[0]), str(row[1]), str(row[2]), _int(row[3]))

    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        await self.db.execute("UPDATE users SET password_hash = ? WHERE id = ?", password_hash, user_id)

    # sessions

    async def start_session(
        self, id_hash: str, user_id: str, csrf_token: str, now: int, expires_at: int, *, replacing: str | None
    ) -> None:
        """Store a new session, revoking ``replacing`` (the one the client came with) in the same step."""
        async with self.db.transaction() as tx:
            if replacing is not None:
                await tx.execute("DELETE FROM sessions WHERE id_hash = ?", replacing)
            await tx.execute("DELETE FROM sessions WHERE user_id = ? AND expires_at <= ?", user_id, now)
            await tx.execute(
                "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                id_hash,
                user_id,
                csrf_token,
                now,
                expires_at,
            )

    async def session(self, id_hash: str, now: int) -> Session | None:
        """The unexpired session with this id hash, if any."""
        row = await self.db.fetchrow(
            "SELECT s.user_id, u.username, s.csrf_token, s.expires_at FROM sessions s"
            " JOIN users u ON u.id = s.user_id WHERE s.id_hash = ? AND s.expires_at > ?",
            id_hash,
            now,
        )
        return None if row is None else Session(str(row[0]), str(row[1]), str(row[2]), _int(row[3]))

    async def end_session(self, id_hash: str) -> bool:
        return await self.db.execute("DELETE FROM sessions WHERE id_hash = ?", id_hash) > 0

    # throttle events (login attempts, signups), in the table first made for login failures

    async def record_throttle_events(self, keys: Sequence[str], now: int, attempt: str) -> None:
        await self.db.executemany(
            "INSERT INTO login_failures (key, at, attempt) VALUES (?, ?, ?)", [(key, now, attempt) for key in keys]
        )

    async def throttle_events_since(self, key: str, since: int) -> list[int]:
        """Times of the events recorded for ``key`` from ``since`` on, oldest first."""
        rows = await self.db.fetch("SELECT at FROM login_failures WHERE key = ? AND at >= ? ORDER BY at", key, since)
        return [_int(row[0]) for row in rows]

    async def forget_throttle_events(self, keys: Sequence[str], attempt: str) -> None:
        """Take back one attempt's events (it was refused, or it succeeded)."""
        for key in keys:
            await self.db.execute("DELETE FROM login_failures WHERE key = ? AND attempt = ?", key, attempt)

    async def purge(self, now: int, *, throttle_window_ms: int, sync_ttl_ms: int) -> int:
        """Delete what no longer counts for anything; return how many rows went."""
        deleted = await self.db.execute("DELETE FROM sessions WHERE expires_at <= ?", now)
        deleted += await self.db.execute("DELETE FROM login_failures WHERE at < ?", now - throttle_window_ms)
        deleted += await self.db.execute("DELETE FROM watchlist_syncs WHERE created_at < ?", now - sync_ttl_ms)
        return deleted

    # watchlists

    async def watchlist(self, user_id: str) -> list[WatchItem]:
        return await _read_watchlist(self.db, user_id)

    async def rewrite_watchlist(
        self, user_id: str, rewrite: Callable[[list[WatchItem]], list[WatchItem]]
    ) -> list[WatchItem]:
        """Replace the list by ``rewrite(current)`` atomically; ``rewrite`` may raise to change nothing."""
        async with self.db.transaction() as tx:
            await self._lock_user(tx, user_id)
            current = await _read_watchlist(tx, user_id)
            updated = rewrite(list(current))
            if updated != current:
                await _write_watchlist(tx, user_id, updated)
            return updated

    async def sync_watchlist(
        self,
        user_id: str,
        sync_id: str,
        request_digest: str,
        merge: Callable[[list[WatchItem]], MergeResult],
        now: int,
        *,
        retention: SyncRetention = SyncRetention(),
    ) -> dict[str, Any]:
        """Apply ``merge`` once per ``sync_id``; a replay returns the first response body unchanged.

        A replay is the same ``sync_id`` with the same ``request_digest``; the same id with
        another digest raises :class:`SyncIdReused` instead of silently dropping the new items.
        """
        async with self.db.transaction() as tx:
            await self._lock_user(tx, user_id)
            stored = await tx.fetchrow(
                "SELECT response, request_digest FROM watchlist_syncs WHERE user_id = ? AND sync_id = ?",
                user_id,
                sync_id,
            )
            if stored is not None:
                if str(stored[1]) != request_digest:
                    raise SyncIdReused(f"syncId {sync_id} was already used for other items")
                body: dict[str, Any] = json.loads(str(stored[0]))
                return body
            current = await _read_watchlist(tx, user_id)
            result = merge(list(current))
            if list(result.items) != current:
                await _write_watchlist(tx, user_id, list(result.items))
            body = result.to_json()
            await tx.execute(
                "INSERT INTO watchlist_syncs (user_id, sync_id, response, request_digest, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                user_id,
                sync_id,
                json.dumps(body, separators=(",", ":")),
                request_digest,
                now,
            )
            # Keep the newest few and none past the TTL: a flood of new syncIds cannot fill the table.
            await tx.execute(
                "DELETE FROM watchlist_syncs WHERE user_id = ? AND (created_at < ? OR sync_id NOT IN"
                " (SELECT sync_id FROM watchlist_syncs WHERE user_id = ? ORDER BY created_at DESC, sync_id LIMIT ?))",
                user_id,
                now - retention.ttl_ms,
                user_id,
                retention.per_user,
            )
            return body

    async def _lock_user(self, tx: Executor, user_id: str) -> None:
        # lock_clause is a constant of the driver, never user input.
        row = await tx.fetchrow(f"SELECT id FROM users WHERE id = ?{self.db.lock_clause}", user_id)  # noqa: S608
        if row is None:
            raise StorageError("the account no longer exists")


async def _read_watchlist(ex: Executor, user_id: str) -> list[WatchItem]:
    rows = await ex.fetch("SELECT symbol, added_at FROM watchlist_items WHERE user_id = ? ORDER BY position", user_id)
    return [WatchItem(str(row[0]), _int(row[1])) for row in rows]


async def _write_watchlist(ex: Executor, user_id: str, items: Sequence[WatchItem]) -> None:
    await ex.execute("DELETE FROM watchlist_items WHERE user_id = ?", user_id)
    if items:
        await ex.executemany(
            "INSERT INTO watchlist_items (user_id, position, symbol, added_at) VALUES (?, ?, ?, ?)",
            [(user_id, position, item.symbol, item.added_at) for position, item in enumerate(items)],
        )


def _int(value: object) -> int:
    assert isinstance(value, int), f"expected an integer column, got {value!r}"
    return value
