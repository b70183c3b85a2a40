"""The tick-to-send histogram, tallied as plain numbers by the hub and carried into Prometheus by ``sync``."""

from __future__ import annotations

from covaex_service.market.metrics import MarketMetrics
from covaex_service.market.stats import LATENCY_BUCKETS, FeedStats, GatewayStats
from prometheus_client import CollectorRegistry, Histogram, generate_latest


def histogram_lines(text: bytes) -> list[str]:
    lines = text.decode().splitlines()
    return [line for line in lines if line.startswith("covaex_tick_to_send_seconds_") and "_created" not in line]


def test_the_tally_exposes_what_observing_the_histogram_directly_would() -> None:
    gateway = GatewayStats()
    metrics = MarketMetrics(FeedStats(), gateway)
    reference_registry = CollectorRegistry()
    reference = Histogram(
        "covaex_tick_to_send_seconds", "reference", buckets=LATENCY_BUCKETS, registry=reference_registry
    )
    # Edges included: a value equal to a bound falls in that bound's bucket, past the last one in +Inf.
    first, second = [0.0, 0.001, 0.003, 0.2], [0.25, 5.0, 7.5, 0.0004]
    for seconds in first:
        gateway.latency.observe(seconds)
        reference.observe(seconds)
    assert histogram_lines(metrics.render()) == histogram_lines(generate_latest(reference_registry))
    for seconds in second:  # a second sync adds only what was observed since the first
        gateway.latency.observe(seconds)
        reference.observe(seconds)
    exposed = histogram_lines(metrics.render())
    assert exposed == histogram_lines(generate_latest(reference_registry))
    assert 'covaex_tick_to_send_seconds_bucket{le="+Inf"} 8.0' in exposed
