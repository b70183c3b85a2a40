"""Market feeds, one module per source: ``binance`` (real client), ``simulator`` (offline), ``auto`` (both)."""

from __future__ import annotations

from covaex_service.market.feeds.base import MarketFeed, MarketSink
from covaex_service.market.feeds.simulator import SimulatorFeed
from covaex_service.market.stats import FeedStats
from covaex_service.settings import Settings

__all__ = ["MarketFeed", "MarketSink", "build_feed"]


def build_feed(settings: Settings, stats: FeedStats) -> MarketFeed:
    """The feed ``COVAEX_FEED`` names."""
    return SimulatorFeed(settings.symbols)
