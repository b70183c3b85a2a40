"""EPIC 4 pages: CloudWatch log retention, the alarm baseline and the runbook index.

Every alarm carries a ``Runbook`` tag naming a slug; the runbook page has one
section per slug (text from ``templates/data/runbooks.yaml``), and the alarm
table links each alarm to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from covaex_service.settings import Settings

from covaex.docsite.facts.stackfacts import per_stack, readable, refs, stacks_with
from covaex.docsite.inputs import Inputs
from covaex.docsite.sections import FactError, PendingInput
from covaex.topology.tfjson import Resource, TerraformDoc, as_bool, as_int, block, blocks

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


def access_logs(inputs: Inputs) -> dict[str, list[dict[str, Any]]]:
    """Per stack: load balancers writing access logs, the bucket and how long its lifecycle keeps them."""

    def one(doc: TerraformDoc) -> list[dict[str, Any]]:
        out = []
        for lb in doc.resources("aws_lb"):
            logs = block(lb.get("access_logs"))
            if not logs or not as_bool(logs.get("enabled"), True):
                continue
            buckets = doc.refs(logs.get("bucket"))
            days = [
                str(exp.get("days"))
                for rule_set in doc.resources("aws_s3_bucket_lifecycle_configuration")
                if set(doc.refs(rule_set.get("bucket"))) & set(buckets)
                for rule in blocks(rule_set.get("rule"))
                if str(rule.get("status")) == "Enabled"
                for exp in blocks(rule.get("expiration"))
                if exp.get("days") is not None
            ]
            out.append(
                {
                    "lb": lb.address,
                    "bucket": ", ".join(buckets) or readable(logs.get("bucket")),
                    "prefix": readable(logs.get("prefix", "")),
                    "retention_days": ", ".join(days) or "kept forever (no expiration rule)",
                }
            )
        return out

    found = per_stack(inputs, ("aws_lb",), one)
    return {stack: rows for stack, rows in found.items() if rows}


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
    """One entry per runbook slug used by any alarm: the alarms using it and its text with the alarms' numbers.

    The text in ``templates/data/runbooks.yaml`` holds placeholders
    (`RUNBOOK_FIELDS`) instead of numbers; they are filled from the slug's
    synthesized alarms, so changing an alarm changes its runbook.
    """
    by_slug: dict[str, list[tuple[str, Resource]]] = {}
    names: dict[str, list[str]] = {}
    for doc in stacks_with(inputs, "aws_cloudwatch_metric_alarm"):
        for res in doc.resources("aws_cloudwatch_metric_alarm"):
            slug = res.tags.get(RUNBOOK_TAG, "")
            if slug:
                by_slug.setdefault(slug, []).append((doc.stack, res))
                names.setdefault(slug, []).append(f"{doc.stack}: {readable(res.get('alarm_name'))}")
    if not by_slug:
        raise PendingInput(f"no synthesized alarm carries a `{RUNBOOK_TAG}` tag yet")
    texts = inputs.data.get("runbooks", {}).get("runbooks", {})
    out = []
    for slug, found in sorted(by_slug.items()):
        values = {**runbook_values(found), "service_port": str(Settings.port)}
        text = texts.get(slug)
        out.append({"slug": slug, "alarms": sorted(names[slug]), "text": _fill(slug, text, values), "values": values})
    return out


RUNBOOK_FIELDS = (
    "threshold",
    "condition",
    "statistic",
    "period",
    "periods",
    "fires_after",
    "threshold_x2",
    "fires_after_x3",
)


def alarm_numbers(alarm: Resource) -> dict[str, str]:
    """The numbers a runbook quotes, read from one alarm resource (``fires_after`` = datapoints x period)."""
    period = alarm_period(alarm)
    evals = as_int(alarm.get("evaluation_periods"))
    threshold = alarm.get("threshold")
    if period is None or evals is None:
        raise FactError(f"{alarm.address}: a runbook needs its period and evaluation_periods")
    points = as_int(alarm.get("datapoints_to_alarm"), evals) or evals
    op = COMPARISONS.get(str(alarm.get("comparison_operator")), str(alarm.get("comparison_operator")))
    if isinstance(threshold, int | float) and not isinstance(threshold, bool):
        shown = _bytes_note(alarm.get("metric_name"), threshold).strip("()") or f"{threshold:g}"
        doubled = f"{2 * threshold:g}"
    else:  # an anomaly band: the threshold is another metric's value
        shown = f"the band `{readable(alarm.get('threshold_metric_id'))}`"
        doubled = f"twice {shown}"
    return {
        "threshold": shown,
        "condition": f"{op} {shown}",
        "statistic": str(alarm.get("statistic") or alarm.get("extended_statistic") or "metric math"),
        "period": _duration(period),
        "periods": str(points) if points == evals else f"{points} of {evals}",
        "fires_after": _duration(points * period),
        "threshold_x2": doubled,
        "fires_after_x3": _duration(3 * points * period),
    }


def alarm_period(alarm: Resource) -> int | None:
    """The alarm's period: its own, or (metric math) the period of the metrics it queries."""
    period = as_int(alarm.get("period"))
    if period is not None:
        return period
    periods = [as_int(block(q.get("metric")).get("period")) for q in blocks(alarm.get("metric_query"))]
    found = [p for p in periods if p]
    return max(found) if found else None


def runbook_values(alarms: list[tuple[str, Resource]]) -> dict[str, str]:
    """Each field over a slug's alarms: one value when all agree, else ``value (stack), ...``."""
    per_alarm = [(stack, alarm_numbers(res)) for stack, res in alarms]
    merged = {}
    for key in RUNBOOK_FIELDS:
        by_value: dict[str, list[str]] = {}
        for stack, nums in per_alarm:
            stacks = by_value.setdefault(nums[key], [])
            if stack not in stacks:
                stacks.append(stack)
        if len(by_value) == 1:
            merged[key] = next(iter(by_value))
        else:
            merged[key] = ", ".join(f"{v} ({'/'.join(s)})" for v, s in sorted(by_value.items()))
    return merged


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def _fill(slug: str, text: Any, values: dict[str, str]) -> Any:
    """``text`` (strings, lists, mappings) with ``{field}`` placeholders replaced; an unknown one fails naming it."""
    if isinstance(text, str):
        try:
            return text.format_map(values)
        except (KeyError, IndexError, ValueError) as exc:
            known = ", ".join((*RUNBOOK_FIELDS, "service_port"))
            raise FactError(f"runbook `{slug}`: unknown placeholder {exc} (known: {known})") from None
    if isinstance(text, list):
        return [_fill(slug, t, values) for t in text]
    if isinstance(text, dict):
        return {k: _fill(slug, v, values) for k, v in text.items()}
    return text
