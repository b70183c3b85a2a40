"""What the stand-ins take from the synthesized ``tobe-v1-prod`` stack, read through the one reader.

The ALB's target group gives HAProxy its health check (path, interval, thresholds,
timeout, matcher), its deregistration delay and its stickiness; the database and the
cache say whether a standby and a replica exist (Multi-AZ, automatic failover). The
bounds each scenario is measured against come from the resilience page's own model
(:func:`covaex.docsite.facts.resilience.recovery_bounds`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from covaex.docsite.facts.resilience import recovery_bounds
from covaex.docsite.inputs import load_data
from covaex.errors import CliError
from covaex.topology.tfjson import TerraformDoc, as_int, block, load_stack

STACK = "tobe-v1-prod"


@dataclass(frozen=True)
class HealthCheck:
    path: str
    interval_s: int
    timeout_s: int
    healthy_threshold: int
    unhealthy_threshold: int
    matcher: str


@dataclass(frozen=True)
class DrillConfig:
    """The synthesized settings the stand-ins are built from, and the computed bounds."""

    stack: str
    health_check: HealthCheck
    deregistration_delay_s: int
    sticky: bool
    sticky_duration_s: int
    app_port: int
    db_multi_az: bool
    cache_failover: bool
    cache_nodes: int
    bounds: dict[str, int | None]


def drill_config(doc: TerraformDoc, data: dict[str, Any] | None = None) -> DrillConfig:
    """:class:`DrillConfig` of a To-Be v1 stack; a stack without a target group cannot be drilled."""
    tg = next(iter(doc.resources("aws_lb_target_group")), None)
    if tg is None:
        raise CliError(f"{doc.stack}: no aws_lb_target_group to build the stand-in ALB from")
    hc = block(tg.get("health_check"))
    sticky = block(tg.get("stickiness"))
    db = next(iter(doc.resources("aws_db_instance")), None)
    cache = next(iter(doc.resources("aws_elasticache_replication_group")), None)
    resilience = (data if data is not None else load_data())["resilience"]
    return DrillConfig(
        stack=doc.stack,
        health_check=HealthCheck(
            path=str(hc.get("path") or "/"),
            interval_s=as_int(hc.get("interval"), 30) or 30,
            timeout_s=as_int(hc.get("timeout"), 5) or 5,
            healthy_threshold=as_int(hc.get("healthy_threshold"), 5) or 5,
            unhealthy_threshold=as_int(hc.get("unhealthy_threshold"), 2) or 2,
            matcher=str(hc.get("matcher") or "200"),
        ),
        deregistration_delay_s=as_int(tg.get("deregistration_delay"), 300) or 0,
        sticky=bool(sticky) and str(sticky.get("enabled", "true")).lower() != "false",
        sticky_duration_s=as_int(sticky.get("cookie_duration"), 86400) or 86400,
        app_port=as_int(tg.get("port"), 8000) or 8000,
        db_multi_az=db is not None and db.flag("multi_az"),
        cache_failover=cache is not None and cache.flag("automatic_failover_enabled"),
        cache_nodes=(as_int(cache.get("num_cache_clusters"), 1) or 1) if cache is not None else 0,
        bounds=recovery_bounds(doc, resilience),
    )


def load_config(stacks_dir: Path) -> DrillConfig:
    """The config of ``tobe-v1-prod`` synthesized under ``stacks_dir`` (``<out>/stacks``)."""
    return drill_config(load_stack(STACK, stacks_dir / STACK / "cdk.tf.json"))
