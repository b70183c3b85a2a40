"""Tunables of the accounts area: password hashing cost and queue, sessions, throttling, retention.

Not environment variables: the defaults are the production values. Tests lower
the Argon2 cost by putting another :class:`AccountsConfig` on
``app.ctx.accounts_config`` before the server starts. The threat model page of
the docs explains each limit.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AccountsConfig:
    # Argon2id cost (RFC 9106's second recommended option, scaled to one small box).
    hash_time_cost: int = 3
    hash_memory_kib: int = 64 * 1024
    hash_parallelism: int = 2
    # Hashes computed at once per worker: each holds hash_memory_kib, so this bounds the memory...
    hash_concurrency: int = 1
    # ...and hashes allowed to wait for a slot; past that, signup and login answer 503 + Retry-After.
    hash_queue: int = 8
    hash_retry_after_s: int = 2
    # A session lasts this long from login, then the user logs in again.
    session_ttl_s: int = 7 * 24 * 3600
    # Login attempts are counted over this sliding window...
    login_window_s: int = 15 * 60
    # ...per username *and* client address (so nobody can lock another address out of an account)...
    max_failures_per_user_address: int = 5
    # ...and per client address over every username (password spraying from one address).
    max_failures_per_client: int = 20
    # Accounts created per client address per window: a flood is the hashing queue's to absorb; this
    # stops one address from filling the user table, with room for a household or office behind one NAT.
    signup_window_s: int = 3600
    max_signups_per_client: int = 20
    # Guest syncs remembered per user (a client retries one syncId within seconds)...
    max_sync_records_per_user: int = 10
    # ...and for how long.
    sync_record_ttl_s: int = 24 * 3600
    # Every worker deletes expired sessions, old throttle events and old sync records this often.
    purge_interval_s: int = 10 * 60
