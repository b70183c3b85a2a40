"""Market feeds, one module per source: ``binance`` (real client), ``simulator`` (offline), ``auto`` (both)."""

from __future__ import annotations

from covaex_service.market.feeds.auto import AutoFeed
from covaex_service.market.feeds.base import MarketFeed, MarketSink
from covaex_service.market.feeds.binance_client import BinanceFeed
from covaex_service.market.feeds.simulator import SimulatorFeed
from covaex_service.market.stats import FeedStats
from covaex_service.settings import Settings

__all__ = ["AutoFeed", "BinanceFeed", "MarketFeed", "MarketSink", "SimulatorFeed", "build_feed"]


def build_feed(settings: Settings, stats: FeedStats) -> MarketFeed:
    """The feed ``COVAEX_FEED`` names."""
    if settings.feed == "simulator":
        return SimulatorFeed(settings.symbols)
    binance = BinanceFeed(settings.symbols, settings.binance_ws_url, settings.binance_rest_url, stats)
    if settings.feed == "binance":
        return binance
    return AutoFeed(binance, SimulatorFeed(settings.symbols))
