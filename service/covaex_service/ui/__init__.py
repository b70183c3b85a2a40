"""The ui area: the server-rendered CovaEX main page and its static assets.

``GET /`` is rendered with Jinja from the cached market snapshot only (never
an upstream call per request), once per snapshot change and shared by every
visitor (:mod:`.render_cache`); the ES modules under ``static/js`` then keep
it live over ``/ws/v1/market`` and drive search, panels, login and the
watchlist. Nothing here is built at import time: :func:`install` creates the
template environment and the blueprint for one app.
"""

from __future__ import annotations

from covaex_service.sanic_types import ServiceApp
from covaex_service.ui.render_cache import RenderCache
from covaex_service.ui.views import ui_blueprint


def install(app: ServiceApp) -> None:
    """Register the pages and ``/static/`` on ``app``; ``app.ctx.pages`` keeps the rendered pages."""
    app.ctx.pages = RenderCache()
    app.blueprint(ui_blueprint(tuple(app.ctx.settings.symbols), app.ctx.pages))
