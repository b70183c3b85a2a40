"""Market feeds: one module per venue (``binance_client`` + ``binance``), ``simulator`` (offline), ``auto`` (both).

Which venues exist, and how each feed is built, is :mod:`covaex_service.venues`.
"""

from __future__ import annotations

from covaex_service.market.feeds.auto import AutoFeed
from covaex_service.market.feeds.base import MarketFeed, MarketSink, UpstreamFeed
from covaex_service.market.feeds.binance_client import BinanceFeed
from covaex_service.market.feeds.simulator import SimulatorFeed
from covaex_service.market.stats import FeedStats
from covaex_service.settings import AUTO, Settings
from covaex_service.venues import DEFAULT_VENUE, SIMULATOR, VENUES

__all__ = ["AutoFeed", "BinanceFeed", "MarketFeed", "MarketSink", "SimulatorFeed", "UpstreamFeed", "build_feed"]


def build_feed(settings: Settings, stats: FeedStats) -> MarketFeed:
    """The feed ``COVAEX_FEED`` names: a venue, the simulator, or ``auto`` (the default venue with the fallback)."""
    if settings.feed == SIMULATOR:
        return SimulatorFeed(settings.symbols)
    venue = DEFAULT_VENUE if settings.feed == AUTO else VENUES[settings.feed]
    upstream = venue.connect(settings, stats)
    if settings.feed == AUTO:
        return AutoFeed(upstream, SimulatorFeed(settings.symbols))
    return upstream
