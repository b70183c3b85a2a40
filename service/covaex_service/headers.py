"""Security headers on every HTTP response, whatever area answered it (API, page, static, errors).

A response that already chose a header keeps it (the page sets its own
Content-Security-Policy for its scripts and styles); everything else gets the
strict default below, which suits JSON and static files: they never need to
run a script, load a resource or be framed.

* ``Strict-Transport-Security`` in prod only: dev serves plain HTTP on
  loopback, and a browser that saw HSTS for ``localhost`` would refuse it later.
* ``Cache-Control: no-store`` on the account API: its bodies carry the CSRF
  token and the user's list, which no shared or browser cache should keep.
"""

from __future__ import annotations

from sanic import Request
from sanic.response import BaseHTTPResponse

from covaex_service.sanic_types import ServiceApp

DEFAULT_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
HSTS = "max-age=31536000; includeSubDomains"
PRIVATE_PREFIXES = ("/api/v1/auth", "/api/v1/watchlist")

COMMON_HEADERS = {
    "Content-Security-Policy": DEFAULT_CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def install(app: ServiceApp) -> None:
    prod = app.ctx.settings.env == "prod"

    async def security_headers(request: Request, response: BaseHTTPResponse) -> None:
        headers = response.headers
        for name, value in COMMON_HEADERS.items():
            headers.setdefault(name, value)
        if prod:
            headers.setdefault("Strict-Transport-Security", HSTS)
        if request.path.startswith(PRIVATE_PREFIXES):
            headers["Cache-Control"] = "no-store"

    # Lowest priority runs last: it sees the final response of every handler and error.
    app.register_middleware(security_headers, "response", priority=-100)
