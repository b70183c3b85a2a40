"""The resilience page: for each disruption, what fails over, how long it takes, what is lost, what alarm fires.

Durations come from the synthesized settings (health-check interval x
threshold, ASG grace period, dead-peer detection, the alarms' windows);
the few that no setting decides (RDS Multi-AZ and ElastiCache failover,
the ALB's DNS TTL) come from ``templates/data/resilience.yaml``, labelled
as AWS's figures. ``alarms_watching`` ties an alarm to the resources its
dimensions name, so each SPOF finding can say which alarm, if any, fires.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from covaex.docsite.facts.hybrid import vpn
from covaex.docsite.facts.observability import alarm_numbers
from covaex.docsite.facts.stackfacts import readable, refs
from covaex.docsite.inputs import Inputs, story_order
from covaex.docsite.sections import PendingInput
from covaex.topology.tfjson import TerraformDoc, as_int, block


def alarms_watching(doc: TerraformDoc, addresses: set[str]) -> list[str]:
    """Names (with time to fire) of the alarms whose dimensions name one of ``addresses``.

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
            found.append(f"{readable(alarm.get('alarm_name'))} (fires after {alarm_numbers(alarm)['fires_after']})")
    return sorted(found)


def stop_routing_s(health_check: Mapping[str, Any]) -> int:
    """Seconds until the ALB stops sending to a failed target: health check interval x unhealthy threshold."""
    return (as_int(health_check.get("interval"), 30) or 30) * (as_int(health_check.get("unhealthy_threshold"), 3) or 3)


def aws_upper_s(figure: Mapping[str, Any]) -> int | None:
    """The upper end of an AWS figure written as ``"60-120 s"``; None where AWS gives no number."""
    found = re.fullmatch(r"\s*\d+\s*-\s*(\d+)\s*s\s*", str(figure.get("typical", "")))
    return int(found.group(1)) if found else None


def recovery_bounds(doc: TerraformDoc, data: Mapping[str, Any]) -> dict[str, int | None]:
    """Upper bounds in seconds of the rows above that the page states as numbers (None: no number to state).

    ``app_instance``: the web tier stops routing to a lost target; ``db_primary``: AWS's Multi-AZ
    failover (None for a single-AZ instance: a restore); ``redis_primary``: AWS gives no number;
    ``az``: the longer of the web tier and the database (the DNS TTL of the ALB comes on top for
    clients holding the lost AZ's address).
    """
    tg = next(iter(doc.resources("aws_lb_target_group")), None)
    db = next(iter(doc.resources("aws_db_instance")), None)
    web = stop_routing_s(block(tg.get("health_check"))) if tg is not None else None
    rds = aws_upper_s(data["rds_multi_az_failover"]) if db is not None and db.flag("multi_az") else None
    cache = aws_upper_s(data["elasticache_failover"])
    az = max(web, rds) if web is not None and rds is not None else None
    return {"app_instance": web, "db_primary": rds, "redis_primary": cache, "az": az}


def resilience(inputs: Inputs) -> dict[str, list[dict[str, Any]]]:
    """Per To-Be v1 stack: one row per disruption."""
    data = inputs.data.get("resilience")
    if not data:
        raise PendingInput("`templates/data/resilience.yaml` is missing")
    names = sorted((s for s in inputs.stacks if s.startswith("tobe-v1-")), key=story_order)
    if not names:
        raise PendingInput("no To-Be v1 stack is synthesized yet")
    vpns = vpn(inputs)
    return {name: _rows(inputs.stack(name), data, vpns.get(name, [])) for name in names}


def _rows(doc: TerraformDoc, data: dict[str, Any], vpns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    asg = next(iter(doc.resources("aws_autoscaling_group")), None)
    tg = next(iter(doc.resources("aws_lb_target_group")), None)
    lb = next(iter(doc.resources("aws_lb")), None)
    db = next(iter(doc.resources("aws_db_instance")), None)
    cache = next(iter(doc.resources("aws_elasticache_replication_group")), None)
    nats = doc.resources("aws_nat_gateway")
    hc = block(tg.get("health_check")) if tg else {}
    out_after = stop_routing_s(hc)
    if asg is not None and tg is not None:
        grace = as_int(asg.get("health_check_grace_period"), 300) or 300
        rows.append(
            _row(
                "One app instance",
                f"the ALB stops sending to it after {out_after} s (health check every {hc.get('interval')} s x "
                f"{hc.get('unhealthy_threshold')} failures); the ASG ({readable(asg.get('health_check_type'))} checks) "
                f"replaces it, the new one counted healthy after its {grace} s grace period at most",
                f"{out_after} s to stop routing; up to {out_after + grace} s to full capacity",
                "in-flight requests on that instance; its WebSocket clients reconnect to another",
                alarms_watching(doc, {asg.address, tg.address} | ({lb.address} if lb else set())),
            )
        )
    rows.append(
        _row(
            "One Availability Zone",
            "the ALB routes to the other AZ once its targets fail health checks; the ASG launches in the other AZ; "
            + (
                "RDS fails over to its standby"
                if db is not None and db.flag("multi_az")
                else "RDS (single-AZ) is down if its AZ is"
            )
            + "; "
            + (
                "ElastiCache promotes the replica"
                if cache is not None and cache.flag("automatic_failover_enabled")
                else "the cache is down if its primary's AZ is"
            ),
            f"{out_after} s for the web tier, then up to {data['alb_dns_ttl_s']} s (AWS: the ALB's DNS TTL) until "
            "clients stop using the lost AZ's ALB address; the database as in its row below",
            "what each tier below loses"
            + ("; private subnets of the other AZ lose internet egress (one NAT)" if len(nats) == 1 else ""),
            alarms_watching(doc, {a.address for a in (asg, tg) if a is not None}),
        )
    )
    rows.append(
        _row(
            "NAT gateway",
            "nothing fails over: each private route table points at one NAT gateway"
            + (
                f" and all share `{nats[0].address}`"
                if len(nats) == 1
                else f" in its own AZ ({len(nats)} NAT gateways)"
            ),
            "until the AZ recovers",
            "outbound internet from the private subnets behind it: the market feed to Binance stops (prices go stale)",
            [],
        )
    )
    if cache is not None:
        rows.append(
            _row(
                "Redis primary",
                "a replica is promoted and the primary endpoint follows it"
                if cache.flag("automatic_failover_enabled")
                else "no automatic failover: the group is down until the node is replaced",
                f"AWS: {data['elasticache_failover']['typical']}",
                "writes of the last moment (replication is asynchronous); the next ticks rewrite them",
                alarms_watching(doc, {cache.address}),
            )
        )
    if db is not None:
        multi = db.flag("multi_az")
        rows.append(
            _row(
                "RDS primary",
                "the synchronous standby in the other AZ is promoted; the endpoint's DNS follows it"
                if multi
                else "no standby (single-AZ): restore from the automated backup (point in time)",
                f"AWS: {data['rds_multi_az_failover']['typical']}" if multi else "the restore's duration (rehearse it)",
                "nothing committed (synchronous standby); open connections drop and reconnect"
                if multi
                else f"up to the last restorable time (backups: {readable(db.get('backup_retention_period'))} days)",
                alarms_watching(doc, {db.address}),
            )
        )
    for conn in vpns:
        dpd = conn["tunnels"][0]["dpd_timeout"]
        rows.append(
            _row(
                "One VPN tunnel",
                "traffic moves to the other tunnel (the customer device must use both)",
                f"{dpd} s of dead-peer detection, then the device's switch-over",
                "on-prem sessions over that tunnel",
                alarms_watching(doc, {conn["address"]}),
            )
        )
    rows.append(
        _row(
            "Region",
            "nothing: every stack lives in one region and no backup is copied out of it",
            "until the region recovers (a rebuild elsewhere is a new deploy from this repository)",
            "service, and data since the last copy outside the region (none is configured)",
            [],
        )
    )
    return rows


def _row(disruption: str, what: str, how_long: str, lost: str, alarms: list[str]) -> dict[str, Any]:
    return {"disruption": disruption, "failover": what, "time": how_long, "lost": lost, "alarms": alarms}


def finding_alarms(inputs: Inputs, stack: str, resources: tuple[str, ...]) -> list[str]:
    """Alarms that would fire for a SPOF finding's resources (the environment's v1 stack holds the alarms)."""
    if stack not in inputs.stacks:
        return []
    doc = inputs.stack(stack)
    return alarms_watching(doc, set(resources))

