"""Exceptions of the service and their one mapping to HTTP.

    CovaexError                   base: a message safe to show to a user
    ├── SettingsError             bad COVAEX_* configuration (refused at start)
    └── ApiError                  carries an HTTP status and an error code
        ├── BadRequest            400 invalid_request
        ├── Unauthorized          401 unauthorized
        ├── Forbidden             403 forbidden
        ├── NotFound              404 not_found
        ├── Conflict              409 conflict
        ├── UnsupportedMediaType  415 unsupported_media_type
        ├── TooManyRequests       429 rate_limited
        └── Unavailable           503 unavailable

Handlers raise these; :func:`error_response` is the one mapping from any
exception to the JSON body ``{"error": {"code": str, "message": str}}`` that
INTERFACE.md promises (with ``Retry-After`` when the error names a wait), and
:func:`error_body` shapes that body. The app's error handlers call it and
nothing else builds an error body (ruff's banned-api rule, ``TID251`` in
``pyproject.toml``, refuses ``error_body`` anywhere else). Every code is one of
the registry's (:mod:`covaex_service.error_codes`): ``code`` is typed with it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

from covaex_service.error_codes import RestCode

if TYPE_CHECKING:
    # Only error_response needs Sanic, and imports it when called: the exception tree is
    # shared with the docs-only CLI (`covaex synth/docs/spof/diagram/diff`), which runs
    # without the service extra installed.
    from sanic.response import HTTPResponse

log = logging.getLogger("covaex")


class CovaexError(Exception):
    """Base class: ``str(error)`` is a message fit for the user."""


class SettingsError(CovaexError):
    """A ``COVAEX_*`` setting is missing or invalid."""


class ApiError(CovaexError):
    status: ClassVar[int] = 500
    code: ClassVar[RestCode] = "internal"

    def __init__(self, message: str, *, code: RestCode | None = None, retry_after_s: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        # Seconds after which the same request may succeed: sent as ``Retry-After``.
        self.retry_after_s = retry_after_s
        if code is not None:
            self.code = code  # type: ignore[misc]


class BadRequest(ApiError):
    status = 400
    code = "invalid_request"


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


class NotFound(ApiError):
    status = 404
    code = "not_found"


class Conflict(ApiError):
    status = 409
    code = "conflict"


class UnsupportedMediaType(ApiError):
    status = 415
    code = "unsupported_media_type"


class TooManyRequests(ApiError):
    status = 429
    code = "rate_limited"


class Unavailable(ApiError):
    status = 503
    code = "unavailable"


def error_body(code: RestCode, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


# Sanic's own 4xx (unknown route, wrong method, body too big) keep their status with our body.
_SANIC_CODES: dict[int, RestCode] = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


def error_response(exc: BaseException, where: str = "") -> HTTPResponse:
    """The JSON response for ``exc``: ours as they say, Sanic's 4xx kept, anything else a logged 500."""
    from sanic.response import json

    if isinstance(exc, ApiError):
        headers = {"Retry-After": str(exc.retry_after_s)} if exc.retry_after_s is not None else None
        return json(error_body(exc.code, exc.message), status=exc.status, headers=headers)
    status = getattr(exc, "status_code", 500)
    if not isinstance(status, int) or status >= 500:
        log.error("unhandled error on %s", where or "?", exc_info=exc)
        return json(error_body("internal", "internal error; it has been logged"), status=500)
    code = _SANIC_CODES.get(status, "invalid_request")
    return json(error_body(code, str(exc) or code), status=status)
