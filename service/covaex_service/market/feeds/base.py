"""What every feed is to the rest of the market area: a source of normalized :class:`Market` batches."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from covaex_service.market.candles import Kline
from covaex_service.market.model import Market, Source

MarketSink = Callable[[Sequence[Market]], None]
"""Receives each batch; it must not block (the ingest keeps only the latest value per symbol)."""

KlineSink = Callable[[Sequence[Kline]], None]
"""Receives candles (history and the live candle); it must not block either."""


class MarketFeed(Protocol):
    """A feed runs until cancelled, handing batches to the sink; it never gives up on its own."""

    @property
    def source(self) -> Source:
        """Label of the data the feed currently delivers."""

    def is_live(self) -> bool:
        """True while the feed delivers fresh data (drives the heartbeat, hence staleness)."""

    async def run(self, sink: MarketSink, klines: KlineSink | None = None) -> None:
        """Deliver tickers to ``sink`` and, when given, candles to ``klines``."""
