"""EPIC 1 narrative: symptoms and risks from the As-Is inventory, success metrics from ``templates/data/``.

Symptoms and risks live in ``diagrams/asis.yaml`` next to the components
they are about (one hand-written source); this module only orders them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from covaex.docsite.facts.stackfacts import stacks_with
from covaex.docsite.inputs import Inputs
from covaex.docsite.paths import ASIS_INVENTORY
from covaex.docsite.sections import FactError, PendingInput
from covaex.topology.asis import AsIs, Symptom
from covaex.topology.tfjson import as_int

LEVELS = {"low": 1, "medium": 2, "high": 3}
LEVEL_CUTS = {"high": 6, "medium": 3}
"""The lowest score of each risk level (below ``medium`` is low): the risk page's legend reads these."""


@dataclass(frozen=True)
class RankedRisk:
    id: str
    title: str
    likelihood: str
    impact: str
    resources: tuple[str, ...]
    mitigation: str

    @property
    def score(self) -> int:
        return LEVELS.get(self.likelihood, 0) * LEVELS.get(self.impact, 0)

    @property
    def level(self) -> str:
        return next((level for level, cut in LEVEL_CUTS.items() if self.score >= cut), "low")


def _inventory(inputs: Inputs) -> AsIs:
    from covaex.topology.asis import load_asis

    if "asis" not in inputs.memo:
        if not ASIS_INVENTORY.is_file():
            raise PendingInput("the As-Is inventory `diagrams/asis.yaml` does not exist yet")
        inputs.memo["asis"] = load_asis(ASIS_INVENTORY)
    inventory: AsIs = inputs.memo["asis"]
    return inventory


def risk_levels(_inputs: Inputs) -> dict[str, int]:
    return dict(LEVEL_CUTS)


def symptoms(inputs: Inputs) -> tuple[Symptom, ...]:
    return _inventory(inputs).symptoms


def risks(inputs: Inputs) -> list[RankedRisk]:
    found = [
        RankedRisk(r.id, r.title, r.likelihood, r.impact, r.resources, r.mitigation) for r in _inventory(inputs).risks
    ]
    return sorted(found, key=lambda r: (-r.score, r.id))


TICK_METRIC = "covaex_tick_to_send_seconds"
_THRESHOLD = re.compile(r">\s*([0-9.]+)\s*$")


def metric_values(inputs: Inputs) -> dict[str, str]:
    """The alarm numbers a success metric quotes: detection from the CloudWatch alarms, freshness from the
    Prometheus alert on the tick-to-send histogram."""
    from covaex.docsite.facts.gitops import dashboard
    from covaex.docsite.facts.observability import alarm_numbers, alarm_period

    slowest: tuple[int, str, str] | None = None
    for doc in stacks_with(inputs, "aws_cloudwatch_metric_alarm"):
        for res in doc.resources("aws_cloudwatch_metric_alarm"):
            points = as_int(res.get("datapoints_to_alarm")) or as_int(res.get("evaluation_periods")) or 0
            seconds = points * (alarm_period(res) or 0)
            if slowest is None or seconds > slowest[0]:
                slowest = (seconds, f"{doc.stack}: {res.address}", alarm_numbers(res)["fires_after"])
    if slowest is None:
        raise PendingInput("no synthesized CloudWatch alarm yet")
    tick = [r for r in dashboard(inputs)["rules"] if TICK_METRIC in r["expr"]]
    if len(tick) != 1 or not (match := _THRESHOLD.search(tick[0]["expr"])):
        raise FactError(f"expected one Prometheus alert on {TICK_METRIC} ending in '> <seconds>', found {len(tick)}")
    return {
        "detect_within": slowest[2],
        "detect_slowest_alarm": slowest[1],
        "tick_alert": tick[0]["alert"],
        "tick_alert_threshold": f"{float(match.group(1)):g}",
        "tick_alert_for": str(tick[0]["for"]),
    }


def rollback_minutes(inputs: Inputs) -> int:
    """The rollback budget, set once in ``metrics.yaml`` (the success metric) and quoted by the rollback rule."""
    found = [m["rollback_minutes"] for m in inputs.data["metrics"]["metrics"] if "rollback_minutes" in m]
    if len(found) != 1:
        raise FactError(f"templates/data/metrics.yaml must set rollback_minutes once, found {len(found)}")
    return int(found[0])


def target_values(inputs: Inputs) -> dict[str, str]:
    """The numbers a success metric quotes from the resilience targets, the As-Is inventory and the results."""
    from covaex.docsite.facts.results import results
    from covaex.docsite.render import seconds

    computed = results(inputs)
    targets = computed["targets"]
    db = next(n for n in _inventory(inputs).topology.nodes if n.kind == "onprem_database")
    prod = {c.deploy.rto_s for c in computed["columns"] if c.env == "prod"}
    return {
        "rto_target_db": seconds(targets["db-primary"]["rto_s"]),
        "rpo_target_db": seconds(targets["db-primary"]["rpo_s"]),
        "rto_target_az": seconds(targets["az"]["rto_s"]),
        "asis_backup_h": str(db.attrs["backup_every_h"]),
        "deploy_downtime_prod": seconds(max(prod)) if None not in prod else "unbounded",
    }


def downtime_budget(pct: float, hours_per_month: float) -> str:
    """The monthly downtime an availability of ``pct`` percent allows, in the unit a person says it in."""
    if not 0 < pct <= 100:
        raise FactError(f"availability {pct}% is not a percentage in (0, 100]")
    minutes = (100 - pct) / 100 * hours_per_month * 60
    return f"{minutes / 60:.1f}시간" if minutes >= 120 else f"{minutes:.0f}분"


def _own_values(item: dict[str, Any], hours_per_month: float) -> dict[str, str]:
    """An item's own numbers (``*_pct``, ``rollback_minutes``) and what follows from them."""
    out: dict[str, str] = {}
    for key in ("baseline_pct", "target_pct"):
        if key in item:
            out[key] = f"{float(item[key]):g}"
            out[key.replace("_pct", "_budget")] = downtime_budget(float(item[key]), hours_per_month)
    return out


def metrics(inputs: Inputs) -> list[dict[str, Any]]:
    """The success metrics, with every alarm number (`metric_values`), target (`target_values`) and the
    downtime an availability allows filled in."""
    values = {**metric_values(inputs), **target_values(inputs), "rollback_minutes": str(rollback_minutes(inputs))}
    hours = float(inputs.data["prices"]["hours_per_month"])
    out = []
    for item in inputs.data["metrics"]["metrics"]:
        own = {**values, **_own_values(item, hours)}
        try:
            out.append({k: v.format_map(own) if isinstance(v, str) else v for k, v in item.items()})
        except KeyError as exc:
            raise FactError(f"success metric {item.get('name')!r}: unknown placeholder {exc}") from None
    return out


INCIDENT_MARKS = ("symptom", "report", "recovered")


def incident_minutes(inputs: Inputs) -> dict[str, int]:
    """The incident's durations from its own timeline: the entries marked ``symptom``, ``report`` and
    ``recovered``, so the summary, the impact and the detection sentence cannot disagree with the table."""
    timeline = inputs.data["incident"]["timeline"]
    at: dict[str, int] = {}
    for mark in INCIDENT_MARKS:
        found = [int(t["at"]) for t in timeline if t.get("mark") == mark]
        if len(found) != 1:
            raise FactError(f"templates/data/incident.yaml: mark one timeline entry `{mark}`, found {len(found)}")
        at[mark] = found[0]
    if not at["symptom"] <= at["report"] <= at["recovered"]:
        raise FactError("templates/data/incident.yaml: symptom, report and recovery are out of order")
    return {
        "stale_min": at["recovered"] - at["symptom"],
        "reported_after_min": at["report"] - at["symptom"],
        "timeline_min": max(int(t["at"]) for t in timeline),
    }


def incident_detection(inputs: Inputs) -> str:
    """The incident's detection sentence, its target read from the alarms (as the success metric's)."""
    values = {**metric_values(inputs), **{k: str(v) for k, v in incident_minutes(inputs).items()}}
    return str(inputs.data["incident"]["detection"]).format_map(values)


def incident(inputs: Inputs) -> dict[str, Any]:
    """The incident narrative with its durations computed from the timeline, the dashboard panel it names
    checked against the shipped dashboard, and each follow-up's state read from what shipped (an alert in
    ``prometheusrule.yaml``, a panel in the dashboard)."""
    from covaex.docsite.facts.gitops import dashboard

    raw = inputs.data["incident"]
    board = dashboard(inputs)
    panels = {p["title"] for b in board["boards"] for p in b["panels"]}
    alerts = {r["alert"] for r in board["rules"]}
    values = {k: str(v) for k, v in incident_minutes(inputs).items()}
    timeline = []
    for t in raw["timeline"]:
        if "panel" in t and t["panel"] not in panels:
            raise FactError(f"templates/data/incident.yaml: panel {t['panel']!r} is not on the shipped dashboard")
        timeline.append({"at": t["at"], "what": str(t["what"]).format_map({**values, "panel": t.get("panel", "")})})
    followups = []
    for f in raw["followups"]:
        # (shipped?, what shipped): only a follow-up that names its alert or panel gets a state
        state: tuple[bool, str] | None = None
        if "alert" in f:
            state = (f["alert"] in alerts, f"`{f['alert']}`")
        elif "panel" in f:
            state = (f["panel"] in panels, f'"{f["panel"]}"')
        followups.append({"what": f["what"], "state": state})
    return {
        "title": raw["title"],
        "summary": str(raw["summary"]).format_map(values),
        "impact": str(raw["impact"]).format_map(values),
        "cause": raw["cause"],
        "timeline": timeline,
        "detection": incident_detection(inputs),
        "followups": followups,
    }
