"""The market cache contract: key names, TTLs, documents and the one interface.

Every worker (and every instance) reads the same few documents; one elected
ingest leader writes them. Key names carry a version so a future layout can
live next to this one during a rolling deploy.

==========================================  ====================================  =====================
key / channel (default namespace)           value                                 TTL
==========================================  ====================================  =====================
``covaex:v1:market:<SYMBOL>``               latest value of one symbol:           :data:`MARKET_TTL_SECONDS`
                                            ``{"source", "market": {...}}``
``covaex:v1:snapshot``                      the SSR/REST document:                :data:`SNAPSHOT_TTL_SECONDS`
                                            ``{"asOf", "source", "markets"}``
``covaex:v1:feed:heartbeat``                ``{"at": ms, "source"}``, rewritten   :data:`HEARTBEAT_TTL_SECONDS`
                                            every :data:`HEARTBEAT_INTERVAL_SECONDS`
                                            while the feed is live
``covaex:v1:feed:leader``                   id of the worker running the feed     :data:`LEADER_TTL_MS` (renewed)
``covaex:v1:updates`` (pub/sub channel)     ``{"asOf", "source", "markets"}`` with
                                            only the symbols that changed; candle
                                            batches add ``"klines": [{"symbol",
                                            "interval", "kline"}]`` (open candles)
``covaex:v1:klines:<SYMBOL>:<INTERVAL>``    a candle series, oldest first:         :data:`KLINES_TTL_SECONDS`
                                            ``{"source", "klines": [...]}``,
                                            rewritten when a candle is added
``covaex:v1:kline:<SYMBOL>:<INTERVAL>``     the open candle ``{"source",           :data:`KLINES_TTL_SECONDS`
                                            "kline"}``, rewritten as it changes
==========================================  ====================================  =====================

Candles are split in two keys so a live candle's change, many a second, is a
small write; the series (up to :data:`~..candles.KLINES_KEPT` candles) is
rewritten only when a candle opens or history arrives. A reader lays the
open candle over the series (same ``openTime`` replaces, newer appends).

Staleness: a snapshot is *stale* when the heartbeat is missing or older than
:data:`STALE_AFTER_MS`, or when the cache cannot be reached and a worker
serves its last good copy. Values outlive the heartbeat on purpose (a day):
a feed outage shows the last prices marked stale instead of an empty page.

Writes are pipelined: one round trip per ingest batch sets the changed
latest-value keys, the snapshot document and the heartbeat, then publishes
the batch.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from covaex_service.market.candles import Kline, merge_series
from covaex_service.market.model import InvalidMarket, Market, Source
from covaex_service.venues import DEFAULT_VENUE, SIMULATOR, SOURCES, is_simulated

NAMESPACE = "covaex:v1"
"""Prefix of every key and channel; the ``v1`` is the layout version."""

SNAPSHOT_KEY = f"{NAMESPACE}:snapshot"
HEARTBEAT_KEY = f"{NAMESPACE}:feed:heartbeat"
LEADER_KEY = f"{NAMESPACE}:feed:leader"
UPDATES_CHANNEL = f"{NAMESPACE}:updates"
MARKET_KEY_PATTERN = f"{NAMESPACE}:market:<SYMBOL>"

MARKET_TTL_SECONDS = 24 * 3600
SNAPSHOT_TTL_SECONDS = 24 * 3600
KLINES_TTL_SECONDS = 24 * 3600
HEARTBEAT_TTL_SECONDS = 30
HEARTBEAT_INTERVAL_SECONDS = 1.0
STALE_AFTER_MS = 10_000
LEADER_TTL_MS = 10_000
LEADER_RENEW_SECONDS = 3.0


class CacheUnavailable(Exception):
    """The cache server cannot be reached (or answered garbage); callers serve what they last had."""


@dataclass(frozen=True, slots=True)
class Keys:
    """Key names under one namespace (tests use their own to share a Redis server)."""

    namespace: str = NAMESPACE

    @property
    def snapshot(self) -> str:
        return f"{self.namespace}:snapshot"

    @property
    def heartbeat(self) -> str:
        return f"{self.namespace}:feed:heartbeat"

    @property
    def leader(self) -> str:
        return f"{self.namespace}:feed:leader"

    @property
    def updates(self) -> str:
        return f"{self.namespace}:updates"

    def market(self, symbol: str) -> str:
        return f"{self.namespace}:market:{symbol}"

    def klines(self, symbol: str, interval: str) -> str:
        return f"{self.namespace}:klines:{symbol}:{interval}"

    def open_kline(self, symbol: str, interval: str) -> str:
        return f"{self.namespace}:kline:{symbol}:{interval}"


SeriesKey = tuple[str, str]
"""``(symbol, interval)``."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a cache holds for SSR and REST, plus what decides staleness."""

    as_of: int | None
    source: Source | None
    markets: tuple[dict[str, Any], ...]
    heartbeat_at: int | None

    def is_stale(self, now_ms: int) -> bool:
        return self.heartbeat_at is None or now_ms - self.heartbeat_at > STALE_AFTER_MS


EMPTY_SNAPSHOT = Snapshot(as_of=None, source=None, markets=(), heartbeat_at=None)


def _dumps(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def encode_market(market: Market) -> bytes:
    return _dumps({"source": market.source, "market": market.to_json()})


def encode_snapshot(markets: Sequence[Market], source: Source, at_ms: int) -> bytes:
    return _dumps({"asOf": at_ms, "source": source, "markets": [m.to_json() for m in markets]})


def encode_heartbeat(source: Source, at_ms: int) -> bytes:
    return _dumps({"at": at_ms, "source": source})


def encode_update(changed: Sequence[Market], source: Source, at_ms: int) -> bytes:
    """The pub/sub message: the snapshot document's shape, with only the changed markets."""
    return encode_snapshot(changed, source, at_ms)


def label_of(klines: Sequence[Kline]) -> Source:
    """Honest labelling: a series holding any simulated candle is labelled ``simulator`` as a whole."""
    if any(is_simulated(k.source) for k in klines):
        return SIMULATOR
    return klines[0].source if klines else DEFAULT_VENUE.name


def encode_klines(series: Sequence[Kline]) -> bytes:
    return _dumps({"source": label_of(series), "klines": [k.to_json() for k in series]})


def encode_open_kline(kline: Kline) -> bytes:
    return _dumps({"source": kline.source, "kline": kline.to_json()})


def encode_kline_update(live: Sequence[Kline], at_ms: int) -> bytes:
    """The pub/sub message of a candle batch: no markets, the changed open candles."""
    klines = [{"symbol": k.symbol, "interval": k.interval, "kline": k.to_json()} for k in live]
    return _dumps({"asOf": at_ms, "source": label_of(live), "markets": [], "klines": klines})


def decode_klines(
    symbol: str,
    interval: str,
    series_doc: bytes | str | None,
    open_doc: bytes | str | None,
    tail: int | None = None,
) -> tuple[Source, list[Kline]] | None:
    """The stored series with the open candle laid over it; ``None`` when neither is stored.

    ``tail`` keeps only the newest candles, and builds (validates) only those:
    a sparkline's reader needs 24 of the 500 kept.
    """
    if series_doc is None and open_doc is None:
        return None
    try:
        source: Source | None = None
        series: list[Kline] = []
        if series_doc is not None:
            doc = json.loads(series_doc)
            source = _source(doc["source"])
            stored = doc["klines"] if tail is None else doc["klines"][-tail:]
            series = [Kline.from_json(k, symbol, interval, source) for k in stored]
        if open_doc is not None:
            doc = json.loads(open_doc)
            open_source = _source(doc["source"])
            source = open_source if source is None or is_simulated(open_source) else source
            series = merge_series(series, [Kline.from_json(doc["kline"], symbol, interval, open_source)])
        return source or DEFAULT_VENUE.name, series if tail is None else series[-tail:]
    except (ValueError, KeyError, TypeError, InvalidMarket) as exc:
        raise CacheUnavailable(f"cache holds a malformed candle document: {exc}") from exc


def _source(value: object) -> Source:
    for known in SOURCES:
        if value == known:
            return known
    raise CacheUnavailable(f"cache holds an unknown source {value!r}")


def decode_snapshot(snapshot_doc: bytes | str | None, heartbeat_doc: bytes | str | None) -> Snapshot:
    """Read the stored documents back; a corrupt document is reported as the cache being unusable."""
    try:
        heartbeat_at: int | None = None
        if heartbeat_doc is not None:
            beat = json.loads(heartbeat_doc)
            heartbeat_at = int(beat["at"])
        if snapshot_doc is None:
            return Snapshot(as_of=None, source=None, markets=(), heartbeat_at=heartbeat_at)
        doc = json.loads(snapshot_doc)
        source = _source(doc["source"])
        markets = tuple(Market.from_json(m, source).to_json() for m in doc["markets"])
        return Snapshot(as_of=int(doc["asOf"]), source=source, markets=markets, heartbeat_at=heartbeat_at)
    except (ValueError, KeyError, TypeError, InvalidMarket) as exc:
        raise CacheUnavailable(f"cache holds a malformed document: {exc}") from exc


def decode_market(doc: bytes | str | None) -> tuple[Source, dict[str, Any]] | None:
    if doc is None:
        return None
    try:
        data = json.loads(doc)
        source = _source(data["source"])
        return source, Market.from_json(data["market"], source).to_json()
    except (ValueError, KeyError, TypeError, InvalidMarket) as exc:
        raise CacheUnavailable(f"cache holds a malformed market: {exc}") from exc


class MarketCache(Protocol):
    """One interface, two implementations: Redis (shared) and embedded (one process)."""

    shared: bool
    """True when other processes see the same data (several workers are allowed)."""

    async def write(self, changed: Sequence[Market], everything: Sequence[Market], source: Source, at_ms: int) -> None:
        """Pipelined: latest-value keys of ``changed``, the snapshot of ``everything``, heartbeat, publish."""

    async def beat(self, source: Source, at_ms: int) -> None:
        """Refresh the feed heartbeat without new prices (the feed is live but quiet)."""

    async def snapshot(self) -> Snapshot:
        """The stored snapshot; raises :class:`CacheUnavailable`."""

    async def market(self, symbol: str) -> tuple[Source, dict[str, Any]] | None:
        """The latest value of one symbol, or ``None``; raises :class:`CacheUnavailable`."""

    async def write_klines(self, series: Sequence[Sequence[Kline]], live: Sequence[Kline], at_ms: int) -> None:
        """Pipelined: each whole series in ``series``, each open candle in ``live``, then publish ``live``."""

    async def klines(self, symbol: str, interval: str) -> tuple[Source, list[Kline]] | None:
        """One series, oldest first, with its open candle; ``None`` when none is stored.

        Raises :class:`CacheUnavailable`.
        """

    async def recent_klines(self, symbols: Sequence[str], interval: str, tail: int) -> dict[str, list[Kline]]:
        """The newest ``tail`` candles of each symbol's series (open candle included), in one read.

        Symbols with no candles stored are left out. Raises :class:`CacheUnavailable`.
        """

    def updates(self) -> AsyncIterator[bytes | None]:
        """Published update messages, forever; ``None`` after a gap (re-subscribed: resync from the snapshot)."""

    async def try_lead(self, owner: str) -> bool:
        """Take or keep the ingest lease for ``owner``; False when another owner holds it."""

    async def resign(self, owner: str) -> None:
        """Give the lease up (on shutdown) so another worker takes over at once."""

    async def ping(self) -> None:
        """Raise :class:`CacheUnavailable` unless the cache answers."""

    async def close(self) -> None: ...
