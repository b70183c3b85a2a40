"""Fixtures of the market tests: the local Binance-protocol server and a Redis server of the test's own.

The helpers they use (the app in the test's loop, waiting, the Redis server)
are in ``tests/support/``.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from covaex_service.market.devtools.binance_server import LocalBinance

from tests.support.servers import RedisServer
from tests.support.service import SYMBOLS


@pytest.fixture
async def binance() -> AsyncIterator[LocalBinance]:
    server = LocalBinance(SYMBOLS, ping_interval=None)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (scripts/setup.sh installs it)")
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()
