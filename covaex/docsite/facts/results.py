"""The results page (결과): As-Is, To-Be v1 and Platform v2 side by side, every figure computed.

One column per topology the story tells: As-Is (from ``diagrams/asis.yaml``),
each To-Be v1 stack, and each Platform v2 environment (the union of
``tobe-v1-<env>`` and ``platform-v2-<env>``, since Platform v2 runs inside
the v1 network and uses its data tier). Per column:

* monthly fixed cost: the cost page's totals (`covaex.docsite.facts.cost.costs`),
  As-Is from its dated price list; the change against As-Is in $ and %;
* SPOF findings by severity (`covaex.topology.spof.spof_findings`);
* per disruption, recovery time (RTO) and data-loss window (RPO) in seconds,
  computed from the synthesized settings (health checks, grace periods,
  Multi-AZ flags, NAT layout, replicas) with AWS's documented figures from
  ``templates/data/resilience.yaml`` where no setting decides it, and judged
  against that file's per-disruption targets as AWS Resilience Hub does
  (met / breached; no figure means not met);
* time to detect: the fastest CloudWatch alarm whose dimensions name the
  disrupted resources (datapoints x period);
* deploy and rollback downtime: the ASG instance refresh's healthy
  percentages, or the Deployment's rolling update (``maxUnavailable``).

**The measured seam.** ``covaex drill`` (issue 25) commits
``benchmarks/results/drill.json``:
``{topology, when, scenarios: [{name, computed_rto_s, measured: {http_recovered_s, ...}}]}``.
Its scenario names are this module's disruption ids (``asis-db`` is the As-Is
``db-primary``). When the file exists, `measured` adds its figures beside the
computed ones; when it does not, the page has no measured column. A file
that exists but cannot be read fails the build naming it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from covaex.docsite.facts.cost import costs
from covaex.docsite.inputs import ENVIRONMENTS, Inputs, story_order
from covaex.docsite.paths import ASIS_INVENTORY, REPO_ROOT
from covaex.docsite.sections import FactError, PendingInput
from covaex.topology.tfjson import Resource, TerraformDoc, as_int, block

# The drill names the As-Is single-box database scenario apart from the To-Be one.
DRILL_ALIASES = {"asis-db": ("asis", "db-primary")}
DISRUPTIONS = ("app-instance", "az", "nat", "redis-primary", "db-primary", "vpn-tunnel", "region")
SEVERITIES = ("high", "medium", "low")


@dataclass(frozen=True)
class Recovery:
    """One disruption in one column: seconds (None: no bound, a person must act) and why."""

    rto_s: int | None
    rto_how: str
    rpo_s: int | None
    rpo_how: str
    detect_s: int | None = None
    detect_by: str = ""
    alarms: tuple[str, ...] = ()  # every alarm whose dimensions name the disrupted resources, with its time to fire
    # An automatic step no setting or AWS figure bounds (ElastiCache's promotion): the RTO is then "at least".
    unbounded_part: str = ""

    def verdict(self, target: dict[str, Any] | None, key: str) -> str:
        """``met`` / ``breached`` / ``unknown`` against a target in seconds; ``-`` when no target is set."""
        goal = (target or {}).get(f"{key}_s")
        if goal is None:
            return "-"
        value = self.rto_s if key == "rto" else self.rpo_s
        if value is None:
            return "breached"
        if value > int(goal):
            return "breached"
        return "unknown" if key == "rto" and self.unbounded_part else "met"


@dataclass(frozen=True)
class Column:
    key: str
    family: str  # asis | tobe-v1 | platform-v2
    env: str
    monthly: float
    spof: dict[str, list[str]]
    recovery: dict[str, Recovery]
    deploy: Recovery

    def spof_total(self) -> int:
        return sum(len(v) for v in self.spof.values())


def results(inputs: Inputs, drill_path: Path | None = None) -> dict[str, Any]:
    """Columns in the story's order, the targets, the As-Is baseline cost and the drill's measured figures."""
    data = inputs.data.get("resilience") or {}
    if "targets" not in data:
        raise PendingInput("`templates/data/resilience.yaml` has no `targets` yet")
    money = costs(inputs)
    columns = [_asis(inputs, money["asis"]["total"])]
    for name in sorted((s for s in inputs.stacks if s.startswith("tobe-v1-")), key=story_order):
        columns.append(_cloud(inputs, name, inputs.stack(name), monthly=money["stacks"][name].total, data=data))
    for env in ENVIRONMENTS:
        if f"platform-v2-{env}" in inputs.stacks and env in money["combined"]:
            doc = inputs.environment(env)
            columns.append(_cloud(inputs, f"platform-v2-{env}", doc, monthly=money["combined"][env], data=data))
    base = columns[0].monthly
    return {
        "columns": columns,
        "disruptions": DISRUPTIONS,
        "targets": data["targets"],
        "sources": {k: v for k, v in data.items() if isinstance(v, dict) and "source" in v},
        "change": {c.key: _change(base, c.monthly) for c in columns},
        "measured": measured(drill_path) if drill_path is not None else _committed_drill(),
    }


def _change(base: float, value: float) -> dict[str, float]:
    delta = round(value - base, 2)
    return {"usd": delta, "pct": round(100.0 * delta / base, 1) if base else 0.0}


def _committed_drill() -> dict[str, Any]:
    from covaex.drill import results as drill_results

    path = drill_results.newest_run(drill_results.RESULTS_DIR)
    return measured(path) if path is not None else {}


def v1_recovery(doc: TerraformDoc, data: dict[str, Any]) -> dict[str, Recovery | None]:
    """The recovery of each drilled disruption in one To-Be v1 stack: the one model of the results page,
    the resilience page and `covaex drill`'s bounds."""
    facts = _Facts(doc, data, "tobe-v1", "", None)
    return {
        "app_instance": facts.app_instance(),
        "db_primary": facts.db_primary(),
        "redis_primary": facts.redis_primary(),
        "az": facts.az(),
    }


def measured(path: Path) -> dict[str, Any]:
    """The drill's figures by column and disruption (``{}`` when no drill results are committed)."""
    if not path.is_file():
        return {}
    where = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        scenarios = doc["scenarios"]
        topology = str(doc.get("topology") or "tobe-v1-prod")
        out: dict[str, Any] = {"when": str(doc.get("when", "")), "path": str(where), "topology": topology, "by": {}}
        for item in scenarios:
            name = str(item["name"])
            column, disruption = DRILL_ALIASES.get(name, (topology, name))
            out["by"].setdefault(column, {})[disruption] = {
                "computed_rto_s": item.get("computed_rto_s"),
                **{str(k): v for k, v in dict(item["measured"]).items()},
            }
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FactError(f"{where}: not a drill results file ({type(exc).__name__}: {exc})") from None
    return out


# -- As-Is ---------------------------------------------------------------------------------------


def _asis(inputs: Inputs, monthly: float) -> Column:
    from covaex.topology.asis import load_asis
    from covaex.topology.spof import spof_findings

    if not ASIS_INVENTORY.is_file():
        raise PendingInput("the As-Is inventory `diagrams/asis.yaml` does not exist yet")
    inventory = inputs.memo.setdefault("asis", load_asis(ASIS_INVENTORY))
    findings = spof_findings(inventory.topology)
    single = [n.label for n in inventory.topology.nodes if int(n.attrs.get("replicas", 1)) == 1 and n.role != "other"]
    db = next((n for n in inventory.topology.nodes if n.kind == "onprem_database"), None)
    backup_h = as_int((db.attrs if db else {}).get("backup_every_h"))
    same_host = bool(db and str(db.attrs.get("backup_host", "")) == "same")
    manual = Recovery(None, "수동 복구 (manual): 대체할 장비가 없음", None, "-", None, "사용자 신고")
    db_rpo = (
        (None, "백업이 같은 호스트에 있어 디스크 손실 시 전부")
        if same_host
        else ((backup_h * 3600, f"야간 덤프 ({backup_h} h 간격)") if backup_h else (None, "백업 없음"))
    )
    recovery = {
        "app-instance": manual,
        "az": Recovery(None, f"한 랙 (rack): 단일 구성요소 {len(single)}개", db_rpo[0], db_rpo[1], None, "사용자 신고"),
        "nat": Recovery(None, "업링크·방화벽 각 1대", None, "-", None, "사용자 신고"),
        "redis-primary": Recovery(None, "단일 노드, 재시작까지", None, "캐시 스냅샷 유실", None, "사용자 신고"),
        "db-primary": Recovery(None, "대기 (standby) 없음: 덤프에서 복원", db_rpo[0], db_rpo[1], None, "사용자 신고"),
        "region": Recovery(None, "사이트 하나", None, "-", None, "사용자 신고"),
    }
    ops = next((n for n in inventory.topology.nodes if n.kind == "onprem_operator"), None)
    deploy = Recovery(
        None,
        f"재시작 동안 중단 (restart): {ops.attrs.get('deploy', '?') if ops else '?'}",
        None,
        "-",
    )
    return Column("asis", "asis", "", monthly, _by_severity(findings), recovery, deploy)


# -- To-Be v1 and Platform v2 ----------------------------------------------------------------------


def _cloud(inputs: Inputs, key: str, doc: TerraformDoc, *, monthly: float, data: dict[str, Any]) -> Column:
    from covaex.docsite.topology import stack_topology
    from covaex.topology.spof import spof_findings

    family, env = key.rsplit("-", 1)
    findings = spof_findings(stack_topology(inputs, key))
    recovery = cloud_recovery(doc, data, family, env, inputs)
    deploy = recovery.pop("deploy")
    return Column(key, family, env, monthly, _by_severity(findings), recovery, deploy)


def cloud_recovery(
    doc: TerraformDoc, data: dict[str, Any], family: str, env: str, inputs: Inputs | None
) -> dict[str, Recovery]:
    """Each disruption's recovery in one cloud topology (a stack, an environment's union or a variant), and
    ``deploy``: the results page's columns and the cost of resilience's downtime avoided."""
    facts = _Facts(doc, data, family, env, inputs)
    recovery = {
        "app-instance": facts.app_instance(),
        "az": facts.az(),
        "nat": facts.nat(),
        "redis-primary": facts.redis_primary(),
        "db-primary": facts.db_primary(),
        "vpn-tunnel": facts.vpn(),
        "region": Recovery(None, "단일 리전 (region): 리전 밖 복사본 없음", None, "리전 밖 백업 없음"),
        "deploy": facts.deploy(),
    }
    return {k: v for k, v in recovery.items() if v is not None}


def _by_severity(findings: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {s: [] for s in SEVERITIES}
    for f in findings:
        if f.id not in out[f.severity]:
            out[f.severity].append(f.id)
    return {k: sorted(v) for k, v in out.items()}


class _Facts:
    """The settings of one column that the recovery times are computed from."""

    def __init__(self, doc: TerraformDoc, data: dict[str, Any], family: str, env: str, inputs: Inputs | None) -> None:
        self.doc, self.data, self.family, self.env = doc, data, family, env
        self.asg = next(iter(doc.resources("aws_autoscaling_group")), None)
        self.tg = next(iter(doc.resources("aws_lb_target_group")), None)
        self.db = next(iter(doc.resources("aws_db_instance")), None)
        self.cache = next(iter(doc.resources("aws_elasticache_replication_group")), None)
        hc = block(self.tg.get("health_check")) if self.tg else {}
        self.interval = as_int(hc.get("interval"), 30) or 30
        self.failures = as_int(hc.get("unhealthy_threshold"), 3) or 3
        self.out_after = self.interval * self.failures
        self.healthy_after = self.interval * (as_int(hc.get("healthy_threshold"), 5) or 5)
        self.grace = (as_int(self.asg.get("health_check_grace_period"), 300) or 300) if self.asg else 0
        self.desired = (as_int(self.asg.get("desired_capacity"), None) or 1) if self.asg else 0
        self.pods = _pods(inputs, env) if family == "platform-v2" and inputs is not None else None

    def _detect(self, resources: set[str]) -> tuple[int | None, str, tuple[str, ...]]:
        from covaex.docsite.facts.resilience import alarms_watching, alarms_watching_seconds

        found = alarms_watching_seconds(self.doc, resources)
        if not found:
            return None, "경보 없음 (no alarm)", ()
        seconds, name = min(found)
        return seconds, name, tuple(alarms_watching(self.doc, resources))

    def _app_resources(self) -> set[str]:
        return {r.address for r in (self.asg, self.tg) if r is not None}

    def app_instance(self) -> Recovery:
        detect = self._detect(self._app_resources())
        if self.pods is not None and self.pods["replicas"] >= 2:
            return Recovery(
                self.pods["out_after"],
                f"파드 {self.pods['replicas']}개: ALB가 {self.pods['out_after']} s 후 제외, "
                "WebSocket 클라이언트는 다른 파드로 재접속",
                0,
                "상태 없음 (세션은 DB)",
                *detect,
            )
        if self.pods is not None:
            bound = self.pods["out_after"] + self.pods["healthy_after"]
            return Recovery(
                bound,
                f"파드 1개: 감지 {self.pods['out_after']} s + ALB healthy {self.pods['healthy_after']} s + 파드 재생성",
                0,
                "상태 없음 (세션은 DB)",
                *detect,
                unbounded_part="파드 재생성 (이미지 풀·기동 시간 미계산)",
            )
        if self.desired >= 2:
            return Recovery(
                self.out_after,
                f"인스턴스 {self.desired}개: ALB가 {self.out_after} s 후 제외 (헬스 체크 {self.interval} s × "
                f"{self.failures}회 실패), ASG가 교체; WebSocket 클라이언트는 다른 인스턴스로 재접속",
                0,
                "그 인스턴스에서 처리 중이던 요청; 세션은 DB에 있어 유지",
                *detect,
            )
        bound = self.out_after + self.grace + self.healthy_after
        return Recovery(
            bound,
            f"인스턴스 1개: 대신할 인스턴스가 없어 교체될 때까지 중단; 감지 {self.out_after} s "
            f"(헬스 체크 {self.interval} s × {self.failures}회 실패) + ASG 유예 {self.grace} s "
            f"+ ALB healthy {self.healthy_after} s",
            0,
            "처리 중이던 요청; 세션은 DB에 있어 유지",
            *detect,
        )

    def db_primary(self) -> Recovery:
        if self.db is None:
            return Recovery(None, "데이터베이스 없음", None, "-")
        detect = self._detect({self.db.address})
        if self.db.flag("multi_az"):
            fail = int(self.data["rds_multi_az_failover"]["max_s"])
            return Recovery(fail, f"다중 AZ (Multi-AZ) 대기 승격: AWS 수치 최대 {fail} s", 0, "동기 복제: 0", *detect)
        lag = int(self.data["rds_pitr"]["lag_s"])
        return Recovery(None, "단일 AZ: 백업에서 복원 (시간 미측정)", lag, f"시점 복원 (PITR) 지연 {lag} s", *detect)

    def redis_primary(self) -> Recovery | None:
        if self.cache is None:
            return None
        detect = self._detect({self.cache.address})
        if self.cache.flag("automatic_failover_enabled"):
            return Recovery(
                0,
                "복제본 승격 (automatic failover), 기본 엔드포인트가 따라감",
                0,
                "시세 캐시: 다음 틱이 다시 씀",
                *detect,
                unbounded_part="ElastiCache 승격 (AWS 수치 없음)",
            )
        return Recovery(None, "자동 장애 조치 없음: 노드 교체까지", 0, "시세 캐시: 다음 틱이 다시 씀", *detect)

    def az(self) -> Recovery:
        ttl = int(self.data["alb_dns_ttl_s"])
        parts = []
        app = self.app_instance()
        if (self.pods["replicas"] if self.pods else self.desired) >= 2:
            web = (self.pods["out_after"] if self.pods else self.out_after) + ttl
            parts.append(f"웹 {web} s (헬스 체크 + DNS TTL {ttl} s)")
        else:
            web = (app.rto_s or 0) + ttl
            parts.append(f"웹 {web} s (다른 AZ에서 교체 + DNS TTL)")
        db, cache = self.db_primary(), self.redis_primary()
        times: list[int | None] = [web, db.rto_s] + ([cache.rto_s] if cache else [])
        parts.append(f"DB {db.rto_how}")
        if cache:
            parts.append(f"캐시 {cache.rto_how}")
        rto = None if any(t is None for t in times) else max(t for t in times if t is not None)
        detect = self._detect(self._app_resources())
        unbounded = ", ".join(p for p in (app.unbounded_part, cache.unbounded_part if cache else "") if p)
        return Recovery(rto, "; ".join(parts), db.rpo_s, db.rpo_how, *detect, unbounded_part=unbounded)

    def nat(self) -> Recovery:
        gateways = self.doc.resources("aws_nat_gateway")
        instances = [r for r in self.doc.resources("aws_instance") if r.name.startswith("nat")]
        if len(gateways) >= 2:
            return Recovery(
                0, f"AZ마다 NAT 게이트웨이 (NAT gateway) {len(gateways)}개: 다른 AZ의 출구는 그대로", 0, "-"
            )
        if instances:
            return Recovery(
                None, f"NAT 인스턴스 (NAT instance) {len(instances)}개: 자동 교체 없음, 시세 수신 중단", 0, "-"
            )
        return Recovery(None, f"NAT 게이트웨이 {len(gateways)}개: 모든 AZ가 공유", 0, "-")

    def vpn(self) -> Recovery | None:
        conns = self.doc.resources("aws_vpn_connection")
        if not conns:
            return None
        dpd = min(_dpd(c) for c in conns)
        detect = self._detect({c.address for c in conns})
        return Recovery(dpd, f"다른 터널 (tunnel)로: 피어 감지 (DPD) {dpd} s", 0, "-", *detect)

    def deploy(self) -> Recovery:
        if self.pods is not None:
            down = 0 if self.pods["max_unavailable"] == 0 else None
            return Recovery(
                down,
                f"롤링 업데이트 (rolling update): maxUnavailable {self.pods['max_unavailable']}, "
                f"maxSurge {self.pods['max_surge']}; 롤백은 git revert 후 같은 경로",
                None,
                "-",
            )
        if self.asg is None:
            return Recovery(None, "ASG 없음", None, "-")
        pref = block(block(self.asg.get("instance_refresh")).get("preferences"))
        low = as_int(pref.get("min_healthy_percentage"), 90) or 0
        high = as_int(pref.get("max_healthy_percentage"), 100) or 100
        if high > 100 or self.desired * low // 100 >= 1:
            return Recovery(0, f"인스턴스 새로 고침 (instance refresh): 최소 {low}%·최대 {high}% 정상 유지", None, "-")
        bound = self.grace + self.healthy_after
        return Recovery(
            bound,
            f"인스턴스 새로 고침: {self.desired}대 중 {low}% 유지 → 교체 동안 중단, 최대 "
            f"{self.grace} s + {self.healthy_after} s",
            None,
            "-",
        )


def _dpd(conn: Resource) -> int:
    values = [as_int(conn.get(f"tunnel{i}_dpd_timeout_seconds")) for i in (1, 2)]
    found = [v for v in values if v]
    return min(found) if found else 30  # AWS's default dead-peer detection timeout


def _pods(inputs: Inputs, env: str) -> dict[str, int]:
    """Replicas, rolling-update limits and the Ingress ALB's time to drop a pod, from the environment's
    overlay as kustomize renders it (`covaex.docsite.facts.gitops.rendered_overlays`)."""
    from covaex.docsite.facts.gitops import rendered_overlays

    overlay = rendered_overlays(inputs).get(env)
    if overlay is None:
        raise FactError(f"deploy/k8s/overlays/{env} is missing: Platform v2 {env} has no workload to time")
    rolling = overlay["strategy"]
    replicas = int(overlay["replicas"] or 1)
    notes = overlay["ingress"]
    interval = int(notes.get("alb.ingress.kubernetes.io/healthcheck-interval-seconds", 15))
    unhealthy = int(notes.get("alb.ingress.kubernetes.io/unhealthy-threshold-count", 2))
    healthy = int(notes.get("alb.ingress.kubernetes.io/healthy-threshold-count", 2))
    return {
        "replicas": replicas,
        "max_unavailable": int(rolling.get("maxUnavailable", 1)),
        "max_surge": int(rolling.get("maxSurge", 1)),
        "out_after": interval * unhealthy,
        "healthy_after": interval * healthy,
    }
