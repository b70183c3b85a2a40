"""The SPOF rule catalogue and the per-resource checks.

Each `Rule` has a stable id (``SPOF-<AREA>-<NN>``, never reused), a severity,
the Well-Architected / Security Hub basis it rests on and a remediation. The
docs render `RULES` as the rule catalogue; `covaex.topology.spof` runs the
checks and adds the AZ-loss graph check (``SPOF-AZ-01``).

Severity: ``high`` when the request path (users -> entry -> app -> data) stops
or data is lost with one failure; ``medium`` when one failure degrades
egress, the hybrid link, recovery or capacity; ``low`` for hygiene.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from covaex.topology.entities import INTERNET, Node, Topology
from covaex.topology.network import health_check_enabled
from covaex.topology.tfjson import as_bool, as_int, block, literal

Severity = Literal["high", "medium", "low"]
SEVERITY_ORDER: Mapping[str, int] = {"high": 0, "medium": 1, "low": 2}


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: Severity
    basis: tuple[str, ...]
    remediation: str


@dataclass(frozen=True)
class Finding:
    """One SPOF: which rule, which resources (Terraform addresses), the proof and the fix."""

    id: str
    severity: Severity
    resources: tuple[str, ...]
    title: str
    evidence: str
    remediation: str
    basis: tuple[str, ...]


WA_MULTI_LOCATION = "AWS Well-Architected REL10-BP01: Deploy the workload to multiple locations"
WA_FAILOVER = "AWS Well-Architected REL11-BP02: Fail over to healthy resources"
WA_HEALING = "AWS Well-Architected REL11-BP03: Automate healing on all layers"
WA_PUBLIC_LINK = (
    "AWS Well-Architected REL02-BP01: Use highly available network connectivity for your workload public endpoints"
)
WA_PRIVATE_LINK = (
    "AWS Well-Architected REL02-BP02: Provision redundant connectivity between private networks "
    "in the cloud and on-premises environments"
)

RULES: Mapping[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule(
            "SPOF-NAT-01",
            "One NAT gateway serves subnets in several AZs",
            "medium",
            (WA_MULTI_LOCATION, "AWS VPC docs: create a NAT gateway in each AZ and route each AZ to its own"),
            "Give every AZ its own NAT gateway and route each private subnet to the one in its AZ, "
            'or use a regional NAT gateway (availability_mode = "regional").',
        ),
        Rule(
            "SPOF-RDS-01",
            "RDS instance without Multi-AZ",
            "high",
            (
                "AWS Security Hub RDS.5: RDS DB instances should be configured with multiple Availability Zones",
                WA_FAILOVER,
            ),
            "Set multi_az = true so that a synchronous standby in another AZ takes over automatically.",
        ),
        Rule(
            "SPOF-ASG-01",
            "Auto Scaling group in a single AZ",
            "high",
            (
                "AWS Security Hub AutoScaling.2: Amazon EC2 Auto Scaling group should cover"
                " multiple Availability Zones",
                WA_MULTI_LOCATION,
            ),
            "List subnets of at least two AZs in vpc_zone_identifier.",
        ),
        Rule(
            "SPOF-ASG-02",
            "Auto Scaling group may run a single instance (min_size < 2)",
            "medium",
            (WA_MULTI_LOCATION, WA_HEALING),
            "Set min_size (and desired_capacity) to at least 2 so that one instance per AZ keeps serving.",
        ),
        Rule(
            "SPOF-ALB-01",
            "Load balancer in fewer than two AZs",
            "high",
            (
                "AWS Security Hub ELB.13: Application, Network and Gateway Load Balancers should span multiple "
                "Availability Zones",
                WA_PUBLIC_LINK,
            ),
            "Attach subnets of at least two AZs to the load balancer.",
        ),
        Rule(
            "SPOF-ALB-02",
            "Load-balanced targets without ELB health checks",
            "medium",
            (
                "AWS Security Hub AutoScaling.1: Auto Scaling groups associated with a load balancer should use ELB "
                "health checks",
                WA_HEALING,
            ),
            'Set health_check_type = "ELB" on the Auto Scaling group and keep the target group health check '
            "enabled, so that an instance the ALB sees as unhealthy is replaced.",
        ),
        Rule(
            "SPOF-CACHE-01",
            "ElastiCache without a replica in another AZ",
            "high",
            (
                "AWS Security Hub ElastiCache.3: ElastiCache replication groups should have automatic failover enabled",
                WA_MULTI_LOCATION,
            ),
            "Run a replication group with num_cache_clusters >= 2 spread over two AZs (multi_az_enabled = true).",
        ),
        Rule(
            "SPOF-CACHE-02",
            "ElastiCache replication group without automatic failover",
            "high",
            (
                "AWS Security Hub ElastiCache.3: ElastiCache replication groups should have automatic failover enabled",
                WA_FAILOVER,
            ),
            "Set automatic_failover_enabled = true (and multi_az_enabled = true).",
        ),
        Rule(
            "SPOF-EC2-01",
            "Lone EC2 instance outside an Auto Scaling group on the request path",
            "high",
            (WA_MULTI_LOCATION, WA_HEALING),
            "Serve the request path from an Auto Scaling group across two AZs behind the load balancer.",
        ),
        Rule(
            "SPOF-VPN-01",
            "Single VPN connection / customer gateway to on-prem",
            "medium",
            (
                "AWS Security Hub EC2.20: Both VPN tunnels for an AWS Site-to-Site VPN connection should be up",
                WA_PRIVATE_LINK,
            ),
            "Add a second customer gateway device (and ideally a second uplink) with its own VPN connection, "
            "use dynamic (BGP) routing and keep both tunnels of each connection up.",
        ),
        Rule(
            "SPOF-EKS-01",
            "EKS node group in a single AZ",
            "high",
            ("AWS EKS Best Practices (reliability): spread worker nodes across multiple AZs", WA_MULTI_LOCATION),
            "List subnets of at least two AZs in the node group's subnet_ids.",
        ),
        Rule(
            "SPOF-EKS-02",
            "EKS node group may run a single node (min_size < 2)",
            "medium",
            (
                "AWS EKS Best Practices (reliability): run at least two replicas on nodes in different AZs",
                WA_MULTI_LOCATION,
            ),
            "Set scaling_config.min_size to at least 2.",
        ),
        Rule(
            "SPOF-EKS-03",
            "Every node of the cluster is Spot capacity",
            "medium",
            (
                "AWS EKS Best Practices (reliability): mix On-Demand and Spot; Spot can be reclaimed "
                "with a two-minute notice",
                WA_MULTI_LOCATION,
            ),
            "Keep an On-Demand node group for the baseline (or several instance types in the Spot group "
            "so one reclaimed pool cannot take every node).",
        ),
        Rule(
            "SPOF-HOST-01",
            "On-prem component on the request path without a redundant peer",
            "high",
            (WA_MULTI_LOCATION, WA_FAILOVER, WA_PUBLIC_LINK),
            "Move the component to its To-Be v1 managed, multi-AZ counterpart (see the risk list).",
        ),
        Rule(
            "SPOF-AZ-01",
            "Losing one AZ breaks the request path",
            "high",
            (
                WA_MULTI_LOCATION,
                "AWS Well-Architected REL10-BP02: Automate recovery for components constrained to a single location",
            ),
            "Give every hop of the request path capacity in a second AZ.",
        ),
    )
}


def finding(rule_id: str, resources: Iterable[str], evidence: str) -> Finding:
    rule = RULES[rule_id]
    return Finding(
        rule.id, rule.severity, tuple(sorted(set(resources))), rule.title, evidence, rule.remediation, rule.basis
    )


def request_path(topology: Topology, alive: Callable[[Node], bool] = lambda n: True) -> set[str]:
    """Addresses reachable from the users over traffic edges, through live nodes only."""
    nodes = {n.address: n for n in topology.nodes}
    out: dict[str, list[str]] = defaultdict(list)
    for edge in topology.edges_of("traffic"):
        out[edge.source].append(edge.target)
    seen = {INTERNET}
    todo = [INTERNET]
    while todo:
        for target in out[todo.pop()]:
            if target not in seen and target in nodes and alive(nodes[target]):
                seen.add(target)
                todo.append(target)
    return seen


def _azs(node: Node) -> str:
    return ", ".join(node.azs) if node.azs else "no AZ known"


def check_nat(topology: Topology) -> list[Finding]:
    subnet_az = {s.address: s.az for s in topology.subnets}
    served: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for edge in topology.edges_of("route"):
        # a NAT instance (route to its interface) is as much one AZ's machine as a zonal NAT gateway
        if edge.target.startswith(("aws_nat_gateway.", "aws_instance.")) and edge.source in subnet_az:
            served[edge.target][subnet_az[edge.source] or "?"].add(edge.source)
    results = []
    for nat in [*topology.of_kind("aws_nat_gateway"), *topology.of_kind("aws_instance")]:
        azs = served.get(nat.address, {})
        if not nat.azs or len(azs) < 2:  # a regional NAT has no single AZ to lose
            continue
        parts = "; ".join(f"{az}: {', '.join(sorted(subnets))}" for az, subnets in sorted(azs.items()))
        results.append(
            finding(
                "SPOF-NAT-01",
                [nat.address],
                f"{nat.address} lives in {_azs(nat)} and is the route target of subnets in {len(azs)} AZs ({parts})",
            )
        )
    return results


def check_rds(topology: Topology) -> list[Finding]:
    results = []
    for db in topology.of_kind("aws_db_instance"):
        multi_az = db.attrs.get("multi_az")
        if as_bool(multi_az) or db.attrs.get("replicate_source_db"):
            continue
        shown = "false" if multi_az is not None else "unset (default false)"
        results.append(finding("SPOF-RDS-01", [db.address], f"multi_az = {shown}; the instance lives in {_azs(db)}"))
    return results


def check_asg(topology: Topology) -> list[Finding]:
    results = []
    for asg in topology.of_kind("aws_autoscaling_group"):
        if len(asg.azs) < 2:
            results.append(
                finding(
                    "SPOF-ASG-01",
                    [asg.address],
                    f"subnets {', '.join(asg.subnets) or '(none)'} put every instance in {_azs(asg)}",
                )
            )
        min_size = as_int(asg.attrs.get("min_size"))
        if min_size is not None and min_size < 2:
            results.append(finding("SPOF-ASG-02", [asg.address], f"min_size = {min_size}"))
    return results


def check_load_balancers(topology: Topology) -> list[Finding]:
    results = []
    for lb in topology.of_kind("aws_lb", "aws_alb", "aws_elb"):
        if len(lb.azs) < 2:
            results.append(finding("SPOF-ALB-01", [lb.address], f"the load balancer's subnets cover {_azs(lb)}"))
    nodes = {n.address: n for n in topology.nodes}
    for edge in topology.edges_of("traffic"):
        source, target = nodes.get(edge.source), nodes.get(edge.target)
        if source is None or target is None or source.role != "entry":
            continue
        groups = [nodes[v] for v in edge.via if v in nodes and "target_group" in nodes[v].kind]
        off = [g.address for g in groups if not health_check_enabled(g.attrs)]
        if off:
            results.append(finding("SPOF-ALB-02", off, f"health_check.enabled = false on {', '.join(off)}"))
        if target.kind == "aws_autoscaling_group" and groups:
            check_type = literal(target.attrs.get("health_check_type"))
            if (check_type or "EC2").upper() != "ELB":
                shown = check_type or "unset (default EC2)"
                results.append(
                    finding(
                        "SPOF-ALB-02",
                        [target.address],
                        f"health_check_type = {shown} while {source.address} sends it traffic: "
                        "instances failing the ALB health check are not replaced",
                    )
                )
    return results


def check_cache(topology: Topology) -> list[Finding]:
    results = []
    for cache in topology.of_kind("aws_elasticache_replication_group", "aws_elasticache_cluster"):
        if len(cache.azs) < 2:
            count = cache.attrs.get("num_cache_clusters", cache.attrs.get("num_cache_nodes", 1))
            results.append(
                finding(
                    "SPOF-CACHE-01",
                    [cache.address],
                    f"{count} cache node(s), all in {_azs(cache)}",
                )
            )
        elif cache.kind == "aws_elasticache_replication_group" and not as_bool(
            cache.attrs.get("automatic_failover_enabled")
        ):
            results.append(
                finding(
                    "SPOF-CACHE-02",
                    [cache.address],
                    "automatic_failover_enabled = "
                    f"{cache.attrs.get('automatic_failover_enabled', 'unset (default false)')}"
                    f" although nodes run in {_azs(cache)}",
                )
            )
    return results


def check_lone_instances(topology: Topology) -> list[Finding]:
    path = request_path(topology)
    return [
        finding(
            "SPOF-EC2-01",
            [n.address],
            f"{n.address} receives request traffic, runs in {_azs(n)} and no Auto Scaling group replaces it",
        )
        for n in topology.of_kind("aws_instance")
        if n.address in path
    ]


def check_vpn(topology: Topology) -> list[Finding]:
    by_gateway: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for edge in topology.edges_of("vpn"):
        by_gateway[edge.source] += [(conn, edge.target) for conn in edge.via]
    results = []
    for gateway, links in sorted(by_gateway.items()):
        devices = sorted({device for _, device in links})
        if len(links) < 2 or len(devices) < 2:
            connections = sorted({conn for conn, _ in links})
            results.append(
                finding(
                    "SPOF-VPN-01",
                    [*connections, *devices],
                    f"{gateway} reaches on-prem through {len(connections)} VPN connection(s) ending on "
                    f"{len(devices)} customer gateway device(s) ({', '.join(devices)}): one device or uplink failure "
                    "cuts the hybrid link",
                )
            )
    return results


def check_eks(topology: Topology) -> list[Finding]:
    results = []
    for group in topology.of_kind("aws_eks_node_group"):
        if len(group.azs) < 2:
            results.append(finding("SPOF-EKS-01", [group.address], f"subnet_ids cover {_azs(group)}"))
        min_size = as_int(block(group.attrs.get("scaling_config")).get("min_size"))
        if min_size is not None and min_size < 2:
            results.append(finding("SPOF-EKS-02", [group.address], f"scaling_config.min_size = {min_size}"))
    by_cluster: dict[str, list[Node]] = defaultdict(list)
    for group in topology.of_kind("aws_eks_node_group"):
        by_cluster[str(group.attrs.get("cluster_name"))].append(group)
    for groups in by_cluster.values():
        if all(literal(g.attrs.get("capacity_type")) == "SPOT" for g in groups):
            types = sorted({str(t) for g in groups for t in g.attrs.get("instance_types") or []})
            results.append(
                finding(
                    "SPOF-EKS-03",
                    [g.address for g in groups],
                    f"capacity_type = SPOT on every node group, instance types {', '.join(types) or 'unset'}",
                )
            )
    return results


ONPREM_REMEDIATION: Mapping[str, str] = {
    "onprem_server": "To-Be v1: serve from an Auto Scaling group across two AZs behind an ALB (min 2, ELB checks).",
    "onprem_database": "To-Be v1: RDS PostgreSQL Multi-AZ (synchronous standby, automatic failover, backups).",
    "onprem_cache": "To-Be v1: ElastiCache Redis replication group, replica in the other AZ, automatic failover.",
    "onprem_uplink": "To-Be v1: public entry through the ALB in two AZs; the private link as a Site-to-Site VPN "
    "with two tunnels (a second uplink or customer gateway removes the last single path).",
    "onprem_firewall": "To-Be v1: security groups per tier and the ALB replace the single perimeter box.",
}


def check_onprem(topology: Topology) -> list[Finding]:
    path = request_path(topology)
    results = []
    for n in topology.nodes:
        if not n.kind.startswith("onprem_") or n.address not in path or (as_int(n.attrs.get("replicas"), 1) or 1) > 1:
            continue
        found = finding(
            "SPOF-HOST-01",
            [n.address],
            f"{n.label}: replicas = {n.attrs.get('replicas', 1)}, role {n.role}, on the request path",
        )
        remediation = ONPREM_REMEDIATION.get(n.kind)
        results.append(dataclasses.replace(found, remediation=remediation) if remediation else found)
    return results


RESOURCE_CHECKS: Sequence[Callable[[Topology], list[Finding]]] = (
    check_nat,
    check_rds,
    check_asg,
    check_load_balancers,
    check_cache,
    check_lone_instances,
    check_vpn,
    check_eks,
    check_onprem,
)
