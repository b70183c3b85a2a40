"""The resilience page's measured column: the committed ``covaex drill`` run, beside the computed times.

The drill measures ``tobe-v1-prod`` on local stand-ins; each page row it drilled
maps to one scenario (:data:`ROW_SCENARIO`, checked against the page's rows by a
test). What the stand-ins model and what they do not is stated with the figures.
"""

from __future__ import annotations

from typing import Any

from covaex.docsite.inputs import Inputs
from covaex.drill.names import ASIS_OPERATOR_S
from covaex.drill.results import MeasuredRun, ScenarioResult, load_measured
from covaex.synth import REPO_ROOT

ROW_SCENARIO = {
    "app-instance": "app-instance",
    "az": "az",
    "nat": "upstream",
    "redis-primary": "redis-primary",
    "db-primary": "db-primary",
}
"""Resilience page row (its disruption id, `templates/data/resilience.yaml`) -> drill scenario; the As-Is
contrast goes with the database row."""
CONTRAST = {"db-primary": "asis-db"}


def _s(value: Any) -> str:
    return "—" if value is None else f"{value}"


def measured_cell(result: ScenarioResult) -> str:
    """One scenario's figures in a table cell (Korean)."""
    m = result.measured
    bound = "" if result.computed_rto_s is None else f" (계산 {result.computed_rto_s} s)"
    http = (
        "HTTP 실패 없음"
        if m["errors"] == 0
        else f"HTTP {_s(m['http_recovered_s'])} s 후 복구{bound} · 실패 요청 {m['errors']}건"
    )
    ws = (
        "WebSocket 끊김 없음"
        if m["ws_reconnected_p50_s"] is None
        else f"WebSocket 재연결 p50/p95 {m['ws_reconnected_p50_s']}/{_s(m['ws_reconnected_p95_s'])} s"
    )
    return " · ".join(
        (
            http,
            ws,
            f"가격 정체 최대 {_s(m['prices_stale_s'])} s",
            f"확인된 쓰기 {m['writes_acknowledged']}건 중 유실 {m['writes_lost']}건",
        )
    )


def drill_measured(inputs: Inputs, run: MeasuredRun | None = None) -> dict[str, Any]:
    """``{stack, cells: {disruption: [text, ...]}, label}``; without a committed run, no cells and a label saying so."""
    run = run if run is not None else load_measured()
    if run is None:
        return {"stack": None, "cells": {}, "label": "측정값: 아직 커밋된 `covaex drill` 결과가 없다 (`make drill`)."}
    cells: dict[str, list[str]] = {}
    for row, name in ROW_SCENARIO.items():
        if name in run.scenarios:
            cells[row] = [f"`{name}`: " + measured_cell(run.scenarios[name])]
    for row, name in CONTRAST.items():
        if name in run.scenarios:
            cells.setdefault(row, []).append(
                f"As-Is 대조 (`{name}`, 아무것도 PostgreSQL을 되살리지 않아 "
                f"드릴이 {ASIS_OPERATOR_S:.0f} s 뒤 재시작: 하한): " + measured_cell(run.scenarios[name])
            )
    machine = run.machine
    load = machine.get("load_average_before")
    label = (
        f"측정값 (로컬 대역): `covaex drill`이 {run.when[:10]}에 {machine.get('cpu')} {machine.get('cores')}코어"
        f" (시작 시 부하 평균 {load[0] if load else '—'}) 위에 `{run.topology}`의 대역을 띄워 한 부분씩 끊고 잰 값"
        f" (`{run.path.relative_to(REPO_ROOT) if run.path.is_relative_to(REPO_ROOT) else run.path.name}`)."
        " 대역: ALB는 대상 그룹의 헬스 체크로 설정한 HAProxy, ElastiCache는 Redis와 Sentinel, RDS Multi-AZ는"
        " 동기 대기 서버를 둔 PostgreSQL과 pg_auto_failover, 인스턴스는 `covaex serve` 두 개."
        " 대역이 모델링하지 않는 것: DNS TTL, AWS 자체의 페일오버 시간, ASG의 인스턴스 교체."
    )
    return {"stack": run.topology, "cells": cells, "label": label}
