"""Prometheus metrics of the market area, rendered by ``GET /metrics`` in the text format.

One scrape answers for the whole instance, whichever worker the kernel hands
it to. ``covaex serve`` gives its workers a fresh ``PROMETHEUS_MULTIPROC_DIR``
(prometheus_client's multiprocess mode): each worker's values live in small
memory-mapped files there, and a scrape merges the files of every worker:
counters and the histogram are summed (a worker's counts survive its restart,
so Prometheus never sees a reset), ``covaex_ws_clients`` and
``covaex_ingest_leader`` are summed over the live workers only, and
``covaex_worker_ws_clients`` keeps one series per live worker. Without that
variable (tests, a single process) the app's own registry answers.

The feeds and the hub bump plain counters (:mod:`.stats`);
:meth:`MarketMetrics.sync` carries them into the Prometheus objects every
:data:`SYNC_INTERVAL_SECONDS` and before each scrape.

Exposed series:

* ``covaex_ticks_ingested_total`` — market updates received from the feed
* ``covaex_upstream_reconnects_total`` — upstream (Binance) reconnects
* ``covaex_upstream_malformed_frames_total`` — upstream frames skipped as malformed
* ``covaex_upstream_server_shutdowns_total`` — ``serverShutdown`` events acted on
* ``covaex_cache_write_errors_total`` — ingest batches the cache refused (kept and retried)
* ``covaex_ws_clients`` — open WebSocket connections (all workers)
* ``covaex_worker_ws_clients{worker}`` — open WebSocket connections per worker
* ``covaex_ws_frames_sent_total`` — frames sent to WebSocket clients
* ``covaex_ws_slow_client_closes_total`` — clients closed for not keeping up (code 4008)
* ``covaex_ws_rate_limit_closes_total`` — clients closed for flooding (code 1008)
* ``covaex_tick_to_send_seconds`` — histogram: ingest of a tick to its send to a client
* ``covaex_ingest_leader`` — 1 when a worker holds the ingest lease (runs the feed)
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from covaex_service.market.stats import LATENCY_BUCKETS, FeedStats, GatewayStats

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MULTIPROCESS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"

SYNC_INTERVAL_SECONDS = 1.0

_COUNTERS: tuple[tuple[str, str, Callable[[FeedStats, GatewayStats], int]], ...] = (
    ("covaex_ticks_ingested", "Market updates received from the feed", lambda f, g: f.ticks_ingested),
    ("covaex_upstream_reconnects", "Upstream reconnects", lambda f, g: f.upstream_reconnects),
    ("covaex_upstream_malformed_frames", "Upstream frames skipped as malformed", lambda f, g: f.malformed_frames),
    ("covaex_upstream_server_shutdowns", "serverShutdown events acted on", lambda f, g: f.server_shutdowns),
    ("covaex_cache_write_errors", "Ingest batches the cache refused", lambda f, g: f.cache_write_errors),
    ("covaex_ws_frames_sent", "Frames sent to WebSocket clients", lambda f, g: g.frames_sent),
    ("covaex_ws_slow_client_closes", "Clients closed for not keeping up", lambda f, g: g.slow_client_closes),
    ("covaex_ws_rate_limit_closes", "Clients closed for flooding", lambda f, g: g.rate_limit_closes),
)


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROCESS_DIR_ENV) or None


class MarketMetrics:
    """The Prometheus objects of one app and the stats objects they mirror."""

    def __init__(
        self, feed: FeedStats, gateway: GatewayStats, *, worker: str = "", leading: Callable[[], bool] = lambda: False
    ) -> None:
        self._feed, self._gateway, self._leading = feed, gateway, leading
        self.registry = CollectorRegistry()
        self._counters = [(Counter(name, doc, registry=self.registry), read, [0]) for name, doc, read in _COUNTERS]
        self._clients = Gauge(
            "covaex_ws_clients", "Open WebSocket connections", registry=self.registry, multiprocess_mode="livesum"
        )
        self._worker_clients = Gauge(
            "covaex_worker_ws_clients",
            "Open WebSocket connections per worker",
            ["worker"],
            registry=self.registry,
            multiprocess_mode="liveall",
        ).labels(worker)
        self._leader = Gauge(
            "covaex_ingest_leader", "1 on the worker running the feed", registry=self.registry,
            multiprocess_mode="livesum",
        )  # fmt: skip
        self.tick_to_send = Histogram(
            "covaex_tick_to_send_seconds",
            "Seconds from a tick's ingest to its send to a WebSocket client",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._latency_synced = ([0] * len(gateway.latency.counts), [0.0])

    def sync(self) -> None:
        """Carry the plain counters into the Prometheus objects (and so into this worker's files)."""
        for counter, read, synced in self._counters:
            value = read(self._feed, self._gateway)
            if value > synced[0]:
                counter.inc(value - synced[0])
                synced[0] = value
        self._sync_latency()
        self._clients.set(self._gateway.clients)
        self._worker_clients.set(self._gateway.clients)
        self._leader.set(int(self._leading()))

    def _sync_latency(self) -> None:
        """The hub's plain latency tally into the histogram: what each bucket and the sum gained since last time.

        prometheus_client has no call to add many observations at once; its
        histogram keeps one value per bucket (not cumulative) and the sum, and
        those are what ``observe`` increments, once per observation.
        """
        tally, (counts, total) = self._gateway.latency, self._latency_synced
        histogram: Any = self.tick_to_send  # the per-bucket values are the library's own, unannotated
        for i, count in enumerate(tally.counts):
            if count > counts[i]:
                histogram._buckets[i].inc(count - counts[i])
                counts[i] = count
        if tally.sum > total[0]:
            histogram._sum.inc(tally.sum - total[0])
            total[0] = tally.sum

    async def sync_forever(self) -> None:
        while True:
            self.sync()
            await asyncio.sleep(SYNC_INTERVAL_SECONDS)

    def render(self) -> bytes:
        self.sync()
        shared = multiprocess_dir()
        if shared is None:
            return generate_latest(self.registry)
        merged = CollectorRegistry()
        MultiProcessCollector(merged, path=shared)  # type: ignore[no-untyped-call]  # untyped in the library
        return generate_latest(merged)

    def close(self) -> None:
        """This worker is stopping: its live gauges leave the sums (its counters stay counted)."""
        shared = multiprocess_dir()
        if shared is not None:
            mark_process_dead(os.getpid(), shared)  # type: ignore[no-untyped-call]  # untyped in the library
