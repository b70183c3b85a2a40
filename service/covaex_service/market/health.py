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
    # name and while_down are what the docs page shows people, so they are written in Korean
    Dependency(
        "cache",
        "Redis (ElastiCache)",
        "워커마다 들고 있는 마지막 시세 스냅숏과 열린 WebSocket. 리더는 피드를 놓지 않고, 복구 뒤 첫 쓰기로 "
        "리더 임대를 다시 잡습니다.",
    ),
    Dependency(
        "feed",
        "업스트림 시세 피드 (Binance)",
        "stale 표시를 단 캐시의 시세, 계정과 관심 목록. 피드는 시뮬레이터로 넘어갔다가 돌아옵니다.",
    ),
    Dependency(
        None,
        "PostgreSQL (RDS)",
        "시세 페이지, REST, WebSocket (데이터베이스를 읽지 않음). 로그인과 관심 목록 쓰기만 복구될 때까지 503을 "
        "답합니다.",
    ),
)

READINESS_CHECKS: tuple[str, ...] = tuple(d.check for d in DEPENDENCIES if d.check is not None)
"""The keys of ``checks`` in the readiness body, in order."""
