"""Rate limit on failed logins, per username and per client address.

Failures are kept in the database (not in process memory), so every worker
process, and a restart, sees the same count. Keys are keyed hashes: a password
typed into the username field is never stored in clear.
"""

from __future__ import annotations

from dataclasses import dataclass

from covaex_service.accounts.context import Accounts
from covaex_service.accounts.inputs import canonical_username


@dataclass(frozen=True)
class Throttled:
    """Login refused until ``retry_after_s`` seconds have passed."""

    retry_after_s: int


class LoginThrottle:
    def __init__(self, accounts: Accounts, username: str, client: str) -> None:
        self._accounts = accounts
        config = accounts.config
        self._window_ms = config.login_window_s * 1000
        self._limits = (
            (accounts.keyed_hash("login-user", canonical_username(username)), config.max_failures_per_username),
            (accounts.keyed_hash("login-client", client), config.max_failures_per_client),
        )

    async def check(self, now: int) -> Throttled | None:
        """A :class:`Throttled` when the username or the client has used up its failures."""
        retry_ms = 0
        for key, limit in self._limits:
            failures = await self._accounts.store.login_failures_since(key, now - self._window_ms)
            if len(failures) >= limit:
                # Allowed again when the oldest failure that still counts leaves the window.
                retry_ms = max(retry_ms, failures[len(failures) - limit] + self._window_ms - now)
        return Throttled(max(1, -(-retry_ms // 1000))) if retry_ms > 0 else None

    async def failed(self, now: int) -> None:
        await self._accounts.store.record_login_failure(
            [key for key, _ in self._limits], now, forget_before=now - self._window_ms
        )

    async def succeeded(self) -> None:
        """A good password clears the username's count (not the client's: one address, many names)."""
        await self._accounts.store.clear_login_failures(self._limits[0][0])
