"""EPIC 2 entry and app tier pages: ALB listeners and the ASG scaling policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from covaex.docsite.facts.stackfacts import per_stack, readable, refs, settings
from covaex.docsite.inputs import Inputs
from covaex.docsite.sections import FactError
from covaex.topology.tfjson import Resource, TerraformDoc, as_int, block, blocks

LB_KEYS = (
    "load_balancer_type",
    "internal",
    "idle_timeout",
    "enable_deletion_protection",
    "drop_invalid_header_fields",
    "enable_http2",
    "ip_address_type",
)
TG_KEYS = ("port", "protocol", "target_type", "deregistration_delay", "slow_start", "load_balancing_algorithm_type")
ASG_KEYS = (
    "min_size",
    "desired_capacity",
    "max_size",
    "health_check_type",
    "health_check_grace_period",
    "default_instance_warmup",
    "capacity_rebalance",
    "termination_policies",
)
LT_KEYS = ("instance_type", "image_id", "update_default_version", "ebs_optimized")


@dataclass(frozen=True)
class Listener:
    address: str
    port: str
    protocol: str
    ssl_policy: str
    actions: tuple[str, ...]
    rules: tuple[str, ...]


@dataclass(frozen=True)
class TargetGroup:
    address: str
    settings: list[tuple[str, str]]
    health_check: str
    stickiness: str


def alb(inputs: Inputs) -> dict[str, dict[str, Any]]:
    """Per stack: the load balancers, their listeners (with actions and rules) and target groups."""
    return per_stack(inputs, ("aws_lb", "aws_alb"), _alb)


def _alb(doc: TerraformDoc) -> dict[str, Any]:
    rules_by_listener: dict[str, list[str]] = {}
    for rule in doc.resources("aws_lb_listener_rule"):
        owner = next(iter(refs(doc, rule.get("listener_arn"))), "?")
        conditions = "; ".join(readable(c) for c in blocks(rule.get("condition")))
        actions = ", ".join(_action(doc, a) for a in blocks(rule.get("action")))
        rules_by_listener.setdefault(owner, []).append(
            f"priority {rule.get('priority', '-')}: {conditions} -> {actions}"
        )
    listeners = [
        Listener(
            address=lst.address,
            port=readable(lst.get("port")),
            protocol=readable(lst.get("protocol")),
            ssl_policy=readable(lst.get("ssl_policy")) if lst.get("ssl_policy") else "-",
            actions=tuple(_action(doc, a) for a in blocks(lst.get("default_action"))),
            rules=tuple(rules_by_listener.get(lst.address, [])),
        )
        for lst in sorted(doc.resources("aws_lb_listener"), key=lambda r: (_int(r.get("port")), r.address))
    ]
    groups = [
        TargetGroup(
            address=tg.address,
            settings=settings(tg, TG_KEYS),
            health_check=readable(block(tg.get("health_check"))),
            stickiness=readable(block(tg.get("stickiness"))) if tg.get("stickiness") else "-",
        )
        for tg in doc.resources("aws_lb_target_group")
    ]
    lbs = [(lb.address, settings(lb, LB_KEYS)) for lb in doc.resources("aws_lb") + doc.resources("aws_alb")]
    return {"lbs": lbs, "listeners": listeners, "target_groups": groups}


@dataclass(frozen=True)
class AlbEntry:
    """What the ALB page's opening sentences say, per stack: HTTP redirected to HTTPS or not, and each load
    balancer's idle timeout against the gateway's keep-alive (a ping must come inside it)."""

    ws_path: str
    keepalive_s: float
    redirects: dict[str, bool]
    idle_s: dict[str, tuple[int, ...]]


def alb_entry(inputs: Inputs) -> AlbEntry:
    from covaex_service.market.gateway.handler import WS_PATH
    from covaex_service.market.gateway.protocol import KEEPALIVE_SECONDS

    redirects: dict[str, bool] = {}
    idle: dict[str, tuple[int, ...]] = {}
    for stack, doc in sorted(inputs.stacks.items()):
        lbs = doc.resources("aws_lb") + doc.resources("aws_alb")
        if not lbs:
            continue
        idle[stack] = tuple(_int(lb.get("idle_timeout")) or ALB_DEFAULT_IDLE_S for lb in lbs)
        redirects[stack] = any(
            readable(lst.get("protocol")) == "HTTP"
            and any(
                a.get("type") == "redirect" and block(a.get("redirect")).get("protocol") == "HTTPS"
                for a in blocks(lst.get("default_action"))
            )
            for lst in doc.resources("aws_lb_listener")
        )
        short = [s for s in idle[stack] if s <= KEEPALIVE_SECONDS]
        if short:
            raise FactError(
                f"{stack}: ALB idle timeout {short[0]} s is not longer than the gateway's keep-alive "
                f"({KEEPALIVE_SECONDS:g} s): silent WebSockets would be cut"
            )
    return AlbEntry(WS_PATH, KEEPALIVE_SECONDS, redirects, idle)


ALB_DEFAULT_IDLE_S = 60  # AWS's default idle timeout when a load balancer does not set one


def _action(doc: TerraformDoc, action: Any) -> str:
    kind = str(action.get("type", "?"))
    if kind == "forward":
        target = refs(doc, action.get("target_group_arn")) or refs(doc, action.get("forward"))
        return f"forward to {', '.join(target) or readable(action.get('target_group_arn'))}"
    if kind == "redirect":
        r = block(action.get("redirect"))
        return f"redirect to {r.get('protocol', '#{protocol}')}:{r.get('port', '#{port}')} ({r.get('status_code', '')})"
    if kind == "fixed-response":
        r = block(action.get("fixed_response"))
        return f"fixed response {r.get('status_code', '')}"
    return kind


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@dataclass(frozen=True)
class ScalingPolicy:
    address: str
    policy_type: str
    metric: str
    target: str
    details: str


def asg(inputs: Inputs) -> dict[str, dict[str, Any]]:
    """Per stack: each ASG's size and health settings, its launch template and scaling policies."""
    return per_stack(inputs, ("aws_autoscaling_group",), _asg)


def _asg(doc: TerraformDoc) -> dict[str, Any]:
    groups = []
    for group in doc.resources("aws_autoscaling_group"):
        lt_refs = refs(doc, group.get("launch_template")) + refs(doc, group.get("mixed_instances_policy"))
        templates = [r for a in lt_refs if (r := doc.by_address(a)) is not None and r.type == "aws_launch_template"]
        policies = [_policy(p) for p in doc.resources("aws_autoscaling_policy") if group.address in refs(doc, p.config)]
        groups.append(
            {
                "address": group.address,
                "settings": settings(group, ASG_KEYS),
                "subnets": refs(doc, group.get("vpc_zone_identifier")),
                "target_groups": refs(doc, group.get("target_group_arns")),
                "launch_templates": [(t.address, settings(t, LT_KEYS)) for t in templates],
                "instance_refresh": readable(block(group.get("instance_refresh")))
                if group.get("instance_refresh")
                else "-",
                "policies": policies,
                "size": (group.get("min_size"), group.get("desired_capacity"), group.get("max_size")),
                "health_checks": [
                    _health_check(tg) for a in refs(doc, group.get("target_group_arns")) if (tg := doc.by_address(a))
                ],
            }
        )
    return {"groups": groups}


def _health_check(tg: Resource) -> dict[str, Any]:
    """What the ALB asks a target, and how long an instance takes to be marked unhealthy."""
    hc = block(tg.get("health_check"))
    interval = as_int(hc.get("interval"), 30) or 30
    unhealthy = as_int(hc.get("unhealthy_threshold"), 3) or 3
    healthy = as_int(hc.get("healthy_threshold"), 5) or 5
    return {
        "target_group": tg.address,
        "path": readable(hc.get("path", "/")),
        "matcher": readable(hc.get("matcher", "200")),
        "interval": interval,
        "unhealthy_threshold": unhealthy,
        "healthy_threshold": healthy,
        "unhealthy_after": interval * unhealthy,
        "healthy_after": interval * healthy,
    }


def _policy(policy: Resource) -> ScalingPolicy:
    tt = block(policy.get("target_tracking_configuration"))
    if tt:
        predefined = block(tt.get("predefined_metric_specification"))
        metric = str(
            predefined.get("predefined_metric_type") or readable(block(tt.get("customized_metric_specification")))
        )
        extra = f"disable scale-in: {readable(tt.get('disable_scale_in', False))}"
        return ScalingPolicy(
            policy.address,
            str(policy.get("policy_type", "TargetTrackingScaling")),
            metric,
            readable(tt.get("target_value")),
            extra,
        )
    steps = "; ".join(readable(s) for s in blocks(policy.get("step_adjustment")))
    return ScalingPolicy(
        policy.address,
        str(policy.get("policy_type", "SimpleScaling")),
        "-",
        readable(policy.get("scaling_adjustment")),
        steps or readable(policy.get("adjustment_type")),
    )
