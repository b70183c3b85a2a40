"""Market cache: the contract (:mod:`.contract`) and its Redis and embedded implementations."""

from __future__ import annotations

from covaex_service.market.cache.contract import CacheUnavailable, Keys, MarketCache, Snapshot
from covaex_service.market.cache.embedded import EmbeddedCache
from covaex_service.market.cache.redis_cache import RedisCache

__all__ = ["CacheUnavailable", "EmbeddedCache", "Keys", "MarketCache", "RedisCache", "Snapshot", "open_cache"]


def open_cache(redis_url: str | None, keys: Keys | None = None) -> MarketCache:
    """Redis when a URL is configured (shared by workers), else the embedded cache."""
    if redis_url is None:
        return EmbeddedCache(keys)
    return RedisCache(redis_url, keys)
