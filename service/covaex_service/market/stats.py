"""Plain counters the feeds and the gateway bump; :mod:`.metrics` exposes them to Prometheus.

Keeping them as plain objects keeps the feeds and the hub free of any
metrics library and lets tests assert on them directly.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field


class LatencyTally:
    """A histogram as plain numbers: a count per bucket (the last one unbounded) and the sum.

    The hub observes once per update sent to each client; :mod:`.metrics` carries
    the growth into the Prometheus histogram once a second. Observing the
    Prometheus histogram directly cost, in multiprocess mode (``covaex
    serve``), two writes to its memory-mapped file and two ``getpid`` calls per
    client per update: a fifth of a busy worker's time (issue 26's profile).
    """

    __slots__ = ("bounds", "counts", "sum")

    def __init__(self, bounds: Sequence[float]) -> None:
        self.bounds = tuple(bounds)
        self.counts = [0] * (len(self.bounds) + 1)
        self.sum = 0.0

    def observe(self, seconds: float) -> None:
        # The first bucket whose upper bound is >= seconds, as Prometheus counts.
        self.counts[bisect_left(self.bounds, seconds)] += 1
        self.sum += seconds


LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
"""Upper bounds (seconds) of ``covaex_tick_to_send_seconds``."""


@dataclass
class FeedStats:
    """Upstream side: what the feeds saw."""

    ticks_ingested: int = 0
    upstream_reconnects: int = 0
    malformed_frames: int = 0
    server_shutdowns: int = 0
    rest_resyncs: int = 0
    subscribe_requests: int = 0
    cache_write_errors: int = 0


@dataclass
class GatewayStats:
    """Client side: what the WebSocket gateway did."""

    clients: int = 0
    frames_sent: int = 0
    updates_sent: int = 0
    slow_client_closes: int = 0
    rate_limit_closes: int = 0
    error_frames: int = 0
    # Seconds from a tick's ingest to its send, per update sent; the metrics module reads it.
    latency: LatencyTally = field(default_factory=lambda: LatencyTally(LATENCY_BUCKETS), repr=False)
