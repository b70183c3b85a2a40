"""The Sanic app factory: nothing is built at import time.

Each area of the service lives in its own package and plugs itself in with an
``install(app)`` function that registers its blueprint(s) and the listeners
that open and close its resources on ``app.ctx``:

* ``market``   — feeds, cache, REST snapshot, WebSocket gateway, health/metrics
* ``accounts`` — storage, signup/login/sessions, watchlist and guest sync
* ``ui``       — the server-rendered main page and its static assets
"""

from __future__ import annotations

import logging

from sanic import Request, Sanic
from sanic.response import HTTPResponse, json

from covaex_service import accounts, market, ui
from covaex_service.errors import ApiError, error_body
from covaex_service.sanic_types import ServiceApp
from covaex_service.settings import Settings

log = logging.getLogger("covaex")

APP_NAME = "covaex"


def create_app(settings: Settings, *, name: str = APP_NAME) -> ServiceApp:
    """Build the service for ``settings``; resources open in ``before_server_start``."""
    app: ServiceApp = Sanic(name, configure_logging=True)
    app.config.FALLBACK_ERROR_FORMAT = "json"
    # Frames above this size close the WebSocket with 1009 (INTERFACE.md).
    app.config.WEBSOCKET_MAX_SIZE = 16 * 1024
    app.config.KEEP_ALIVE_TIMEOUT = 75
    # Every JSON body of the API is small; refuse big ones before parsing them.
    app.config.REQUEST_MAX_SIZE = 64 * 1024
    app.config.PROXIES_COUNT = settings.proxies_count
    app.ctx.settings = settings

    app.error_handler.add(ApiError, _api_error)
    app.error_handler.add(Exception, _unexpected_error)

    market.install(app)
    accounts.install(app)
    ui.install(app)
    return app


async def _api_error(request: Request, exc: Exception) -> HTTPResponse:
    assert isinstance(exc, ApiError)
    return json(error_body(exc.code, exc.message), status=exc.status)


async def _unexpected_error(request: Request, exc: Exception) -> HTTPResponse:
    status = getattr(exc, "status_code", 500)
    if status >= 500:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return json(error_body("internal", "internal error; it has been logged"), status=500)
    # Sanic's own 4xx (404 route, 405 method, 413 size…): keep the status, JSON body.
    code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(status, "invalid_request")
    return json(error_body(code, str(exc) or code), status=status)
