"""The read side: the REST body is encoded once per snapshot version and follows every new snapshot."""

from __future__ import annotations

import asyncio
import json
import time

from covaex_service.market.cache.contract import STALE_AFTER_MS
from covaex_service.market.cache.embedded import EmbeddedCache
from covaex_service.market.model import Market
from covaex_service.market.view import READ_INTERVAL_SECONDS, MarketView


def btc(last: str) -> Market:
    return Market.from_json(
        {"symbol": "BTCUSDT", "last": last, "open": "1.00", "high": last, "low": "1.00", "changePct": "0.000",
         "volume": "1.00", "quoteVolume": "1.00", "eventTime": 1},
        "binance",
    )  # fmt: skip


async def test_snapshot_bytes_are_shared_per_version_and_follow_new_snapshots() -> None:
    cache = EmbeddedCache()
    view = MarketView(cache, "binance")
    now = int(time.time() * 1000)
    await cache.write([btc("1.00")], [btc("1.00")], "binance", now)
    first = await view.snapshot_bytes()
    assert json.loads(first) == await view.snapshot_json()
    assert json.loads(first)["markets"][0]["last"] == "1.00"
    await asyncio.sleep(READ_INTERVAL_SECONDS * 1.5)
    assert await view.snapshot_bytes() is first, "the same version was encoded again"

    await cache.write([btc("2.00")], [btc("2.00")], "binance", now + 1)
    await asyncio.sleep(READ_INTERVAL_SECONDS * 1.5)
    body = json.loads(await view.snapshot_bytes())
    assert (body["asOf"], body["markets"][0]["last"], body["stale"]) == (now + 1, "2.00", False)

    # Staleness changes with the clock, without a new snapshot: the body says so at once.
    await cache.write([btc("3.00")], [btc("3.00")], "binance", now - STALE_AFTER_MS - 1000)
    await asyncio.sleep(READ_INTERVAL_SECONDS * 1.5)
    body = json.loads(await view.snapshot_bytes())
    assert (body["markets"][0]["last"], body["stale"]) == ("3.00", True)
