"""What every feed is to the rest of the market area: a source of normalized :class:`Market` batches."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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


class UpstreamFeed(MarketFeed, Protocol):
    """A venue's feed (:mod:`covaex_service.venues`): what the ``auto`` feed needs to fall back and return."""

    @property
    def symbols(self) -> Sequence[str]:
        """The symbols it follows."""

    @property
    def latest(self) -> Mapping[str, Market]:
        """The last market of each symbol it delivered (the simulator starts from these)."""

    async def resync(self, symbols: Sequence[str]) -> None:
        """Fetch a fresh snapshot of ``symbols`` now (after the fallback ends)."""
