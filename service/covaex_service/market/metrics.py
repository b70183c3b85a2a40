"""Prometheus metrics of the market area, rendered by ``GET /metrics`` in the text format.

Each app has its own registry (several apps can live in one test process).
With several workers each worker answers with its own figures; scrape each
worker or sum them in Prometheus.

Exposed series:

* ``covaex_ticks_ingested_total`` — market updates received from the feed
* ``covaex_upstream_reconnects_total`` — upstream (Binance) reconnects
* ``covaex_upstream_malformed_frames_total`` — upstream frames skipped as malformed
* ``covaex_upstream_server_shutdowns_total`` — ``serverShutdown`` events acted on
* ``covaex_cache_write_errors_total`` — ingest batches the cache refused (kept and retried)
* ``covaex_ws_clients`` — open WebSocket connections on this worker
* ``covaex_ws_frames_sent_total`` — frames sent to WebSocket clients
* ``covaex_ws_slow_client_closes_total`` — clients closed for not keeping up (code 4008)
* ``covaex_ws_rate_limit_closes_total`` — clients closed for flooding (code 1008)
* ``covaex_tick_to_send_seconds`` — histogram: ingest of a tick to its send to a client
* ``covaex_ingest_leader`` — 1 on the worker that holds the ingest lease (runs the feed)
* ``covaex_worker_info{worker}`` — always 1; names the worker that answered the scrape
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from covaex_service.market.stats import FeedStats, GatewayStats

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class _StatsCollector(Collector):
    def __init__(self, feed: FeedStats, gateway: GatewayStats, worker: str, leading: Callable[[], bool]) -> None:
        self._feed = feed
        self._gateway = gateway
        self._worker = worker
        self._leading = leading

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        f, g = self._feed, self._gateway
        for name, doc, value in (
            ("covaex_ticks_ingested", "Market updates received from the feed", f.ticks_ingested),
            ("covaex_upstream_reconnects", "Upstream reconnects", f.upstream_reconnects),
            ("covaex_upstream_malformed_frames", "Upstream frames skipped as malformed", f.malformed_frames),
            ("covaex_upstream_server_shutdowns", "serverShutdown events acted on", f.server_shutdowns),
            ("covaex_cache_write_errors", "Ingest batches the cache refused", f.cache_write_errors),
            ("covaex_ws_frames_sent", "Frames sent to WebSocket clients", g.frames_sent),
            ("covaex_ws_slow_client_closes", "Clients closed for not keeping up", g.slow_client_closes),
            ("covaex_ws_rate_limit_closes", "Clients closed for flooding", g.rate_limit_closes),
        ):
            yield CounterMetricFamily(name, doc, value=value)
        yield GaugeMetricFamily("covaex_ws_clients", "Open WebSocket connections", value=g.clients)
        yield GaugeMetricFamily("covaex_ingest_leader", "1 on the worker running the feed", value=int(self._leading()))
        info = GaugeMetricFamily("covaex_worker_info", "The worker answering this scrape", labels=["worker"])
        info.add_metric([self._worker], 1)
        yield info


class MarketMetrics:
    """The registry of one app and the stats objects it reads."""

    def __init__(
        self, feed: FeedStats, gateway: GatewayStats, *, worker: str = "", leading: Callable[[], bool] = lambda: False
    ) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_StatsCollector(feed, gateway, worker, leading))
        self.tick_to_send = Histogram(
            "covaex_tick_to_send_seconds",
            "Seconds from a tick's ingest to its send to a WebSocket client",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        gateway.observe_latency = self.tick_to_send.observe

    def render(self) -> bytes:
        return generate_latest(self.registry)
