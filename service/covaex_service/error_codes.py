"""Every error code the service answers with: the one registry.

A REST error carries its code in ``{"error": {"code": ...}}`` (:mod:`covaex_service.errors`),
a WebSocket error frame in ``{"type": "error", "code": ...}``
(:mod:`covaex_service.market.gateway.protocol`). Both take their code as one of the
literal types below, so ``mypy --strict`` refuses a code that is not registered
here; the page's ``errors.js`` has a Korean sentence for exactly these codes
(``tests/ui/test_korean.py`` reads :data:`CODES`).

A new code is one line here, its Korean sentence in ``ui/static/js/errors.js`` and,
for the WebSocket, its meaning in ``protocol.ERROR_CODES``.
"""

from __future__ import annotations

from typing import Literal, get_args

RestCode = Literal[
    # the exception tree's own (errors.py): one per class
    "internal",
    "invalid_request",
    "unauthorized",
    "forbidden",
    "not_found",
    "conflict",
    "unsupported_media_type",
    "rate_limited",
    "unavailable",
    # Sanic's own 4xx, kept with their status (errors.py)
    "method_not_allowed",
    "payload_too_large",
    # specific codes a handler raises with (``code=``)
    "cross_origin",
    "busy",
    "sync_id_reused",
    "username_taken",
    "bad_credentials",
    "unknown_symbol",
    "watchlist_full",
    "unknown_interval",
]
"""The codes of REST error bodies."""

WebSocketCode = Literal[
    "malformed_json",
    "invalid_message",
    "unknown_op",
    "unknown_symbol",
    "too_many_symbols",
    "unknown_interval",
    "rate_limited",
]
"""The codes of the gateway's error frames (their meanings: ``protocol.ERROR_CODES``)."""

REST_CODES: frozenset[str] = frozenset(get_args(RestCode))
WEBSOCKET_CODES: frozenset[str] = frozenset(get_args(WebSocketCode))
CODES: frozenset[str] = REST_CODES | WEBSOCKET_CODES
"""Every code the API can answer with, REST and WebSocket."""
