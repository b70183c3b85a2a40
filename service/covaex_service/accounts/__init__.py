"""The accounts area: storage, signup/login/sessions, the watchlist and the guest sync.

``install(app)`` registers the ``/api/v1/auth`` and ``/api/v1/watchlist``
blueprints and ``/openapi.json``, opens the store (applying migrations) before
the server starts and closes it after it stops.

The guest watchlist schema and merge rule live in :mod:`.guest`; its names are
re-exported here for the UI and the docs.
"""

from __future__ import annotations

import logging

from sanic import Request
from sanic.response import HTTPResponse, json

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
from covaex_service.accounts.watchlist_api import watchlist
from covaex_service.errors import Unavailable, error_body
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

    async def close_accounts(app: ServiceApp) -> None:
        accounts = getattr(app.ctx, "accounts", None)
        if isinstance(accounts, Accounts):
            await accounts.store.db.close()

    # Before the other areas (higher priority runs first): a database that cannot be opened
    # stops the start before any feed or cache task has been spawned.
    app.before_server_start(open_accounts, priority=10)
    app.after_server_stop(close_accounts)




async def _database_unavailable(request: Request, exc: Exception) -> HTTPResponse:
    # A lost database is an outage to wait out (503), not a bug in the request (500).
    log.warning("database unavailable on %s %s: %s", request.method, request.path, exc)
    error = Unavailable("the account database is unavailable; try again shortly")
    return json(error_body(error.code, error.message), status=error.status)
