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
        return "high" if self.score >= 6 else "medium" if self.score >= 3 else "low"


def _inventory(inputs: Inputs) -> AsIs:
    from covaex.topology.asis import load_asis

    if "asis" not in inputs.memo:
        if not ASIS_INVENTORY.is_file():
            raise PendingInput("the As-Is inventory `diagrams/asis.yaml` does not exist yet")
        inputs.memo["asis"] = load_asis(ASIS_INVENTORY)
    inventory: AsIs = inputs.memo["asis"]
    return inventory


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


def incident_detection(inputs: Inputs) -> str:
    """The incident's detection sentence, its target read from the alarms (as the success metric's)."""
    return str(inputs.data["incident"]["detection"]).format_map(metric_values(inputs))


def metrics(inputs: Inputs) -> list[dict[str, Any]]:
    """The success metrics, with every alarm number (`metric_values`) and target (`target_values`) filled in."""
    values = {**metric_values(inputs), **target_values(inputs), "rollback_minutes": str(rollback_minutes(inputs))}
    out = []
    for item in inputs.data["metrics"]["metrics"]:
        try:
            out.append({k: v.format_map(values) if isinstance(v, str) else v for k, v in item.items()})
        except KeyError as exc:
            raise FactError(f"success metric {item.get('name')!r}: unknown placeholder {exc}") from None
    return out
