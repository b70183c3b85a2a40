"""The Sanic app factory: nothing is built at import time.

Each area of the service lives in its own package and plugs itself in with an
``install(app)`` function that registers its blueprint(s) and the listeners
that open and close its resources on ``app.ctx``:

* ``market``   — feeds, cache, REST snapshot, WebSocket gateway, health/metrics
* ``accounts`` — storage, signup/login/sessions, watchlist and guest sync
* ``ui``       — the server-rendered main page and its static assets
* ``headers``  — security headers on every response
"""

from __future__ import annotations

from sanic import Request, Sanic
from sanic.response import HTTPResponse

from covaex_service import accounts, headers, market, ui
from covaex_service.errors import error_response
from covaex_service.market.gateway.protocol import MAX_FRAME_BYTES
from covaex_service.sanic_types import ServiceApp
from covaex_service.settings import Settings

APP_NAME = "covaex"


def create_app(settings: Settings, *, name: str = APP_NAME) -> ServiceApp:
    """Build the service for ``settings``; resources open in ``before_server_start``."""
    app: ServiceApp = Sanic(name, configure_logging=True)
    app.config.FALLBACK_ERROR_FORMAT = "json"
    # Frames above this size close the WebSocket with 1009 (INTERFACE.md); the limit is the protocol's.
    app.config.WEBSOCKET_MAX_SIZE = MAX_FRAME_BYTES
    # The market hub pings idle clients itself, one timer per worker (gateway/guard.py), where
    # Sanic's keepalive would cost a task per connection.
    app.config.WEBSOCKET_PING_INTERVAL = 0  # 0: no keepalive task (sanic tests it for truth)
    app.config.KEEP_ALIVE_TIMEOUT = 75
    # Every JSON body of the API is small; refuse big ones before parsing them.
    app.config.REQUEST_MAX_SIZE = 64 * 1024
    app.config.PROXIES_COUNT = settings.proxies_count
    app.ctx.settings = settings

    app.error_handler.add(Exception, _error)

    market.install(app)
    accounts.install(app)
    ui.install(app)
    headers.install(app)
    return app


async def _error(request: Request, exc: Exception) -> HTTPResponse:
    return error_response(exc, f"{request.method} {request.path}")
