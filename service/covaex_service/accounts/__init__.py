"""The accounts area of the service (placeholder until its issue lands)."""

from __future__ import annotations

from covaex_service.sanic_types import ServiceApp


def install(app: ServiceApp) -> None:
    """Register this area's blueprints and listeners on ``app``."""
