"""The accounts area: storage, signup/login/sessions, the watchlist and the guest sync.

``install(app)`` registers the ``/api/v1/auth`` and ``/api/v1/watchlist``
blueprints and ``/openapi.json``, opens the store (applying migrations) before
the server starts and closes it after it stops.

The guest watchlist schema and merge rule live in :mod:`.guest`; its names are
re-exported here for the UI and the docs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sanic import Request
from sanic.response import HTTPResponse

from covaex_service.accounts.auth_api import auth
from covaex_service.accounts.config import AccountsConfig
from covaex_service.accounts.context import Accounts
from covaex_service.accounts.guest import (
    GUEST_SCHEMA_VERSION,
    GUEST_STORAGE_KEY,
    GUEST_WATCHLIST_JSON_SCHEMA,
    WATCHLIST_CAP,
    MergeResult,
    WatchItem,
    merge_guest_watchlist,
)
from covaex_service.accounts.passwords import PasswordHasher
from covaex_service.accounts.sessions import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, current_session
from covaex_service.accounts.storage import DatabaseUnavailable, open_store
from covaex_service.accounts.storage.store import SyncIdReused
from covaex_service.accounts.throttle import longest_window_ms
from covaex_service.accounts.watchlist_api import watchlist
from covaex_service.clock import now_ms
from covaex_service.errors import Conflict, Unavailable, error_response
from covaex_service.sanic_types import ServiceApp
from covaex_service.settings import Settings

__all__ = [
    "CSRF_COOKIE",
    "CSRF_HEADER",
    "GUEST_SCHEMA_VERSION",
    "GUEST_STORAGE_KEY",
    "GUEST_WATCHLIST_JSON_SCHEMA",
    "SESSION_COOKIE",
    "WATCHLIST_CAP",
    "AccountsConfig",
    "MergeResult",
    "WatchItem",
    "current_session",
    "install",
    "merge_guest_watchlist",
]

log = logging.getLogger("covaex.accounts")


def install(app: ServiceApp) -> None:
    """Register this area's blueprints and listeners on ``app``."""
    # Imported here: the OpenAPI module reads this package's limits, so a top-level import would be circular.
    from covaex_service import openapi

    app.ctx.accounts_config = AccountsConfig()
    app.error_handler.add(DatabaseUnavailable, _database_unavailable)
    app.error_handler.add(SyncIdReused, _sync_id_reused)
    app.blueprint(auth)
    app.blueprint(watchlist)
    openapi.install(app)

    async def open_accounts(app: ServiceApp) -> None:
        settings = app.ctx.settings
        config = app.ctx.accounts_config
        assert isinstance(settings, Settings) and isinstance(config, AccountsConfig)
        store = await open_store(settings.database_url)
        app.ctx.accounts = Accounts(
            store=store,
            hasher=PasswordHasher(config),
            config=config,
            secret_key=settings.secret_key,
            known_symbols=frozenset(settings.symbols),
        )
        log.info("accounts store open (%s)", store.db.dialect)
        app.ctx.accounts_purge = asyncio.create_task(_purge_forever(app.ctx.accounts), name="covaex-accounts-purge")

    async def close_accounts(app: ServiceApp) -> None:
        purge = getattr(app.ctx, "accounts_purge", None)
        if isinstance(purge, asyncio.Task):
            purge.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await purge
        accounts = getattr(app.ctx, "accounts", None)
        if isinstance(accounts, Accounts):
            accounts.hasher.close()
            await accounts.store.db.close()

    # Before the other areas (higher priority runs first): a database that cannot be opened
    # stops the start before any feed or cache task has been spawned.
    app.before_server_start(open_accounts, priority=10)
    app.after_server_stop(close_accounts)


async def _purge_forever(accounts: Accounts) -> None:
    """Delete expired sessions, spent throttle events and old sync records, at start and then periodically.

    Every worker runs it: the deletes are idempotent and cheap on their indexes.
    """
    while True:
        try:
            deleted = await accounts.store.purge(
                now_ms(),
                throttle_window_ms=longest_window_ms(accounts),
                sync_ttl_ms=accounts.config.sync_record_ttl_s * 1000,
            )
            if deleted:
                log.info("purged %d expired account rows", deleted)
        except DatabaseUnavailable as exc:
            log.warning("purge skipped, database unavailable: %s", exc)
        await asyncio.sleep(accounts.config.purge_interval_s)


async def _database_unavailable(request: Request, exc: Exception) -> HTTPResponse:
    # A lost database is an outage to wait out (503), not a bug in the request (500).
    log.warning("database unavailable on %s %s: %s", request.method, request.path, exc)
    return error_response(Unavailable("the account database is unavailable; try again shortly", retry_after_s=5))


async def _sync_id_reused(request: Request, exc: Exception) -> HTTPResponse:
    return error_response(Conflict(f"{exc}: send a new syncId for new items", code="sync_id_reused"))
