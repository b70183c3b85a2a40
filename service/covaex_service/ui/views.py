"""The ui blueprint: ``GET /`` and ``/static/``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from covaex_service import market
from covaex_service.accounts import CSRF_COOKIE, CSRF_HEADER, GUEST_SCHEMA_VERSION, GUEST_STORAGE_KEY, WATCHLIST_CAP
from covaex_service.accounts.inputs import PASSWORD_MAX, PASSWORD_MIN, USERNAME_MAX, USERNAME_MIN
from covaex_service.ui.names import COIN_NAMES, QUOTE_ASSETS
from covaex_service.ui.page import main_page
from covaex_service.ui.render_cache import RenderCache, shared_response, snapshot_version

PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE_DIR / "static"
TEMPLATE_DIR = PACKAGE_DIR / "templates"

# The page loads nothing from elsewhere: scripts, styles and fonts are ours.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    )
)


PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
"""Headers of every server-rendered page (per response; the body is shared, see :mod:`.render_cache`)."""

CREDENTIAL_LIMITS = {
    "username_min": USERNAME_MIN,
    "username_max": USERNAME_MAX,
    "password_min": PASSWORD_MIN,
    "password_max": PASSWORD_MAX,
}


def page_config() -> dict[str, Any]:
    """What the browser modules need, rendered into the page as JSON (one source of truth)."""
    return {
        "guestStorageKey": GUEST_STORAGE_KEY,
        "guestSchemaVersion": GUEST_SCHEMA_VERSION,
        "watchlistCap": WATCHLIST_CAP,
        "csrfCookie": CSRF_COOKIE,
        "csrfHeader": CSRF_HEADER,
        "wsPath": "/ws/v1/market",
        "quoteAssets": list(QUOTE_ASSETS),
        "names": {base: {"ko": ko, "en": en} for base, (ko, en) in COIN_NAMES.items()},
    }


def template_environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def ui_blueprint(pages: RenderCache) -> Blueprint:
    """A fresh blueprint (and template environment) for one app; its pages render through ``pages``."""
    bp = Blueprint("ui")
    templates = template_environment()
    template = templates.get_template("index.html.j2")
    config = page_config()

    @bp.get("/")
    async def index(request: Request) -> HTTPResponse:
        snapshot = await market.read_snapshot(request.app)

        def render() -> str:
            page = main_page(snapshot)
            state = {
                # The configured list, so a page rendered before the first tick still subscribes.
                "symbols": [row.symbol for row in page.rows] or list(request.app.ctx.settings.symbols),
                "asOf": page.as_of_ms,
                "stale": page.stale,
                "source": page.source,
            }
            return template.render(page=page, config={**config, **state}, limits=CREDENTIAL_LIMITS)

        shared = pages.get("main", snapshot_version(snapshot), render)
        return shared_response(request, shared, headers=PAGE_HEADERS)

    bp.static("/static", STATIC_DIR, name="static")
    return bp
