"""The module-scoped ``served`` fixture of the abuse suite (the service and its upstream: ``harness.py``).

The market feed is the real Binance client talking to the local Binance-protocol
server, run as its own process so a test can stop and restart the "upstream".
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis

from covaex.localserve import free_port, start_service, stop_service
from tests.abuse.harness import SYMBOLS, Served, Upstream, create_database, drop_database, wait_ready


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, postgres_url: str, redis_url: str) -> Iterator[Served]:
    """``covaex serve --workers 2`` with production costs (Argon2id at 64 MiB) and the real upstream protocol."""
    name = f"covaex_abuse_{secrets.token_hex(5)}"
    asyncio.run(create_database(postgres_url, name))
    database_url = urlunsplit(urlsplit(postgres_url)._replace(path=f"/{name}"))
    # A Redis database of its own on the session's server: no other test's keys, flushed first.
    redis_db_url = urlunsplit(urlsplit(redis_url)._replace(path="/11"))
    redis.Redis.from_url(redis_db_url).flushdb()
    upstream = Upstream(free_port())
    upstream.start()
    port = free_port()
    log_path = tmp_path_factory.mktemp("abuse") / "serve.log"
    env = {
        **os.environ,
        "COVAEX_PORT": str(port),
        "COVAEX_FEED": "binance",
        "COVAEX_SYMBOLS": ",".join(SYMBOLS),
        "COVAEX_BINANCE_WS_URL": upstream.ws_url,
        "COVAEX_BINANCE_REST_URL": upstream.rest_url,
        "COVAEX_REDIS_URL": redis_db_url,
        "COVAEX_DATABASE_URL": database_url,
        "COVAEX_PROXIES_COUNT": "1",
    }
    process = start_service(["--workers", "2", "--host", "127.0.0.1"], env=env, log_path=log_path)
    served = Served(process, port, log_path, database_url, upstream)
    try:
        wait_ready(served)
        yield served
    finally:
        stop_service(process)
        upstream.stop()
        asyncio.run(drop_database(postgres_url, name))
