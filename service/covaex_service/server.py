"""Run the service: the body of ``covaex serve``.

Before any worker starts, the main process opens the database once and applies
its migrations: a wrong ``COVAEX_DATABASE_URL`` or an unreachable server is
then one clear line and a non-zero exit, instead of a worker traceback.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import tempfile

from sanic import Sanic
from sanic.worker.loader import AppLoader

from covaex_service.app import create_app
from covaex_service.errors import CovaexError
from covaex_service.market.gateway.guard import GuardedWebSocketProtocol
from covaex_service.market.metrics import MULTIPROCESS_DIR_ENV
from covaex_service.sanic_types import ServiceApp
from covaex_service.settings import Settings, load_settings


def _factory() -> ServiceApp:
    # Worker processes rebuild the app from the environment the parent prepared.
    return create_app(load_settings())


async def _preflight(settings: Settings) -> None:
    from covaex_service.accounts.storage import open_store

    try:
        store = await open_store(settings.database_url)
    except OSError as exc:  # e.g. the SQLite file's folder cannot be created
        raise CovaexError(f"cannot open the database {settings.database_url}: {exc.strerror or exc}") from None
    await store.db.close()


def _check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CovaexError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def serve(settings: Settings) -> None:
    """Serve until interrupted; ``settings`` are already validated."""
    _check_port_free(settings.host, settings.port)
    asyncio.run(_preflight(settings))
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
    # One scrape of /metrics answers for every worker (prometheus_client multiprocess mode):
    # a fresh folder per run, since its files must not outlive the workers that wrote them.
    metrics_dir = tempfile.mkdtemp(prefix="covaex-metrics-")
    os.environ[MULTIPROCESS_DIR_ENV] = metrics_dir
    loader = AppLoader(factory=_factory)
    app = loader.load()
    app.prepare(
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        access_log=False,
        protocol=GuardedWebSocketProtocol,  # bounds control-frame floods (market/gateway/guard.py)
    )
    try:
        Sanic.serve(primary=app, app_loader=loader)
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
