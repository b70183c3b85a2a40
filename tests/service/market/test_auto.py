"""The auto feed: Binance, the labelled simulator while Binance is unreachable, Binance again when it returns."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from covaex_service.market.devtools.binance_server import LocalBinance
from covaex_service.market.feeds.auto import AutoFeed
from covaex_service.market.feeds.binance_client import BinanceFeed
from covaex_service.market.feeds.simulator import SimulatorFeed
from covaex_service.market.model import Market
from covaex_service.market.stats import FeedStats

from covaex.localserve import free_port
from tests.support.service import SYMBOLS
from tests.support.wait import eventually


async def test_falls_back_to_the_simulator_and_returns_to_binance() -> None:
    port = free_port()
    server = LocalBinance(SYMBOLS, ping_interval=None, port=port)
    binance = BinanceFeed(SYMBOLS, server.ws_url, server.rest_url, FeedStats(), backoff_base=0.01, backoff_cap=0.05)
    feed = AutoFeed(binance, SimulatorFeed(SYMBOLS, interval=0.05, rng_seed=5), fallback_after=0.3)
    got: list[Market] = []

    def sink(batch: Sequence[Market]) -> None:
        got.extend(batch)

    task = asyncio.create_task(feed.run(sink))
    try:
        assert feed.source == "binance"
        await eventually(lambda: feed.source == "simulator", what="fallback to the simulator")
        await eventually(lambda: any(m.source == "simulator" for m in got), what="simulated ticks")
        assert feed.is_live()  # simulated data is live data, labelled as such

        await server.start()
        await eventually(lambda: feed.source == "binance", what="back to Binance")
        simulated_before = sum(m.source == "simulator" for m in got)
        await server.push("BTCUSDT", last="77777.77")
        await server.push("ETHUSDT", last="3333.33")

        def arrived(symbol: str, last: str) -> bool:
            return any(m.symbol == symbol and m.last == last and m.source == "binance" for m in got)

        await eventually(lambda: arrived("BTCUSDT", "77777.77"), what="Binance ticks")
        await eventually(lambda: arrived("ETHUSDT", "3333.33"), what="another Binance tick")
        assert sum(m.source == "simulator" for m in got) == simulated_before  # the simulator stopped
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await server.stop()
