"""The ``auto`` feed (the default): a venue (Binance), falling back to the simulator while it is unreachable.

The venue's client keeps reconnecting in the background the whole time. When
it has not been connected for :data:`FALLBACK_AFTER_SECONDS`, the simulator
starts from the venue's last prices and the data is labelled ``"simulator"``;
as soon as the venue is connected again (its reconnect re-syncs every symbol)
the simulator stops and the label goes back to the venue's name.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence

from covaex_service.market.candles import Kline
from covaex_service.market.feeds.base import KlineSink, MarketSink, UpstreamFeed
from covaex_service.market.feeds.simulator import SimulatorFeed
from covaex_service.market.model import Market, Source
from covaex_service.venues import SIMULATOR

log = logging.getLogger("covaex.market.auto")

FALLBACK_AFTER_SECONDS = 10.0
CHECK_INTERVAL_SECONDS = 0.5


class AutoFeed:
    def __init__(
        self, upstream: UpstreamFeed, simulator: SimulatorFeed, *, fallback_after: float = FALLBACK_AFTER_SECONDS
    ) -> None:
        self.upstream = upstream
        self.simulator = simulator
        self._fallback_after = fallback_after
        self._simulating: asyncio.Task[None] | None = None

    @property
    def source(self) -> Source:
        return SIMULATOR if self._simulating is not None else self.upstream.source

    def is_live(self) -> bool:
        return self.upstream.is_live() or self._simulating is not None

    async def run(self, sink: MarketSink, klines: KlineSink | None = None) -> None:
        def from_upstream(markets: Sequence[Market]) -> None:
            if self._simulating is None:
                sink(markets)

        def klines_from_upstream(candles: Sequence[Kline]) -> None:
            if self._simulating is None and klines is not None:
                klines(candles)

        upstream = asyncio.create_task(
            self.upstream.run(from_upstream, klines_from_upstream), name="covaex-auto-upstream"
        )
        last_live = time.monotonic()
        try:
            while True:
                await asyncio.sleep(CHECK_INTERVAL_SECONDS)
                if self.upstream.is_live():
                    last_live = time.monotonic()
                    if self._simulating is not None:
                        await self._stop_simulator()
                        log.info("%s reachable again: leaving the simulator", self.upstream.source)
                        # Re-sync now that the venue's values may flow again (the sink was muted until here).
                        await self.upstream.resync(self.upstream.symbols)
                elif self._simulating is None and time.monotonic() - last_live >= self._fallback_after:
                    log.warning(
                        "%s unreachable for %.0fs: serving simulated prices", self.upstream.source, self._fallback_after
                    )
                    self.simulator.reseed(self.upstream.latest)
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
