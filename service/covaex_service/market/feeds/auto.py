"""The ``auto`` feed (the default): Binance, falling back to the simulator while Binance is unreachable.

The Binance client keeps reconnecting in the background the whole time. When
it has not been connected for :data:`FALLBACK_AFTER_SECONDS`, the simulator
starts from Binance's last prices and the data is labelled ``"simulator"``;
as soon as Binance is connected again (its reconnect re-syncs every symbol
from REST) the simulator stops and the label goes back to ``"binance"``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence

from covaex_service.market.candles import Kline
from covaex_service.market.feeds.base import KlineSink, MarketSink
from covaex_service.market.feeds.binance_client import BinanceFeed
from covaex_service.market.feeds.simulator import SimulatorFeed
from covaex_service.market.model import Market, Source

log = logging.getLogger("covaex.market.auto")

FALLBACK_AFTER_SECONDS = 10.0
CHECK_INTERVAL_SECONDS = 0.5


class AutoFeed:
    def __init__(
        self, binance: BinanceFeed, simulator: SimulatorFeed, *, fallback_after: float = FALLBACK_AFTER_SECONDS
    ) -> None:
        self.binance = binance
        self.simulator = simulator
        self._fallback_after = fallback_after
        self._simulating: asyncio.Task[None] | None = None

    @property
    def source(self) -> Source:
        return "simulator" if self._simulating is not None else "binance"

    def is_live(self) -> bool:
        return self.binance.is_live() or self._simulating is not None

    async def run(self, sink: MarketSink, klines: KlineSink | None = None) -> None:
        def from_binance(markets: Sequence[Market]) -> None:
            if self._simulating is None:
                sink(markets)

        def klines_from_binance(candles: Sequence[Kline]) -> None:
            if self._simulating is None and klines is not None:
                klines(candles)

        upstream = asyncio.create_task(self.binance.run(from_binance, klines_from_binance), name="covaex-auto-binance")
        last_live = time.monotonic()
        try:
            while True:
                await asyncio.sleep(CHECK_INTERVAL_SECONDS)
                if self.binance.is_live():
                    last_live = time.monotonic()
                    if self._simulating is not None:
                        await self._stop_simulator()
                        log.info("Binance reachable again: leaving the simulator")
                        # Re-sync now that Binance's values may flow again (the sink was muted until here).
                        await self.binance.resync(self.binance.symbols)
                elif self._simulating is None and time.monotonic() - last_live >= self._fallback_after:
                    log.warning("Binance unreachable for %.0fs: serving simulated prices", self._fallback_after)
                    self.simulator.reseed(self.binance.latest)
                    self._simulating = asyncio.create_task(
                        self.simulator.run(sink, klines), name="covaex-auto-simulator"
                    )
        finally:
            upstream.cancel()
            await self._stop_simulator()
            with contextlib.suppress(asyncio.CancelledError):
                await upstream

    async def _stop_simulator(self) -> None:
        task, self._simulating = self._simulating, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
