"""The cost page: fixed monthly cost per stack from the synthesized resources and a kept price table.

Only what is paid by the hour whether or not anyone uses it goes into the
fixed floor (instances at their desired count, NAT gateways, load
balancers, public IPv4 addresses, EKS control planes, VPN connections,
alarms, keys); usage-based charges are listed beside it. The trade-off
table compares dev with prod and names the SPOF findings dev accepts for
its saving.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from covaex.docsite.inputs import Inputs, story_order
from covaex.docsite.sections import PendingInput
from covaex.topology.tfjson import Resource, TerraformDoc, as_int, block

COST_PREFIXES = ("tobe-v1-", "platform-v2-", "state")


@dataclass(frozen=True)
class Line:
    item: str
    kind: str
    count: int
    unit: str
    monthly: float
    addresses: tuple[str, ...]


@dataclass
class StackCost:
    stack: str
    lines: list[Line] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        return round(sum(line.monthly for line in self.lines), 2)


class _Pricer:
    def __init__(self, prices: Mapping[str, Any]) -> None:
        self.p = prices
        self.hours = float(prices["hours_per_month"])

    def hourly(self, table: str, key: str) -> float | None:
        value = (self.p.get(table) or {}).get(key)
        return float(value) if value is not None else None


def costs(inputs: Inputs) -> dict[str, Any]:
    prices = inputs.data.get("prices")
    if not prices:
        raise PendingInput("`templates/data/prices.yaml` is missing")
    pricer = _Pricer(prices)
    stacks = sorted((s for s in inputs.stacks if s.startswith(COST_PREFIXES)), key=story_order)
    if not stacks:
        raise PendingInput("no stack is synthesized yet")
    per_stack = {name: _stack_cost(inputs.stack(name), pricer) for name in stacks}
    asis_items = prices.get("asis", {}).get("items", [])
    # Platform v2 runs inside the v1 network of its environment: what an environment costs with both.
    combined = {
        env: round(per_stack[f"tobe-v1-{env}"].total + per_stack[f"platform-v2-{env}"].total, 2)
        for env in ("dev", "prod")
        if f"tobe-v1-{env}" in per_stack and f"platform-v2-{env}" in per_stack
    }
    return {
        "prices": prices,
        "stacks": per_stack,
        "combined": combined,
        "asis": {
            "items": asis_items,
            "total": round(sum(float(i["monthly"]) for i in asis_items), 2),
            "source": prices.get("asis", {}).get("source", ""),
        },
    }


def stack_cost(doc: TerraformDoc, prices: Mapping[str, Any]) -> StackCost:
    """Price the always-on resources of one synthesized stack with ``prices`` (templates/data/prices.yaml)."""
    return _stack_cost(doc, _Pricer(prices))


def _stack_cost(doc: TerraformDoc, pricer: _Pricer) -> StackCost:
    cost = StackCost(doc.stack)
    for type_, fn in _RULES.items():
        for res in doc.resources(type_):
            fn(doc, res, pricer, cost)
    cost.lines.sort(key=lambda line: (-line.monthly, line.item))
    return cost


def _add(
    cost: StackCost,
    res: Resource,
    item: str,
    kind: str,
    count: int,
    *,
    hourly: float | None = None,
    monthly_unit: float | None = None,
    unit_label: str | None = None,
    hours: float = 730.0,
) -> None:
    if hourly is None and monthly_unit is None:
        cost.missing.append(f"{res.address}: no price for {kind}")
        return
    per_unit = monthly_unit if monthly_unit is not None else float(hourly or 0) * hours
    label = unit_label or (f"${hourly}/h" if hourly is not None else f"${monthly_unit}/month")
    cost.lines.append(Line(item, kind, count, label, round(per_unit * count, 2), (res.address,)))


def _sized(
    cost: StackCost, res: Resource, pr: _Pricer, table: str, size: str, *, count: int, label: str | None = None
) -> None:
    """``count`` units of ``size``, priced per hour from the price table ``table``."""
    item = label or f"{res.address} ({count} x {size})"
    _add(cost, res, item, size, count, hourly=pr.hourly(table, size), hours=pr.hours)


def _asg(doc: TerraformDoc, res: Resource, pr: _Pricer, cost: StackCost) -> None:
    count = as_int(res.get("desired_capacity"), None) or as_int(res.get("min_size"), 0) or 0
    lt_address = next(iter(_refs(doc, res.get("launch_template"))), None)
    lt = doc.by_address(lt_address) if lt_address else None
    itype = str(lt.get("instance_type")) if lt is not None else "?"
    _sized(cost, res, pr, "ec2_instance", itype, count=count)


def _instance(doc: TerraformDoc, res: Resource, pr: _Pricer, cost: StackCost) -> None:
    itype = str(res.get("instance_type"))
    _sized(cost, res, pr, "ec2_instance", itype, count=1, label=f"{res.address} ({itype})")


def _rds(doc: TerraformDoc, res: Resource, pr: _Pricer, cost: StackCost) -> None:
    klass = str(res.get("instance_class"))
    copies = 2 if res.flag("multi_az") else 1
    az = "Multi-AZ" if copies == 2 else "single-AZ"
    _sized(cost, res, pr, "rds_instance", klass, count=copies, label=f"{res.address} ({klass}, {az})")
    storage = as_int(res.get("allocated_storage"), 0) or 0
    if storage:
        price = float(pr.p["rds_storage_gb_month"])
        _add(
            cost,
            res,
            f"{res.address} storage ({storage} GB, {az})",
            "rds-storage",
            storage * copies,
            monthly_unit=price,
            unit_label=f"${price}/GB-month",
        )


def _cache_group(doc: TerraformDoc, res: Resource, pr: _Pricer, cost: StackCost) -> None:
    node = str(res.get("node_type"))
    count = as_int(res.get("num_cache_clusters"), None)
    if count is None:
        groups = as_int(res.get("num_node_groups"), 1) or 1
        count = groups * ((as_int(res.get("replicas_per_node_group"), 0) or 0) + 1)
    _sized(cost, res, pr, "elasticache_node", node, count=count)


def _cache_cluster(doc: TerraformDoc, res: Resource, pr: _Pricer, cost: StackCost) -> None:
    if res.get("replication_group_id"):
        return  # priced with its replication group
    node = str(res.get("node_type"))
    count = as_int(res.get("num_cache_nodes"), 1) or 1
    _sized(cost, res, pr, "elasticache_node", node, count=count)


def _node_group(doc: TerraformDoc, res: Resource, pr: _Pricer, cost: StackCost) -> None:
    scaling = block(res.get("scaling_config"))
    count = as_int(scaling.get("desired_size"), None) or as_int(scaling.get("min_size"), 0) or 0
    types = res.get("instance_types") or ["?"]
    itype = str(types[0])
    _add(
        cost,
        res,
        f"{res.address} ({count} x {itype})",
        itype,
        count,
        hourly=pr.hourly("ec2_instance", itype),
        hours=pr.hours,
    )


def _flat(key: str, kind: str, per: str = "hour") -> Callable[[TerraformDoc, Resource, _Pricer, StackCost], None]:
    def price(doc: TerraformDoc, res: Resource, pr: _Pricer, cost: StackCost) -> None:
        value = float(pr.p[key])
        if per == "hour":
            _add(cost, res, res.address, kind, 1, hourly=value, hours=pr.hours)
        else:
            _add(cost, res, res.address, kind, 1, monthly_unit=value, unit_label=f"${value}/month")

    return price


def _lb(doc: TerraformDoc, res: Resource, pr: _Pricer, cost: StackCost) -> None:
    kind = "nlb" if res.get("load_balancer_type") == "network" else "alb"
    _add(cost, res, res.address, kind, 1, hourly=float(pr.p[f"{kind}_hour"]), hours=pr.hours)
    if not res.get("internal"):
        # An internet-facing load balancer holds one public IPv4 address per subnet (AZ).
        ips = len(_refs(doc, res.get("subnets"))) or len(res.get("subnet_mapping") or []) or 2
        _add(
            cost,
            res,
            f"{res.address} public IPv4 ({ips})",
            "public-ipv4",
            ips,
            hourly=float(pr.p["public_ipv4_hour"]),
            hours=pr.hours,
        )


def _refs(doc: TerraformDoc, value: Any) -> list[str]:
    from covaex.docsite.facts.stackfacts import refs

    return refs(doc, value)


_RULES: dict[str, Callable[[TerraformDoc, Resource, _Pricer, StackCost], None]] = {
    "aws_autoscaling_group": _asg,
    "aws_instance": _instance,
    "aws_db_instance": _rds,
    "aws_elasticache_replication_group": _cache_group,
    "aws_elasticache_cluster": _cache_cluster,
    "aws_eks_node_group": _node_group,
    "aws_nat_gateway": _flat("nat_gateway_hour", "nat-gateway"),
    "aws_eip": _flat("public_ipv4_hour", "public-ipv4"),
    "aws_lb": _lb,
    "aws_eks_cluster": _flat("eks_cluster_hour", "eks-control-plane"),
    "aws_vpn_connection": _flat("vpn_connection_hour", "vpn-connection"),
    "aws_cloudwatch_metric_alarm": _flat("cloudwatch_alarm_month", "alarm", per="month"),
    "aws_kms_key": _flat("kms_key_month", "kms-key", per="month"),
    "aws_secretsmanager_secret": _flat("secret_month", "secret", per="month"),
}


def tradeoffs(inputs: Inputs) -> list[dict[str, Any]]:
    """dev vs prod per priced kind: the monthly saving in dev and the SPOF findings only dev has on those resources."""
    from covaex.docsite.topology import stack_topology
    from covaex.topology.spof import spof_findings

    data = costs(inputs)
    rows = []
    for family in ("tobe-v1", "platform-v2"):
        dev, prod = data["stacks"].get(f"{family}-dev"), data["stacks"].get(f"{family}-prod")
        if dev is None or prod is None:
            continue
        dev_findings = spof_findings(stack_topology(inputs, dev.stack))
        prod_ids = {f.id for f in spof_findings(stack_topology(inputs, prod.stack))}
        for kind in sorted({line.kind for line in dev.lines} | {line.kind for line in prod.lines}):
            d = [line for line in dev.lines if line.kind == kind]
            p = [line for line in prod.lines if line.kind == kind]
            d_cost, p_cost = sum(x.monthly for x in d), sum(x.monthly for x in p)
            d_count, p_count = sum(x.count for x in d), sum(x.count for x in p)
            if round(d_cost, 2) == round(p_cost, 2) and d_count == p_count:
                continue
            addresses = {a for x in d for a in x.addresses}
            accepted = sorted({f.id for f in dev_findings if f.id not in prod_ids and set(f.resources) & addresses})
            rows.append(
                {
                    "family": family,
                    "kind": kind,
                    "dev": (d_count, round(d_cost, 2)),
                    "prod": (p_count, round(p_cost, 2)),
                    "saving": round(p_cost - d_cost, 2),
                    "spof": accepted,
                }
            )
    if not rows:
        raise PendingInput("no dev/prod stack pair is synthesized yet")
    return sorted(rows, key=lambda r: (r["family"], -r["saving"], r["kind"]))
