"""Exceptions of the service and their one mapping to HTTP.

    CovaexError                   base: a message safe to show to a user
    ├── SettingsError             bad COVAEX_* configuration (refused at start)
    └── ApiError                  carries an HTTP status and an error code
        ├── BadRequest            400 invalid_request
        ├── Unauthorized          401 unauthorized
        ├── Forbidden             403 forbidden
        ├── NotFound              404 not_found
        ├── Conflict              409 conflict
        ├── TooManyRequests       429 rate_limited
        └── Unavailable           503 unavailable

Handlers raise these; :func:`error_body` shapes the JSON body
``{"error": {"code": str, "message": str}}`` that INTERFACE.md promises.
"""

from __future__ import annotations

from typing import Any, ClassVar


class CovaexError(Exception):
    """Base class: ``str(error)`` is a message fit for the user."""


class SettingsError(CovaexError):
    """A ``COVAEX_*`` setting is missing or invalid."""


class ApiError(CovaexError):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
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


class TooManyRequests(ApiError):
    status = 429
    code = "rate_limited"


class Unavailable(ApiError):
    status = 503
    code = "unavailable"


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}
