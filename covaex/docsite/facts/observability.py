"""EPIC 4 pages: CloudWatch log retention, the alarm baseline and the runbook index.

Every alarm carries a ``Runbook`` tag naming a slug; the runbook page has one
section per slug (text from ``templates/data/runbooks.yaml``), and the alarm
table links each alarm to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from covaex.docsite.facts.stackfacts import per_stack, readable, refs
from covaex.docsite.inputs import Inputs
from covaex.docsite.sections import PendingInput
from covaex.topology.tfjson import TerraformDoc

RUNBOOK_TAG = "Runbook"
COMPARISONS = {
    "GreaterThanOrEqualToThreshold": ">=",
    "GreaterThanThreshold": ">",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
    "LessThanLowerOrGreaterThanUpperThreshold": "outside band",
    "LessThanLowerThreshold": "< lower band",
    "GreaterThanUpperThreshold": "> upper band",
}


@dataclass(frozen=True)
class LogGroup:
    address: str
    name: str
    retention_days: str
    encrypted: bool
    fed_by: tuple[str, ...]


def log_groups(inputs: Inputs) -> dict[str, list[LogGroup]]:
    def groups(doc: TerraformDoc) -> list[LogGroup]:
        users: dict[str, set[str]] = {}
        for res in doc.all_resources():
            if res.type == "aws_cloudwatch_log_group":
                continue
            for address in refs(doc, res.config):
                if address.startswith("aws_cloudwatch_log_group."):
                    users.setdefault(address, set()).add(res.address)
        return [
            LogGroup(
                address=g.address,
                name=readable(g.get("name") or g.get("name_prefix")),
                retention_days=readable(g.get("retention_in_days", "never expires")),
                encrypted=bool(g.get("kms_key_id")),
                fed_by=tuple(sorted(users.get(g.address, ()))),
            )
            for g in doc.resources("aws_cloudwatch_log_group")
        ]

    return per_stack(inputs, ("aws_cloudwatch_log_group",), groups)


@dataclass(frozen=True)
class Alarm:
    address: str
    name: str
    metric: str
    condition: str
    threshold: str
    threshold_note: str
    window: str
    missing_data: str
    actions: tuple[str, ...]
    runbook: str
    description: str


def alarms(inputs: Inputs) -> dict[str, list[Alarm]]:
    return per_stack(inputs, ("aws_cloudwatch_metric_alarm",), _alarms)


def _alarms(doc: TerraformDoc) -> list[Alarm]:
    out = []
    for a in doc.resources("aws_cloudwatch_metric_alarm"):
        if a.get("metric_name"):
            statistic = a.get("statistic") or a.get("extended_statistic", "")
            metric = f"{a.get('namespace', '')} {a.get('metric_name')} ({statistic})"
        else:
            ids = [str(q.get("id")) for q in a.get("metric_query") or []]
            metric = "metric math: " + ", ".join(ids)
        period = a.get("period") or next((q.get("metric", {}).get("period") for q in a.get("metric_query") or []), None)
        evals = a.get("evaluation_periods")
        points = a.get("datapoints_to_alarm", evals)
        window = f"{points} of {evals} x {period}s" if period else f"{points} of {evals}"
        out.append(
            Alarm(
                address=a.address,
                name=readable(a.get("alarm_name")),
                metric=metric.strip(),
                condition=COMPARISONS.get(str(a.get("comparison_operator")), readable(a.get("comparison_operator"))),
                threshold=readable(a.get("threshold", a.get("threshold_metric_id"))),
                threshold_note=_bytes_note(a.get("metric_name"), a.get("threshold")),
                window=window,
                missing_data=readable(a.get("treat_missing_data", "missing")),
                actions=tuple(refs(doc, a.get("alarm_actions"))),
                runbook=a.tags.get(RUNBOOK_TAG, ""),
                description=readable(a.get("alarm_description", "")),
            )
        )
    return out


def _bytes_note(metric: object, threshold: object) -> str:
    """``(2 GiB)`` for byte-valued metrics such as FreeStorageSpace, so the page reads as the config does."""
    if not isinstance(threshold, int | float) or ("Storage" not in str(metric) and "Bytes" not in str(metric)):
        return ""
    return f"({threshold / 2**30:g} GiB)" if threshold >= 2**30 else f"({threshold / 2**20:g} MiB)"


def runbooks(inputs: Inputs) -> list[dict[str, Any]]:
    """One entry per runbook slug used by any alarm, with the alarms using it and its text (or None)."""
    by_slug: dict[str, list[str]] = {}
    for stack, found in alarms(inputs).items():
        for alarm in found:
            if alarm.runbook:
                by_slug.setdefault(alarm.runbook, []).append(f"{stack}: {alarm.name}")
    if not by_slug:
        raise PendingInput(f"no synthesized alarm carries a `{RUNBOOK_TAG}` tag yet")
    texts = inputs.data.get("runbooks", {}).get("runbooks", {})
    return [{"slug": slug, "alarms": sorted(names), "text": texts.get(slug)} for slug, names in sorted(by_slug.items())]
