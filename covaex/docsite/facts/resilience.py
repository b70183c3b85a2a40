"""Which alarms watch which resources, and the resilience page's data.

The recovery of each disruption is computed once, by
`covaex.docsite.facts.results` (health-check interval x threshold, ASG
grace period, dead-peer detection, Multi-AZ flags, the NAT layout; AWS's
figures from ``templates/data/resilience.yaml`` where no setting decides);
the resilience page shows it per stack, the results page side by side.
``alarms_watching`` ties an alarm to the resources its dimensions name, so
each SPOF finding and each disruption can say which alarm, if any, fires.
"""

from __future__ import annotations

from typing import Any

from covaex.docsite.facts.observability import alarm_numbers, alarm_period
from covaex.docsite.facts.stackfacts import readable, refs
from covaex.docsite.inputs import Inputs
from covaex.docsite.sections import PendingInput
from covaex.topology.tfjson import Resource, TerraformDoc, as_int


def _watching(doc: TerraformDoc, addresses: set[str]) -> list[Resource]:
    """The alarms whose dimensions name one of ``addresses``.

    A cache cluster id (``<replication_group_id>-001``) counts for its replication group.
    """
    groups = {str(g.get("replication_group_id")): g.address for g in doc.resources("aws_elasticache_replication_group")}
    found = []
    for alarm in doc.resources("aws_cloudwatch_metric_alarm"):
        dims = alarm.get("dimensions") or {}
        watched = set(refs(doc, dims))
        for value in dims.values():
            for group_id, address in groups.items():
                if isinstance(value, str) and value.startswith(f"{group_id}-"):
                    watched.add(address)
        if watched & addresses:
            found.append(alarm)
    return found


def alarms_watching(doc: TerraformDoc, addresses: set[str]) -> list[str]:
    """Names (with time to fire) of the alarms whose dimensions name one of ``addresses``."""
    return sorted(
        f"{readable(a.get('alarm_name'))} ({alarm_numbers(a)['fires_after']} 뒤 울림)"
        for a in _watching(doc, addresses)
    )


def alarm_seconds(alarm: Resource) -> int:
    """Seconds of breaching data before an alarm fires: datapoints to alarm x period."""
    points = as_int(alarm.get("datapoints_to_alarm")) or as_int(alarm.get("evaluation_periods")) or 0
    return points * (alarm_period(alarm) or 0)


def alarms_watching_seconds(doc: TerraformDoc, addresses: set[str]) -> list[tuple[int, str]]:
    """(seconds to fire, alarm name) of each alarm watching ``addresses``."""
    return sorted((alarm_seconds(a), readable(a.get("alarm_name"))) for a in _watching(doc, addresses))


def resilience(inputs: Inputs) -> dict[str, dict[str, Any]]:
    """Per To-Be v1 stack and Platform v2 environment: each disruption's recovery, as the results page
    computes it (`covaex.docsite.facts.results`); the sentences are the templates' (in Korean)."""
    from covaex.docsite.facts.results import results

    columns = [c for c in results(inputs)["columns"] if c.family != "asis"]
    if not columns:
        raise PendingInput("no To-Be v1 stack is synthesized yet")
    return {c.key: c.recovery for c in columns}


def finding_alarms(inputs: Inputs, stack: str, resources: tuple[str, ...]) -> list[str]:
    """Alarms that would fire for a SPOF finding's resources (the environment's v1 stack holds the alarms)."""
    if stack not in inputs.stacks:
        return []
    doc = inputs.stack(stack)
    return alarms_watching(doc, set(resources))


def recovery_bounds(doc: TerraformDoc, data: dict[str, Any]) -> dict[str, int | None]:
    """Upper bounds in seconds that `covaex drill` holds its measurements against: the results page's RTOs
    of a To-Be v1 stack (``app_instance``, ``db_primary``, ``redis_primary``, ``az``). None where the
    model states no number: a person must act, or an automatic step AWS gives no figure for."""
    from covaex.docsite.facts.results import v1_recovery

    bounds: dict[str, int | None] = {}
    for key, recovery in v1_recovery(doc, data).items():
        unbounded = recovery is None or recovery.rto_s is None or (recovery.unbounded_part and not recovery.rto_s)
        bounds[key] = None if unbounded or recovery is None else recovery.rto_s
    return bounds
