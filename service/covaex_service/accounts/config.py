"""Tunables of the accounts area: password hashing cost, session lifetime, login throttling.

Not environment variables: the defaults are the production values. Tests lower
the Argon2 cost by putting another :class:`AccountsConfig` on
``app.ctx.accounts_config`` before the server starts.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AccountsConfig:
    # Argon2id cost (RFC 9106's second recommended option, scaled to one small box).
    hash_time_cost: int = 3
    hash_memory_kib: int = 64 * 1024
    hash_parallelism: int = 2
    # A session lasts this long from login, then the user logs in again.
    session_ttl_s: int = 7 * 24 * 3600
    # Failed logins are counted over this sliding window...
    login_window_s: int = 15 * 60
    # ...and refused (429) once a username, or a client address, reaches its limit.
    max_failures_per_username: int = 5
    max_failures_per_client: int = 20
