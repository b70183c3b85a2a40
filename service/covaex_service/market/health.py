"""The health rule v1 and v2 share: which check takes an instance or a pod out of service, and which never does.

One table, read by the routes that answer the checks (:mod:`.routes`), by the
tests that hold v1's target group and v2's probes and Ingress to it, and by the
docs page that shows it (``covaex.docsite.facts.health``):

* :data:`LIVENESS_PATH` answers while the process serves. It checks no
  dependency, so only a failure of the instance or pod itself fails it. The
  routing checks use it: v1's ALB target group (whose failures the Auto
  Scaling group replaces), v2's readiness and liveness probes and the
  Ingress's ALB health check.
* :data:`READINESS_PATH` reports each dependency in :data:`DEPENDENCIES` that
  it checks. Never a routing check: every dependency here is *shared* (one
  Redis, one upstream feed, one database for every instance and pod), so its
  outage fails every instance's check at once; routing on it would take the
  whole fleet out (503 for all) or replace healthy instances in a loop, while
  the service still has something to serve. It feeds the alarms instead
  (``app-not-ready``, the Prometheus rules).

Plain data, no Sanic: the tooling may read it.
"""

from __future__ import annotations

from dataclasses import dataclass

LIVENESS_PATH = "/healthz"
READINESS_PATH = "/readyz"


@dataclass(frozen=True)
class Dependency:
    """A dependency every instance and pod shares, and what the service does while it is down."""

    check: str | None
    """Its key in the ``checks`` of :data:`READINESS_PATH`'s body; None when readiness does not check it."""
    name: str
    while_down: str
    """What the service still serves meanwhile: why staying in service is right."""


DEPENDENCIES: tuple[Dependency, ...] = (
    Dependency(
        "cache",
        "Redis (ElastiCache)",
        "the last snapshot each worker holds and its open WebSockets; the leader keeps the feed and re-asserts its "
        "lease with its first write after recovery",
    ),
    Dependency(
        "feed",
        "upstream market feed (Binance)",
        "the cached prices labelled stale, and the accounts and watchlists; the feed falls back to the simulator "
        "and returns",
    ),
    Dependency(
        None,
        "PostgreSQL (RDS)",
        "the market pages, REST and WebSockets, which never read the database; only login and watchlist writes "
        "answer 503 until it is back",
    ),
)

READINESS_CHECKS: tuple[str, ...] = tuple(d.check for d in DEPENDENCIES if d.check is not None)
"""The keys of ``checks`` in the readiness body, in order."""
