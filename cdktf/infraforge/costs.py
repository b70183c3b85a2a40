"""The fixed monthly floor of a synthesized stack: what it costs before any traffic.

Reads the stack's Terraform JSON (the same contract the docs read) and
prices the always-on resources with on-demand list prices of Seoul
(ap-northeast-2, USD, 730 hours a month). Usage-driven charges (data
processed by NAT and ALB, LCUs, storage growth, requests) are left out: this
is the floor, used to compare environments, not a bill forecast.

Why dev's floor is lower than prod's, item by item:

* ``aws_nat_gateway``: one in dev, one per AZ in prod (network.py);
* ``aws_db_instance``: smaller class and single-AZ in dev, Multi-AZ doubles it in prod (database.py);
* ``aws_elasticache_replication_group``: same two-node layout, smaller nodes in dev (cache.py);
* ``aws_autoscaling_group``: one instance at rest in dev, two in prod (app_tier.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

HOURS_PER_MONTH = 730
# On-demand list prices, ap-northeast-2, USD per hour (checked 2025; update with the region's price list).
HOURLY_USD: Mapping[str, float] = {
    "nat_gateway": 0.059,
    "public_ipv4": 0.005,
    "alb": 0.0225,
    "vpn_connection": 0.05,
    "ec2:t3.small": 0.026,
    "rds:db.t4g.micro": 0.025,
    "rds:db.t4g.small": 0.051,
    "elasticache:cache.t4g.micro": 0.025,
    "elasticache:cache.t4g.small": 0.05,
}
MONTHLY_USD: Mapping[str, float] = {
    "rds_gp3_gb": 0.131,
    "ebs_gp3_gb": 0.0912,
    "secret": 0.40,
    "alarm": 0.10,
    "kms_key": 1.00,
}
# Public IPv4 addresses an internet-facing ALB keeps, one per AZ.
ALB_PUBLIC_IPS = 2


class UnpricedResourceError(ValueError):
    """A floor resource uses a size the price table does not know."""


def _hourly(key: str) -> float:
    try:
        return HOURLY_USD[key]
    except KeyError:
        raise UnpricedResourceError(f"no price for {key}: add it to infraforge.costs.HOURLY_USD") from None


def monthly_floor(stack: Mapping[str, Any]) -> dict[str, float]:
    """Fixed monthly cost per line item (USD) of a synthesized stack."""
    res: Mapping[str, Mapping[str, Mapping[str, Any]]] = stack.get("resource", {})
    items: dict[str, float] = {}

    def add(item: str, usd: float) -> None:
        items[item] = round(items.get(item, 0.0) + usd, 2)

    for _ in res.get("aws_nat_gateway", {}).values():
        add("NAT gateways", _hourly("nat_gateway") * HOURS_PER_MONTH)
    for _ in res.get("aws_eip", {}).values():
        add("public IPv4", _hourly("public_ipv4") * HOURS_PER_MONTH)
    for _ in res.get("aws_lb", {}).values():
        add("ALB", _hourly("alb") * HOURS_PER_MONTH)
        add("public IPv4", ALB_PUBLIC_IPS * _hourly("public_ipv4") * HOURS_PER_MONTH)
    for _ in res.get("aws_vpn_connection", {}).values():
        add("site-to-site VPN", _hourly("vpn_connection") * HOURS_PER_MONTH)
    templates = res.get("aws_launch_template", {})
    for group in res.get("aws_autoscaling_group", {}).values():
        template = next(iter(templates.values()))
        per_instance = _hourly(f"ec2:{template['instance_type']}") * HOURS_PER_MONTH
        volume_gb = sum(m["ebs"]["volume_size"] for m in template.get("block_device_mappings", []))
        per_instance += volume_gb * MONTHLY_USD["ebs_gp3_gb"]
        add("app instances", group["desired_capacity"] * per_instance)
    for db in res.get("aws_db_instance", {}).values():
        copies = 2 if db.get("multi_az") else 1
        add("PostgreSQL", copies * _hourly(f"rds:{db['instance_class']}") * HOURS_PER_MONTH)
        add("PostgreSQL", copies * db["allocated_storage"] * MONTHLY_USD["rds_gp3_gb"])
    for redis in res.get("aws_elasticache_replication_group", {}).values():
        nodes = redis["num_cache_clusters"]
        add("Redis", nodes * _hourly(f"elasticache:{redis['node_type']}") * HOURS_PER_MONTH)
    secrets = len(res.get("aws_secretsmanager_secret", {})) + len(res.get("aws_db_instance", {}))
    if secrets:
        add("secrets", secrets * MONTHLY_USD["secret"])
    keys = len(res.get("aws_kms_key", {}))
    if keys:
        add("KMS keys", keys * MONTHLY_USD["kms_key"])
    alarms = len(res.get("aws_cloudwatch_metric_alarm", {}))
    if alarms:
        add("alarms", alarms * MONTHLY_USD["alarm"])
    return items


def monthly_floor_total(stack: Mapping[str, Any]) -> float:
    return round(sum(monthly_floor(stack).values()), 2)
