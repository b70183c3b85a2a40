"""The market area of the service (placeholder until its issue lands)."""

from __future__ import annotations

from sanic import Request
from sanic.response import HTTPResponse, json

from covaex_service.sanic_types import ServiceApp


def install(app: ServiceApp) -> None:
    """Register this area's blueprints and listeners on ``app``."""

    @app.get("/healthz")
    async def healthz(request: Request) -> HTTPResponse:
        return json({"status": "ok"})
