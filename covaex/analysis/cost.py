"""Cost analysis: fixed monthly cost per stack from the synthesized resources and a kept price table.

Only what is paid by the hour whether or not anyone uses it goes into the
fixed floor (instances at their desired count, their EBS volumes, NAT
gateways, load balancers including the one the ALB controller creates,
public IPv4 addresses, EKS control planes, VPN connections, alarms, keys,
flow logs at the volume their own settings give for the workload the price
table states, surplus CPU credits of a burstable group at its scaling
target); other usage-based charges are listed beside it.

Every resource type of a stack is either priced here or listed in the price
table's ``free_types``; an unknown type, or a size the table lacks, raises
`CostError` naming the resource, so ``covaex docs build`` fails instead of
silently dropping a line. ``monthly_cost(doc, prices)`` is the public entry:
the cost page (``covaex.docsite.facts.cost``) prices every stack with it and
``covaex diff`` two versions of a stack.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from infraforge.instance_types import burstable

from covaex.analysis.errors import FactError
from covaex.synth import REPO_ROOT
from covaex.topology.tfjson import Resource, TerraformDoc, as_int, block, blocks

PRICE_TABLE = REPO_ROOT / "templates" / "data" / "prices.yaml"
"""The dated, cited price table (the docs load it with the other page data as ``prices``)."""


@dataclass(frozen=True)
class Line:
    item: str
    kind: str
    count: int
    unit: str
    monthly: float
    addresses: tuple[str, ...]


class CostError(FactError):
    """A billable resource the price table cannot price; the message names the resource and what is missing."""


@dataclass
class StackCost:
    """One stack's fixed monthly floor: ``lines`` (item, kind, count, unit, monthly) and ``total``."""

    stack: str
    lines: list[Line] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)

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


def monthly_cost(doc: TerraformDoc, prices: Mapping[str, Any]) -> StackCost:
    """Price every resource of one synthesized stack with ``prices`` (templates/data/prices.yaml).

    Raises `CostError` naming the resource when a type is neither priced nor
    listed as free, or when a size is missing from the table.
    """
    return _stack_cost(doc, _Pricer(prices))


stack_cost = monthly_cost  # the name the tests and older callers use


def _stack_cost(doc: TerraformDoc, pricer: _Pricer) -> StackCost:
    cost = StackCost(doc.stack)
    free = {str(t) for t in pricer.p.get("free_types") or []}
    for res in doc.all_resources():
        rule = _RULES.get(res.type)
        if rule is not None:
            rule(doc, res, pricer, cost)
        elif res.type not in free:
            raise CostError(
                f"{doc.stack}: {res.address}: resource type {res.type} is neither priced by "
                "covaex/analysis/cost.py nor listed under free_types in templates/data/prices.yaml"
            )
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
        raise CostError(f"{res.address}: no price for {kind!r} in templates/data/prices.yaml")
    per_unit = monthly_unit if monthly_unit is not None else float(hourly or 0) * hours
    label = unit_label or (f"${hourly}/h" if hourly is not None else f"${monthly_unit}/month")
    cost.lines.append(Line(item, kind, count, label, round(per_unit * count, 2), (res.address,)))


def _sized(
    cost: StackCost, res: Resource, pr: _Pricer, table: str, size: str, *, count: int, label: str | None = None
) -> None:
    """``count`` units of ``size``, priced per hour from the price table ``table``."""
    item = label or f"{res.address} ({count} x {size})"
    _add(cost, res, item, size, count, hourly=pr.hourly(table, size), hours=pr.hours)


def _launch_template(doc: TerraformDoc, res: Resource) -> Resource | None:
    address = next((a for a in _refs(doc, res.get("launch_template")) if a.startswith("aws_launch_template.")), None)
    return doc.by_address(address) if address else None


def _ebs(cost: StackCost, res: Resource, pr: _Pricer, volumes: list[tuple[str, int]], count: int) -> None:
    """EBS volumes (type, GiB) attached to each of ``count`` instances, priced per GB-month by type."""
    for vtype, size in volumes:
        price = (pr.p.get("ebs_gb_month") or {}).get(vtype)
        if price is None:
            raise CostError(f"{res.address}: no price for EBS volume type {vtype!r} (ebs_gb_month in prices.yaml)")
        _add(
            cost,
            res,
            f"{res.address} EBS {vtype} ({count} x {size} GiB)",
            f"GB of EBS {vtype}",
            count * size,
            monthly_unit=float(price),
            unit_label=f"${price}/GB-month",
        )


def _template_volumes(lt: Resource, owner: Resource) -> list[tuple[str, int]]:
    """The EBS volumes a launch template declares; a volume without a size fails naming it."""
    out = []
    for mapping in blocks(lt.get("block_device_mappings")):
        ebs = block(mapping.get("ebs"))
        if not ebs:
            continue
        size = as_int(ebs.get("volume_size"))
        if size is None:
            raise CostError(f"{owner.address}: {lt.address} declares an EBS volume without volume_size")
        out.append((str(ebs.get("volume_type") or "gp3"), size))
    return out


def _asg(doc: TerraformDoc, res: Resource, pr: _Pricer, cost: StackCost) -> None:
    count = as_int(res.get("desired_capacity"), None) or as_int(res.get("min_size"), 0) or 0
    lt = _launch_template(doc, res)
    if lt is None or not lt.get("instance_type"):
        raise CostError(f"{res.address}: no launch template with an instance_type to price")
    itype = str(lt.get("instance_type"))
    _sized(cost, res, pr, "ec2_instance", itype, count=count)
    _surplus_credits(doc, res, pr, cost, itype=itype, count=count)
    volumes = _template_volumes(lt, res)
    if not volumes:
        raise CostError(f"{res.address}: {lt.address} declares no root volume size (block_device_mappings)")
    _ebs(cost, res, pr, volumes, count)


def _surplus_credits(doc: TerraformDoc, res: Resource, pr: _Pricer, cost: StackCost, *, itype: str, count: int) -> None:
    """A burstable group that scales on CPU runs at its target: CPU above the type's baseline is paid per vCPU-hour.

    Priced at the target-tracking policy's CPU target for the group's running count (unlimited mode, the T4g and
    T3 default); $0 when the target is within the baseline. Baselines: ``infraforge.instance_types``.
    """
    try:
        burst = burstable(itype)
    except ValueError as exc:
        raise CostError(f"{res.address}: {exc}") from None
    if burst is None:
        return
    targets = [
        float(block(policy.get("target_tracking_configuration")).get("target_value") or 0)
        for policy in doc.resources("aws_autoscaling_policy")
        if res.address in _refs(doc, policy.get("autoscaling_group_name"))
        and block(block(policy.get("target_tracking_configuration")).get("predefined_metric_specification")).get(
            "predefined_metric_type"
        )
        == "ASGAverageCPUUtilization"
    ]
    if not targets:
        return
    target = max(targets)
    surplus = max(0.0, target - burst.baseline_percent) / 100 * burst.vcpus
    price = float(pr.p["burstable_surplus_vcpu_hour"])
    _add(
        cost,
        res,
        f"{res.address} CPU credits above the {burst.baseline_percent}% baseline of {itype} "
        f"({count} x, at the {target:g}% scaling target)",
        "surplus-credits",
        count,
        monthly_unit=round(surplus * price * pr.hours, 2),
        unit_label=f"${price}/vCPU-hour",
    )


def _instance(doc: TerraformDoc, res: Resource, pr: _Pricer, cost: StackCost) -> None:
    itype = str(res.get("instance_type"))
    _sized(cost, res, pr, "ec2_instance", itype, count=1, label=f"{res.address} ({itype})")
    root = block(res.get("root_block_device"))
    lt = _launch_template(doc, res)
    volumes = [(str(root.get("volume_type") or "gp3"), size)] if (size := as_int(root.get("volume_size"))) else []
    volumes = volumes or (_template_volumes(lt, res) if lt is not None else [])
    if not volumes:
        raise CostError(f"{res.address}: no root volume size declared (root_block_device.volume_size)")
    _ebs(cost, res, pr, volumes, 1)


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
            "GB of RDS storage",
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


EKS_DEFAULT_DISK_GB = 20  # aws_eks_node_group disk_size default when no launch template sets a volume


def _node_group(doc: TerraformDoc, res: Resource, pr: _Pricer, cost: StackCost) -> None:
    scaling = block(res.get("scaling_config"))
    count = as_int(scaling.get("desired_size"), None) or as_int(scaling.get("min_size"), 0) or 0
    types = [str(t) for t in res.get("instance_types") or []]
    if not types:
        raise CostError(f"{res.address}: node group without instance_types cannot be priced")
    on_demand = {t: pr.hourly("ec2_instance", t) for t in types}
    unknown = [t for t, price in on_demand.items() if price is None]
    if unknown:
        raise CostError(f"{res.address}: no price for instance type(s) {', '.join(unknown)} in prices.yaml")
    # Several types: priced at the dearest, so the floor is an upper bound of what the group may run.
    itype = max(types, key=lambda t: on_demand[t] or 0.0)
    hourly = float(on_demand[itype] or 0.0)
    item = f"{res.address} ({count} x {itype}"
    if str(res.get("capacity_type") or "ON_DEMAND") == "SPOT":
        spot = pr.p["spot"]
        hourly = round(hourly * float(spot["fraction_of_on_demand"]), 5)
        item += f", Spot at {float(spot['fraction_of_on_demand']):.0%} of On-Demand, assumption of {spot['recorded']}"
        note = f"Spot: {spot['note']} (recorded {spot['recorded']})"
        if note not in cost.assumptions:
            cost.assumptions.append(note)
    _add(cost, res, item + ")", itype, count, hourly=hourly, hours=pr.hours)
    lt = _launch_template(doc, res)
    volumes = _template_volumes(lt, res) if lt is not None else []
    _ebs(cost, res, pr, volumes or [("gp3", as_int(res.get("disk_size"), EKS_DEFAULT_DISK_GB) or 0)], count)


def _helm_release(doc: TerraformDoc, res: Resource, pr: _Pricer, cost: StackCost) -> None:
    """What a chart makes AWS bill though no stack declares it: the controller's ALB, the volumes its claims ask for."""
    _controller(res, pr, cost)
    _claimed_volumes(doc, res, pr, cost)


def _controller(res: Resource, pr: _Pricer, cost: StackCost) -> None:
    """The ALB the AWS Load Balancer Controller creates for the Ingress."""
    if "aws-load-balancer-controller" not in str(res.get("chart")):
        return
    azs = int(pr.p["controller_alb"]["subnets"])
    item = f"ALB created by {res.address} for the Ingress ({pr.p['controller_alb']['note']})"
    _add(cost, res, item, "alb", 1, hourly=float(pr.p["alb_hour"]), hours=pr.hours)
    _add(
        cost,
        res,
        f"{item}: public IPv4 ({azs})",
        "public-ipv4",
        azs,
        hourly=float(pr.p["public_ipv4_hour"]),
        hours=pr.hours,
    )


def _claimed_volumes(doc: TerraformDoc, res: Resource, pr: _Pricer, cost: StackCost) -> None:
    """EBS volumes that a release's ``volumeClaimTemplate`` requests, typed by the stack's StorageClass."""
    classes = {
        str(block(sc.get("metadata")).get("name")): str(block(sc.get("parameters")).get("type") or "gp3")
        for sc in doc.resources("kubernetes_storage_class_v1")
    }
    for text in res.get("values") or []:
        for claim in _claims(yaml.safe_load(str(text))):
            spec = block(claim.get("spec"))
            size = str(block(block(spec.get("resources")).get("requests")).get("storage", ""))
            sc_name = str(spec.get("storageClassName", ""))
            if not size.endswith("Gi") or sc_name not in classes:
                raise CostError(f"{res.address}: cannot price a volume claim of {size!r} in class {sc_name!r}")
            _ebs(cost, res, pr, [(classes[sc_name], int(size[:-2]))], 1)


def _claims(value: Any) -> list[Mapping[str, Any]]:
    if isinstance(value, Mapping):
        found = [value["volumeClaimTemplate"]] if isinstance(value.get("volumeClaimTemplate"), Mapping) else []
        return found + [c for v in value.values() for c in _claims(v)]
    if isinstance(value, list):
        return [c for v in value for c in _claims(v)]
    return []


def _flow_log(doc: TerraformDoc, res: Resource, pr: _Pricer, cost: StackCost) -> None:
    """Flow logs cost by volume: records from the flow log's own settings and the stated workload, then storage.

    A flow writes one record per aggregation window it spans: the long-lived connections of
    ``flow_logs.assumed_flows`` one per window all month, the short ones one each; ``traffic_type``
    picks the accepted, the rejected or both. The log group's retention sets what is stored.
    """
    dest = str(res.get("log_destination_type") or "cloud-watch-logs")
    flow = pr.p["flow_logs"]
    price = (flow.get("gb_price") or {}).get(dest)
    if price is None:
        raise CostError(f"{res.address}: no flow-log price for destination {dest!r} (flow_logs.gb_price)")
    traffic = str(res.get("traffic_type") or "")
    interval = as_int(res.get("max_aggregation_interval"), 600) or 600
    if traffic not in ("ALL", "ACCEPT", "REJECT"):
        raise CostError(f"{res.address}: cannot size flow logs of traffic_type {traffic!r}")
    gb = flow_log_gb_month(flow, traffic=traffic, interval_seconds=interval, hours=pr.hours)
    _add(
        cost,
        res,
        f"{res.address} ({traffic}, {interval} s windows: {gb:.2f} GB/month at the stated workload, to {dest})",
        "flow-logs",
        1,
        monthly_unit=round(gb * float(price), 2),
        unit_label=f"${price}/GB",
    )
    group = next((g for a in _refs(doc, res.get("log_destination")) if (g := doc.by_address(a)) is not None), None)
    days = as_int(group.get("retention_in_days")) if group is not None else None
    if group is not None and days:
        stored = gb * days / (pr.hours / 24)
        storage = float(flow["storage_gb_month"][dest])
        _add(
            cost,
            group,
            f"{group.address} (flow logs kept {days} days: {stored:.1f} GB stored)",
            "flow-log-storage",
            1,
            monthly_unit=round(stored * storage, 2),
            unit_label=f"${storage}/GB-month",
        )


def flow_log_gb_month(flow: Mapping[str, Any], *, traffic: str, interval_seconds: int, hours: float) -> float:
    """GB a month of flow-log records for ``traffic`` at ``interval_seconds`` under ``flow['assumed_flows']``."""
    assumed = flow["assumed_flows"]
    windows = hours * 3600 / interval_seconds
    accepted = float(assumed["long_lived"]) * windows + float(assumed["short_per_month"])
    rejected = float(assumed["rejected_per_month"])
    records = {"ALL": accepted + rejected, "ACCEPT": accepted, "REJECT": rejected}[traffic]
    return records * float(flow["bytes_per_record"]) / 1e9


def _eks_cluster(doc: TerraformDoc, res: Resource, pr: _Pricer, cost: StackCost) -> None:
    """The control plane by the hour, and its logs: the cluster's own log types and its log group's retention.

    Each enabled type ingests the volume the price table assumes for it; what the retention keeps is stored
    (steady state: a month's volume times retention in months). The same two settings the stack deploys
    (``enabled_cluster_log_types``, the group's ``retention_in_days``) are what is priced.
    """
    _flat("eks_cluster_hour", "eks-control-plane")(doc, res, pr, cost)
    types = [str(t) for t in res.get("enabled_cluster_log_types") or []]
    if not types:
        return
    logs = pr.p["eks_control_plane_logs"]
    volumes = logs["assumed_gb_month"]
    missing = [t for t in types if t not in volumes]
    if missing:
        raise CostError(f"{res.address}: no assumed volume for log types {missing} (eks_control_plane_logs)")
    group_name = f"/aws/eks/{res.get('name')}/cluster"
    groups = [g for g in doc.resources("aws_cloudwatch_log_group") if g.get("name") == group_name]
    retention = int(groups[0].get("retention_in_days") or 0) if groups else 0
    if retention <= 0:
        raise CostError(f"{res.address}: log group {group_name} has no retention, its storage cannot be priced")
    gb = sum(float(volumes[t]) for t in types)
    ingest = gb * float(logs["ingestion_gb_price"])
    stored = gb * retention / 30 * float(logs["storage_gb_month_price"])
    _add(
        cost,
        res,
        f"{res.address} control-plane logs ({', '.join(types)}: {gb:g} GB/month assumed, kept {retention} days)",
        "eks-logs",
        1,
        monthly_unit=round(ingest + stored, 2),
        unit_label=f"${logs['ingestion_gb_price']}/GB + ${logs['storage_gb_month_price']}/GB-month",
    )
    note = str(logs["note"])
    if note not in cost.assumptions:
        cost.assumptions.append(note)


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
    return doc.refs(value)


_RULES: dict[str, Callable[[TerraformDoc, Resource, _Pricer, StackCost], None]] = {
    "aws_autoscaling_group": _asg,
    "aws_instance": _instance,
    "aws_db_instance": _rds,
    "aws_elasticache_replication_group": _cache_group,
    "aws_elasticache_cluster": _cache_cluster,
    "aws_eks_node_group": _node_group,
    "helm_release": _helm_release,
    "aws_flow_log": _flow_log,
    "aws_nat_gateway": _flat("nat_gateway_hour", "nat-gateway"),
    "aws_eip": _flat("public_ipv4_hour", "public-ipv4"),
    "aws_lb": _lb,
    "aws_eks_cluster": _eks_cluster,
    "aws_vpn_connection": _flat("vpn_connection_hour", "vpn-connection"),
    "aws_cloudwatch_metric_alarm": _flat("cloudwatch_alarm_month", "alarm", per="month"),
    "aws_cloudwatch_log_metric_filter": _flat("cloudwatch_custom_metric_month", "custom-metric", per="month"),
    "aws_kms_key": _flat("kms_key_month", "kms-key", per="month"),
    "aws_secretsmanager_secret": _flat("secret_month", "secret", per="month"),
}
