"""Run the service: the body of ``covaex serve``."""

from __future__ import annotations

import os

from sanic import Sanic
from sanic.worker.loader import AppLoader

from covaex_service.app import create_app
from covaex_service.sanic_types import ServiceApp
from covaex_service.settings import Settings, load_settings


def _factory() -> ServiceApp:
    # Worker processes rebuild the app from the environment the parent prepared.
    return create_app(load_settings())


def serve(settings: Settings) -> None:
    """Serve until interrupted; ``settings`` are already validated."""
    # Workers are separate processes: hand them the CLI overrides via the env.
    os.environ.update(
        {
            "COVAEX_HOST": settings.host,
            "COVAEX_PORT": str(settings.port),
            "COVAEX_FEED": settings.feed,
            "COVAEX_SYMBOLS": ",".join(settings.symbols),
        }
    )
    if settings.secret_generated:
        # One generated key for every worker, so a session works on all of them.
        os.environ["COVAEX_SECRET_KEY"] = settings.secret_key
    loader = AppLoader(factory=_factory)
    app = loader.load()
    app.prepare(host=settings.host, port=settings.port, workers=settings.workers, access_log=False)
    Sanic.serve(primary=app, app_loader=loader)
