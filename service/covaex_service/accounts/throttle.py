"""Rate limits on logins and signups, per client address and per username *at* that address.

Events are kept in the database (not in process memory), so every worker
process, and a restart, sees the same count. Keys are keyed hashes: a password
typed into the username field is never stored in clear.

Each attempt is *reserved before it is checked*: the event is written first,
then counted, so N parallel attempts see 1, 2, ..., N events and only the first
``limit`` go on to the (expensive) password check. A refused attempt takes its
event back; a successful login takes back the events of its username and
address, since only failures should count.

Why username plus address, not username alone: a per-username lockout lets
anyone lock any account by typing five wrong passwords. Keyed by username and
address, the owner logging in from their own address is never locked out by
someone else's failures; guessing one account from many addresses is bounded
by the per-address limit and the Argon2 queue (:mod:`.passwords`); the docs'
threat model names what is left.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from covaex_service.accounts.context import Accounts
from covaex_service.accounts.inputs import canonical_username
from covaex_service.errors import TooManyRequests


@dataclass(frozen=True)
class Limit:
    """At most ``count`` events of ``key`` in any ``window_ms``."""

    key: str
    count: int
    window_ms: int


class Throttle:
    """One attempt counted against several limits at once."""

    def __init__(self, accounts: Accounts, limits: Sequence[Limit], message: str) -> None:
        self._store = accounts.store
        self._limits = tuple(limits)
        self._message = message
        self._attempt = secrets.token_hex(8)

    async def reserve(self, now: int) -> None:
        """Count this attempt, or raise 429 with ``Retry-After`` when a limit is used up."""
        await self._store.record_throttle_events([limit.key for limit in self._limits], now, self._attempt)
        retry_ms = 0
        for limit in self._limits:
            events = await self._store.throttle_events_since(limit.key, now - limit.window_ms)
            if len(events) > limit.count:
                # Allowed again when the oldest event that still counts leaves the window.
                retry_ms = max(retry_ms, events[len(events) - limit.count] + limit.window_ms - now)
        if retry_ms > 0:
            await self.release()
            retry_s = max(1, -(-retry_ms // 1000))
            raise TooManyRequests(f"{self._message}: try again in {retry_s} s", retry_after_s=retry_s)

    async def release(self) -> None:
        """Take this attempt's events back: it was refused, or it succeeded and only failures count."""
        await self._store.forget_throttle_events([limit.key for limit in self._limits], self._attempt)


def login_throttle(accounts: Accounts, username: str, client: str) -> Throttle:
    config = accounts.config
    window_ms = config.login_window_s * 1000
    user_at_client = accounts.keyed_hash("login-user-client", f"{canonical_username(username)}\x00{client}")
    return Throttle(
        accounts,
        [
            Limit(user_at_client, config.max_failures_per_user_address, window_ms),
            Limit(accounts.keyed_hash("login-client", client), config.max_failures_per_client, window_ms),
        ],
        "too many failed logins",
    )


def signup_throttle(accounts: Accounts, client: str) -> Throttle:
    config = accounts.config
    window_ms = config.signup_window_s * 1000
    limit = Limit(accounts.keyed_hash("signup-client", client), config.max_signups_per_client, window_ms)
    return Throttle(accounts, [limit], "too many new accounts from your address")


def longest_window_ms(accounts: Accounts) -> int:
    """Events older than this count for no limit: the purge deletes them."""
    return max(accounts.config.login_window_s, accounts.config.signup_window_s) * 1000
