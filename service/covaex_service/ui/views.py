"""The ui blueprint: ``GET /`` (the list), ``GET /coins/<SYMBOL>`` (one coin) and ``/static/``.

Both pages are rendered from the cache only (the snapshot; the list adds each
symbol's last 24 hourly candles for its sparklines), and from nothing per
visitor (who is logged in, their stars, their theme are the browser's job), so
a render-once cache keyed by the snapshot can wrap :func:`render_index` and
:func:`render_coin` as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, html, raw

from covaex_service import market
from covaex_service.accounts import CSRF_COOKIE, CSRF_HEADER, GUEST_SCHEMA_VERSION, GUEST_STORAGE_KEY, WATCHLIST_CAP
from covaex_service.accounts.inputs import (
    PASSWORD_MAX,
    PASSWORD_MIN,
    USERNAME_MAX,
    USERNAME_MIN,
    USERNAME_PATTERN,
)
from covaex_service.errors import NotFound
from covaex_service.market.candles import INTERVALS, Kline
from covaex_service.ui.assets import IMMUTABLE, REVALIDATE, Assets
from covaex_service.ui.names import COIN_NAMES, QUOTE_ASSETS
from covaex_service.ui.page import SPARK_HEIGHT, SPARK_WIDTH, coin_page, main_page
from covaex_service.ui.render_cache import RenderCache, shared_response, snapshot_version

PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE_DIR / "static"
TEMPLATE_DIR = PACKAGE_DIR / "templates"


def content_security_policy(import_map_hash: str) -> str:
    """The page loads nothing from elsewhere: scripts, styles and fonts are ours; the one inline
    script is the import map, allowed by its hash."""
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' {import_map_hash}",
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


INTERVAL_LABELS = {"1m": "1분", "1h": "1시간", "1d": "1일"}
"""The chart's intervals as the page names them (the service keeps exactly these)."""
if set(INTERVAL_LABELS) != set(INTERVALS):  # pragma: no cover - a wrong edit fails at import, not on a page
    raise RuntimeError("INTERVAL_LABELS must name exactly the kept candle intervals")

PAGE_HEADERS = {
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
        # The signup rules, checked in the page before sending so a user reads them in Korean.
        "credentials": {
            "usernameMin": USERNAME_MIN,
            "usernameMax": USERNAME_MAX,
            "usernamePattern": USERNAME_PATTERN,
            "passwordMin": PASSWORD_MIN,
            "passwordMax": PASSWORD_MAX,
        },
        "names": {base: {"ko": ko, "en": en} for base, (ko, en) in COIN_NAMES.items()},
    }


def template_environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


class Pages:
    """The two server-rendered pages of one app: pure functions of (snapshot, symbols)."""

    def __init__(self, symbols: tuple[str, ...], assets: Assets) -> None:
        templates = template_environment()
        templates.globals.update(
            asset=assets.url, import_map=assets.import_map, spark={"width": SPARK_WIDTH, "height": SPARK_HEIGHT}
        )
        self._graphs = {entry: assets.module_graph(entry) for entry in ("js/main.js", "js/coin-page.js")}
        self.headers = {**PAGE_HEADERS, "Content-Security-Policy": content_security_policy(assets.import_map_csp)}
        self._index = templates.get_template("index.html.j2")
        self._coin = templates.get_template("coin.html.j2")
        self._missing = templates.get_template("missing.html.j2")
        self._config = page_config()
        self._symbols = symbols

    def _state(self, snapshot: dict[str, Any], page_as_of: int, page_stale: bool, page_source: str) -> dict[str, Any]:
        return {
            **self._config,
            # The configured list, so a page rendered before the first tick still subscribes.
            "symbols": [m["symbol"] for m in snapshot.get("markets", ())] or list(self._symbols),
            "asOf": page_as_of,
            "stale": page_stale,
            "source": page_source,
        }

    def render_index(self, snapshot: dict[str, Any], candles: Mapping[str, Sequence[Kline]]) -> str:
        page = main_page(snapshot, candles)
        state = self._state(snapshot, page.as_of_ms, page.stale, page.source)
        return self._index.render(page=page, config=state, limits=CREDENTIAL_LIMITS, **self._entry("js/main.js"))

    def render_coin(self, snapshot: dict[str, Any], symbol: str) -> str:
        page = coin_page(snapshot, symbol)
        # The coin page has no table to read prices from: the snapshot seeds its search and panels.
        state = self._state(snapshot, page.as_of_ms, page.stale, page.source)
        state["markets"] = snapshot.get("markets", [])
        return self._coin.render(
            page=page,
            config=state,
            limits=CREDENTIAL_LIMITS,
            intervals=list(INTERVAL_LABELS.items()),
            **self._entry("js/coin-page.js"),
        )

    def _entry(self, entry: str) -> dict[str, Any]:
        return {"entry": entry, "preload": self._graphs[entry][1:]}

    def render_missing(self, symbol: str) -> str:
        return self._missing.render(page=None, config=self._config, limits=CREDENTIAL_LIMITS, symbol=symbol[:40])


def ui_blueprint(symbols: tuple[str, ...], cache: RenderCache) -> Blueprint:
    """A fresh blueprint (and template environment) for one app; pages render once per snapshot through ``cache``."""
    bp = Blueprint("ui")
    assets = Assets(STATIC_DIR)
    pages = Pages(symbols, assets)

    @bp.get("/")
    async def index(request: Request) -> HTTPResponse:
        snapshot = await market.read_snapshot(request.app)
        day = await market.read_recent_candles(request.app)  # the sparklines' candles, re-read every few seconds
        version = (snapshot_version(snapshot), day.version)
        shared = cache.get("main", version, lambda: pages.render_index(snapshot, day.series))
        return shared_response(request, shared, headers=pages.headers)

    @bp.get("/coins/<symbol:str>")
    async def coin(request: Request, symbol: str) -> HTTPResponse:
        wanted = symbol.strip().upper()
        if wanted not in symbols:
            # A person followed a wrong address: a page in Korean, not the API's JSON error.
            return html(pages.render_missing(symbol), status=404, headers=pages.headers)
        snapshot = await market.read_snapshot(request.app)
        shared = cache.get(f"coin:{wanted}", snapshot_version(snapshot), lambda: pages.render_coin(snapshot, wanted))
        return shared_response(request, shared, headers=pages.headers)

    @bp.get("/static/<name:path>")
    async def static(request: Request, name: str) -> HTTPResponse:
        found = assets.files.get(name)
        if found is None:
            raise NotFound(f"no static file {name!r}")
        # The hashed URL never changes meaning: cache it for a year; a plain one is revalidated.
        headers = {
            "Cache-Control": IMMUTABLE if request.args.get("v") == found.version else REVALIDATE,
            "ETag": f'"{found.version}"',
            "Vary": "Accept-Encoding",
            "X-Content-Type-Options": "nosniff",
        }
        if request.headers.get("if-none-match") == f'"{found.version}"':
            return raw(b"", status=304, headers=headers)
        body = found.body
        if found.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
            body, headers["Content-Encoding"] = found.gzipped, "gzip"
        return raw(body, content_type=found.content_type, headers=headers)

    return bp
