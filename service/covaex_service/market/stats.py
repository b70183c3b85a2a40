"""Plain counters the feeds and the gateway bump; :mod:`.metrics` exposes them to Prometheus.

Keeping them as plain objects keeps the feeds and the hub free of any
metrics library and lets tests assert on them directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


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
    # Called with seconds from a tick's ingest to its send; the metrics module installs a histogram here.
    observe_latency: Callable[[float], None] = field(default=lambda seconds: None, repr=False)
