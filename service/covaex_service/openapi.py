"""The OpenAPI 3 description of the REST API, served at ``GET /openapi.json``.

One document for every REST endpoint of INTERFACE.md, the market area's
included, so clients, the docs generator and the schema-driven fuzz tests read
the same contract. Limits (username pattern, password length, watchlist cap)
are imported from the code that enforces them, never retyped.
"""

from __future__ import annotations

from typing import Any

from sanic import Request
from sanic.response import HTTPResponse, json

from covaex_service.accounts.guest import (
    GUEST_SCHEMA_VERSION,
    GUEST_STORAGE_KEY,
    GUEST_WATCHLIST_JSON_SCHEMA,
    MAX_GUEST_ITEMS,
    WATCHLIST_CAP,
)
from covaex_service.accounts.inputs import (
    MAX_TIMESTAMP_MS,
    PASSWORD_MAX,
    PASSWORD_MIN,
    SYMBOL_MAX,
    USERNAME_MAX,
    USERNAME_MIN,
    USERNAME_PATTERN,
)
from covaex_service.accounts.sessions import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE
from covaex_service.market.candles import INTERVALS, KLINES_KEPT
from covaex_service.market.model import MARKET_FIELDS
from covaex_service.sanic_types import ServiceApp
from covaex_service.venues import SOURCES

OPENAPI_PATH = "/openapi.json"
JsonObject = dict[str, Any]

_ERROR_MEANINGS = {
    400: "Malformed or invalid input; the message says what to fix.",
    401: "Not logged in, or wrong username or password.",
    403: (
        f"A state-changing request with the session cookie lacks the right `{CSRF_HEADER}` header, "
        "or signup/login came from another site's page (`Origin`)."
    ),
    404: "No such resource.",
    409: "Conflict with the current state (a full list, a taken name, a `syncId` reused for other items).",
    415: "Signup and login accept only `Content-Type: application/json`.",
    429: "Too many failed logins or signups from this address; see the `Retry-After` header.",
    503: (
        "The account database is unavailable, or the service is busy hashing other passwords; "
        "see the `Retry-After` header."
    ),
}


def _ref(name: str) -> JsonObject:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: JsonObject, description: str, headers: JsonObject | None = None) -> JsonObject:
    response: JsonObject = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def _errors(*statuses: int) -> JsonObject:
    responses = {str(s): _json(_ref("Error"), _ERROR_MEANINGS[s]) for s in statuses}
    for waits in ("429", "503"):
        if waits in responses:
            responses[waits]["headers"] = {
                "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer", "minimum": 1}}
            }
    return responses


def _body(schema: JsonObject) -> JsonObject:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


_SESSION: list[JsonObject] = [{"sessionCookie": []}]
_SESSION_AND_CSRF: list[JsonObject] = [{"sessionCookie": [], "csrfHeader": []}]
_SYMBOL_PARAM: JsonObject = {
    "name": "symbol",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": SYMBOL_MAX, "pattern": "^[A-Za-z0-9]+$"},
    "description": "Market symbol, e.g. BTCUSDT (case-insensitive).",
}
_DECIMAL: JsonObject = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$", "description": "Exact decimal string."}

SCHEMAS: JsonObject = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "description": "Stable machine-readable code."},
                    "message": {"type": "string", "description": "What went wrong, for a person."},
                },
            }
        },
    },
    "Market": {
        "type": "object",
        "required": list(MARKET_FIELDS),
        "properties": {
            "symbol": {"type": "string", "example": "BTCUSDT"},
            "last": _DECIMAL,
            "open": _DECIMAL,
            "high": _DECIMAL,
            "low": _DECIMAL,
            "changePct": _DECIMAL,
            "volume": _DECIMAL,
            "quoteVolume": _DECIMAL,
            "eventTime": {"type": "integer", "minimum": 0, "description": "ms since the epoch, as the source sent"},
        },
    },
    "MarketSnapshot": {
        "type": "object",
        "required": ["asOf", "stale", "source", "markets"],
        "properties": {
            "asOf": {"type": "integer", "nullable": True, "description": "ms since the epoch; null before any data"},
            "stale": {"type": "boolean"},
            "source": {"type": "string", "enum": list(SOURCES)},
            "markets": {"type": "array", "items": _ref("Market")},
        },
    },
    "Kline": {
        "type": "object",
        "description": "One candle; `closeTime` is the candle's last millisecond. The newest may still be open.",
        "required": ["openTime", "open", "high", "low", "close", "volume", "closeTime"],
        "properties": {
            "openTime": {"type": "integer", "description": "ms since the epoch"},
            "open": _DECIMAL,
            "high": _DECIMAL,
            "low": _DECIMAL,
            "close": _DECIMAL,
            "volume": _DECIMAL,
            "closeTime": {"type": "integer", "description": "ms since the epoch"},
        },
    },
    "Klines": {
        "type": "object",
        "required": ["symbol", "interval", "source", "stale", "klines"],
        "properties": {
            "symbol": {"type": "string"},
            "interval": {"type": "string", "enum": list(INTERVALS)},
            "source": {"type": "string", "enum": list(SOURCES)},
            "stale": {"type": "boolean"},
            "klines": {"type": "array", "items": _ref("Kline"), "description": "Oldest first."},
        },
    },
    "Health": {"type": "object", "description": "Status details; the HTTP status is the verdict."},
    "Credentials": {
        "type": "object",
        "required": ["username", "password"],
        "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
    },
    "NewAccount": {
        "type": "object",
        "required": ["username", "password"],
        "properties": {
            "username": {
                "type": "string",
                "minLength": USERNAME_MIN,
                "maxLength": USERNAME_MAX,
                "pattern": USERNAME_PATTERN,
                "description": "Case-insensitive; stored lower-case.",
            },
            "password": {
                "type": "string",
                "minLength": PASSWORD_MIN,
                "maxLength": PASSWORD_MAX,
                "description": "At least 4 different characters; must not contain the username.",
            },
        },
    },
    "Account": {"type": "object", "required": ["username"], "properties": {"username": {"type": "string"}}},
    "SessionInfo": {
        "type": "object",
        "required": ["username", "csrfToken"],
        "properties": {
            "username": {"type": "string"},
            "csrfToken": {"type": "string", "description": f"Send back as `{CSRF_HEADER}` (also in `{CSRF_COOKIE}`)."},
        },
    },
    "LoggedOut": {
        "type": "object",
        "required": ["loggedOut"],
        "properties": {"loggedOut": {"type": "boolean", "enum": [True]}},
    },
    "WatchItem": {
        "type": "object",
        "required": ["symbol", "addedAt"],
        "properties": {
            "symbol": {"type": "string"},
            "addedAt": {"type": "integer", "minimum": 0, "maximum": MAX_TIMESTAMP_MS, "description": "ms since epoch"},
        },
    },
    "Watchlist": {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": _ref("WatchItem")}},
    },
    "WatchlistReplacement": {
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": {
                "type": "array",
                "maxItems": WATCHLIST_CAP,
                "description": "The new list in order; known symbols, each once.",
                "items": {
                    "type": "object",
                    "required": ["symbol"],
                    "properties": {"symbol": {"type": "string", "minLength": 1, "maxLength": SYMBOL_MAX}},
                },
            }
        },
    },
    "GuestSync": {
        "type": "object",
        "required": ["syncId", "items"],
        "description": (
            f"The guest list kept in localStorage under `{GUEST_STORAGE_KEY}` as "
            f'`{{"v": {GUEST_SCHEMA_VERSION}, "items": [...]}}`; a new `syncId` per attempt to merge, '
            "the same one when retrying it."
        ),
        "properties": {
            "syncId": {"type": "string", "format": "uuid"},
            "items": {
                "type": "array",
                "maxItems": MAX_GUEST_ITEMS,
                "items": {
                    "type": "object",
                    "required": ["symbol", "addedAt"],
                    "properties": {
                        "symbol": {"type": "string", "minLength": 1, "maxLength": SYMBOL_MAX},
                        "addedAt": {"type": "integer", "minimum": 0, "maximum": MAX_TIMESTAMP_MS},
                    },
                },
            },
        },
    },
    # Not sent as such: the browser-side shape the sync request is built from.
    "GuestWatchlist": GUEST_WATCHLIST_JSON_SCHEMA,
    "SyncResult": {
        "type": "object",
        "required": ["items", "added", "skipped", "truncated"],
        "description": (
            "Merge rule: the server list keeps its order; guest symbols not already present are appended in "
            f"`addedAt` order; unknown symbols go to `skipped`; the list is capped at {WATCHLIST_CAP} and what "
            "does not fit goes to `truncated`; nothing on the server list is ever removed."
        ),
        "properties": {
            "items": {"type": "array", "items": _ref("WatchItem")},
            "added": {"type": "array", "items": {"type": "string"}},
            "skipped": {"type": "array", "items": {"type": "string"}},
            "truncated": {"type": "array", "items": {"type": "string"}},
        },
    },
}

PATHS: JsonObject = {
    "/api/v1/markets": {
        "get": {
            "operationId": "listMarkets",
            "tags": ["market"],
            "summary": "Snapshot of every market, from the cache",
            "responses": {"200": _json(_ref("MarketSnapshot"), "The cached snapshot.")},
        }
    },
    "/api/v1/markets/{symbol}": {
        "get": {
            "operationId": "getMarket",
            "tags": ["market"],
            "summary": "One market",
            "parameters": [_SYMBOL_PARAM],
            "responses": {"200": _json(_ref("Market"), "The market."), **_errors(404)},
        }
    },
    "/api/v1/markets/{symbol}/klines": {
        "get": {
            "operationId": "getKlines",
            "tags": ["market"],
            "summary": "Candles of one market, from the cache (Binance klines or simulated, labelled)",
            "description": (
                "History comes from Binance's REST klines when the feed connects and the open candle from its "
                "kline streams, both through the cache: a request never reaches Binance. Live candles also arrive "
                "over the WebSocket (`klines` in a subscribe)."
            ),
            "parameters": [
                _SYMBOL_PARAM,
                {
                    "name": "interval",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "enum": list(INTERVALS), "default": INTERVALS[0]},
                },
                {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": KLINES_KEPT, "default": KLINES_KEPT},
                    "description": "How many of the newest candles.",
                },
            ],
            "responses": {
                "200": _json(_ref("Klines"), "The candles, oldest first."),
                **_errors(400, 404),
                "503": _json(_ref("Error"), "No candles yet (the feed is starting) or the cache is unreachable."),
            },
        }
    },
    "/api/v1/auth/signup": {
        "post": {
            "operationId": "signup",
            "tags": ["auth"],
            "summary": "Create an account (does not log in)",
            "requestBody": _body(_ref("NewAccount")),
            "responses": {"201": _json(_ref("Account"), "Created."), **_errors(400, 403, 409, 415, 429, 503)},
        }
    },
    "/api/v1/auth/login": {
        "post": {
            "operationId": "login",
            "tags": ["auth"],
            "summary": "Log in: starts a new session (a new id every time)",
            "description": (
                f"Sets the HttpOnly cookie `{SESSION_COOKIE}` and the script-readable cookie `{CSRF_COOKIE}`. "
                "Failed logins are limited per username and per client address."
            ),
            "requestBody": _body(_ref("Credentials")),
            "responses": {
                "200": _json(
                    _ref("SessionInfo"),
                    "Logged in.",
                    {"Set-Cookie": {"description": "The session and CSRF cookies.", "schema": {"type": "string"}}},
                ),
                **_errors(400, 401, 403, 415, 429, 503),
            },
        }
    },
    "/api/v1/auth/logout": {
        "post": {
            "operationId": "logout",
            "tags": ["auth"],
            "summary": "End (revoke) the current session",
            "security": _SESSION_AND_CSRF,
            "responses": {"200": _json(_ref("LoggedOut"), "Logged out; cookies cleared."), **_errors(401, 403, 503)},
        }
    },
    "/api/v1/auth/me": {
        "get": {
            "operationId": "me",
            "tags": ["auth"],
            "summary": "Who is logged in, and the session's CSRF token",
            "security": _SESSION,
            "responses": {"200": _json(_ref("SessionInfo"), "The session."), **_errors(401, 503)},
        }
    },
    "/api/v1/watchlist": {
        "get": {
            "operationId": "getWatchlist",
            "tags": ["watchlist"],
            "summary": "The user's watchlist, in order",
            "security": _SESSION,
            "responses": {"200": _json(_ref("Watchlist"), "The list."), **_errors(401, 503)},
        },
        "put": {
            "operationId": "replaceWatchlist",
            "tags": ["watchlist"],
            "summary": "Replace the list (order kept; a symbol already there keeps its addedAt)",
            "security": _SESSION_AND_CSRF,
            "requestBody": _body(_ref("WatchlistReplacement")),
            "responses": {"200": _json(_ref("Watchlist"), "The new list."), **_errors(400, 401, 403, 503)},
        },
    },
    "/api/v1/watchlist/{symbol}": {
        "put": {
            "operationId": "addToWatchlist",
            "tags": ["watchlist"],
            "summary": "Append one symbol (no change if present)",
            "security": _SESSION_AND_CSRF,
            "parameters": [_SYMBOL_PARAM],
            "responses": {"200": _json(_ref("Watchlist"), "The new list."), **_errors(400, 401, 403, 404, 409, 503)},
        },
        "delete": {
            "operationId": "removeFromWatchlist",
            "tags": ["watchlist"],
            "summary": "Remove one symbol (no change if absent)",
            "security": _SESSION_AND_CSRF,
            "parameters": [_SYMBOL_PARAM],
            "responses": {"200": _json(_ref("Watchlist"), "The new list."), **_errors(400, 401, 403, 503)},
        },
    },
    "/api/v1/watchlist/sync": {
        "post": {
            "operationId": "syncGuestWatchlist",
            "tags": ["watchlist"],
            "summary": "Merge the guest (localStorage) list; idempotent per syncId",
            "description": "Replaying a syncId changes nothing and returns the first response. "
            "Clear the guest copy only after a 2xx.",
            "security": _SESSION_AND_CSRF,
            "requestBody": _body(_ref("GuestSync")),
            "responses": {"200": _json(_ref("SyncResult"), "Merged."), **_errors(400, 401, 403, 409, 503)},
        }
    },
    "/healthz": {
        "get": {
            "operationId": "healthz",
            "tags": ["operations"],
            "summary": "Liveness",
            "responses": {"200": _json(_ref("Health"), "The process is alive.")},
        }
    },
    "/readyz": {
        "get": {
            "operationId": "readyz",
            "tags": ["operations"],
            "summary": "Readiness: cache reachable and feed fresh",
            "responses": {"200": _json(_ref("Health"), "Ready."), "503": _json(_ref("Health"), "Not ready.")},
        }
    },
    "/metrics": {
        "get": {
            "operationId": "metrics",
            "tags": ["operations"],
            "summary": "Prometheus metrics",
            "responses": {"200": {"description": "Text exposition format.", "content": {"text/plain": {}}}},
        }
    },
}


def openapi_document() -> JsonObject:
    """The whole document (a fresh dict each call, safe to modify)."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "CovaEX API",
            "version": "1",
            "description": (
                "Market snapshot, accounts, watchlist and guest sync. Errors are "
                '`{"error": {"code", "message"}}`; state-changing requests made with the session cookie '
                f"must send the `{CSRF_HEADER}` header."
            ),
        },
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE},
                "csrfHeader": {"type": "apiKey", "in": "header", "name": CSRF_HEADER},
            },
        },
    }


def install(app: ServiceApp) -> None:
    """Serve the document at :data:`OPENAPI_PATH`."""

    @app.get(OPENAPI_PATH, name="openapi")
    async def openapi(request: Request) -> HTTPResponse:
        return json(openapi_document())
