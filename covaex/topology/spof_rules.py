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
            "NAT 하나 (게이트웨이 또는 인스턴스)가 여러 AZ의 서브넷을 맡음",
            "medium",
            (WA_MULTI_LOCATION, "AWS VPC docs: create a NAT gateway in each AZ and route each AZ to its own"),
            "AZ마다 NAT 게이트웨이를 두고 각 프라이빗 서브넷을 자기 AZ의 NAT로 보내거나, "
            '리전 NAT 게이트웨이 (availability_mode = "regional")를 씁니다.',
        ),
        Rule(
            "SPOF-RDS-01",
            "다중 AZ (Multi-AZ)가 없는 RDS 인스턴스",
            "high",
            (
                "AWS Security Hub RDS.5: RDS DB instances should be configured with multiple Availability Zones",
                WA_FAILOVER,
            ),
            "multi_az = true로 설정해 다른 AZ의 동기 대기 인스턴스 (standby)가 자동으로 넘겨받게 합니다.",
        ),
        Rule(
            "SPOF-ASG-01",
            "AZ 하나에만 있는 Auto Scaling 그룹",
            "high",
            (
                "AWS Security Hub AutoScaling.2: Amazon EC2 Auto Scaling group should cover"
                " multiple Availability Zones",
                WA_MULTI_LOCATION,
            ),
            "vpc_zone_identifier에 AZ 두 개 이상의 서브넷을 적습니다.",
        ),
        Rule(
            "SPOF-ASG-02",
            "인스턴스 하나로 돌 수 있는 Auto Scaling 그룹 (min_size < 2)",
            "medium",
            (WA_MULTI_LOCATION, WA_HEALING),
            "min_size (와 desired_capacity)를 2 이상으로 두어 AZ마다 인스턴스 하나가 계속 서비스하게 합니다.",
        ),
        Rule(
            "SPOF-ALB-01",
            "AZ 두 개 미만에 있는 로드 밸런서",
            "high",
            (
                "AWS Security Hub ELB.13: Application, Network and Gateway Load Balancers should span multiple "
                "Availability Zones",
                WA_PUBLIC_LINK,
            ),
            "로드 밸런서에 AZ 두 개 이상의 서브넷을 붙입니다.",
        ),
        Rule(
            "SPOF-ALB-02",
            "ELB 헬스 체크 없이 로드 밸런싱되는 대상",
            "medium",
            (
                "AWS Security Hub AutoScaling.1: Auto Scaling groups associated with a load balancer should use ELB "
                "health checks",
                WA_HEALING,
            ),
            'Auto Scaling 그룹에 health_check_type = "ELB"를 두고 대상 그룹 헬스 체크를 켜 두어, '
            "ALB가 비정상으로 보는 인스턴스가 교체되게 합니다.",
        ),
        Rule(
            "SPOF-CACHE-01",
            "다른 AZ에 복제본이 없는 ElastiCache",
            "high",
            (
                "AWS Security Hub ElastiCache.3: ElastiCache replication groups should have automatic failover enabled",
                WA_MULTI_LOCATION,
            ),
            "num_cache_clusters >= 2인 복제 그룹을 두 AZ에 나눠 돌립니다 (multi_az_enabled = true).",
        ),
        Rule(
            "SPOF-CACHE-02",
            "자동 장애 조치가 없는 ElastiCache 복제 그룹",
            "high",
            (
                "AWS Security Hub ElastiCache.3: ElastiCache replication groups should have automatic failover enabled",
                WA_FAILOVER,
            ),
            "automatic_failover_enabled = true (와 multi_az_enabled = true)로 설정합니다.",
        ),
        Rule(
            "SPOF-EC2-01",
            "요청 경로에 있는, Auto Scaling 그룹 밖의 EC2 인스턴스 하나",
            "high",
            (WA_MULTI_LOCATION, WA_HEALING),
            "요청 경로를 로드 밸런서 뒤, 두 AZ에 걸친 Auto Scaling 그룹에서 처리합니다.",
        ),
        Rule(
            "SPOF-VPN-01",
            "온프레미스로 가는 VPN 연결 / 고객 게이트웨이가 하나뿐",
            "medium",
            (
                "AWS Security Hub EC2.20: Both VPN tunnels for an AWS Site-to-Site VPN connection should be up",
                WA_PRIVATE_LINK,
            ),
            "자기 VPN 연결을 가진 두 번째 고객 게이트웨이 장비 (가능하면 두 번째 회선도)를 더하고, "
            "동적 (BGP) 라우팅을 쓰며 연결마다 두 터널을 모두 살려 둡니다.",
        ),
        Rule(
            "SPOF-EKS-01",
            "AZ 하나에만 있는 EKS 노드 그룹",
            "high",
            ("AWS EKS Best Practices (reliability): spread worker nodes across multiple AZs", WA_MULTI_LOCATION),
            "노드 그룹의 subnet_ids에 AZ 두 개 이상의 서브넷을 적습니다.",
        ),
        Rule(
            "SPOF-EKS-02",
            "노드 하나로 돌 수 있는 EKS 노드 그룹 (min_size < 2)",
            "medium",
            (
                "AWS EKS Best Practices (reliability): run at least two replicas on nodes in different AZs",
                WA_MULTI_LOCATION,
            ),
            "scaling_config.min_size를 2 이상으로 둡니다.",
        ),
        Rule(
            "SPOF-EKS-03",
            "클러스터의 모든 노드가 스팟 (Spot) 용량",
            "medium",
            (
                "AWS EKS Best Practices (reliability): mix On-Demand and Spot; Spot can be reclaimed "
                "with a two-minute notice",
                WA_MULTI_LOCATION,
            ),
            "기본 용량은 온디맨드 노드 그룹으로 두거나 (또는 스팟 그룹에 인스턴스 형식을 여럿 두어 "
            "회수되는 풀 하나가 모든 노드를 가져가지 못하게) 합니다.",
        ),
        Rule(
            "SPOF-HOST-01",
            "요청 경로에 있는, 짝 (redundant peer)이 없는 온프레미스 구성 요소",
            "high",
            (WA_MULTI_LOCATION, WA_FAILOVER, WA_PUBLIC_LINK),
            "구성 요소를 To-Be v1의 관리형·다중 AZ 대응물로 옮깁니다 (위험 목록 참고).",
        ),
        Rule(
            "SPOF-AZ-01",
            "AZ 하나를 잃으면 요청 경로가 끊김",
            "high",
            (
                WA_MULTI_LOCATION,
                "AWS Well-Architected REL10-BP02: Automate recovery for components constrained to a single location",
            ),
            "요청 경로의 모든 단계에 두 번째 AZ의 용량을 둡니다.",
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
                f"{nat.address}는 {_azs(nat)}에 있고 AZ {len(azs)}개의 서브넷이 보내는 경로 대상입니다 ({parts})",
            )
        )
    return results


def check_rds(topology: Topology) -> list[Finding]:
    results = []
    for db in topology.of_kind("aws_db_instance"):
        multi_az = db.attrs.get("multi_az")
        if as_bool(multi_az) or db.attrs.get("replicate_source_db"):
            continue
        shown = "false" if multi_az is not None else "설정 안 됨 (기본값 false)"
        results.append(finding("SPOF-RDS-01", [db.address], f"multi_az = {shown}; 인스턴스는 {_azs(db)}에 있음"))
    return results


def check_asg(topology: Topology) -> list[Finding]:
    results = []
    for asg in topology.of_kind("aws_autoscaling_group"):
        if len(asg.azs) < 2:
            results.append(
                finding(
                    "SPOF-ASG-01",
                    [asg.address],
                    f"서브넷 {', '.join(asg.subnets) or '(없음)'}이 모든 인스턴스를 {_azs(asg)}에 둠",
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
            results.append(finding("SPOF-ALB-01", [lb.address], f"로드 밸런서의 서브넷이 {_azs(lb)}만 덮음"))
    nodes = {n.address: n for n in topology.nodes}
    for edge in topology.edges_of("traffic"):
        source, target = nodes.get(edge.source), nodes.get(edge.target)
        if source is None or target is None or source.role != "entry":
            continue
        groups = [nodes[v] for v in edge.via if v in nodes and "target_group" in nodes[v].kind]
        off = [g.address for g in groups if not health_check_enabled(g.attrs)]
        if off:
            results.append(finding("SPOF-ALB-02", off, f"{', '.join(off)}에 health_check.enabled = false"))
        if target.kind == "aws_autoscaling_group" and groups:
            check_type = literal(target.attrs.get("health_check_type"))
            if (check_type or "EC2").upper() != "ELB":
                shown = check_type or "설정 안 됨 (기본값 EC2)"
                results.append(
                    finding(
                        "SPOF-ALB-02",
                        [target.address],
                        f"{source.address}가 트래픽을 보내는데 health_check_type = {shown}: "
                        "ALB 헬스 체크에 실패한 인스턴스가 교체되지 않음",
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
                    f"캐시 노드 {count}개, 모두 {_azs(cache)}에 있음",
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
                    f"{cache.attrs.get('automatic_failover_enabled', '설정 안 됨 (기본값 false)')}"
                    f", 노드는 {_azs(cache)}에서 돌지만",
                )
            )
    return results


def check_lone_instances(topology: Topology) -> list[Finding]:
    path = request_path(topology)
    return [
        finding(
            "SPOF-EC2-01",
            [n.address],
            f"{n.address}는 요청 트래픽을 받고 {_azs(n)}에서 돌며, 교체해 줄 Auto Scaling 그룹이 없음",
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
                    f"{gateway}는 고객 게이트웨이 장비 {len(devices)}개 ({', '.join(devices)})에서 끝나는 "
                    f"VPN 연결 {len(connections)}개로 온프레미스에 닿음: 장비나 회선 하나의 장애가 "
                    "하이브리드 연결을 끊음",
                )
            )
    return results


def check_eks(topology: Topology) -> list[Finding]:
    results = []
    for group in topology.of_kind("aws_eks_node_group"):
        if len(group.azs) < 2:
            results.append(finding("SPOF-EKS-01", [group.address], f"subnet_ids가 {_azs(group)}만 덮음"))
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
                    f"모든 노드 그룹이 capacity_type = SPOT, 인스턴스 형식 {', '.join(types) or '설정 안 됨'}",
                )
            )
    return results


ONPREM_REMEDIATION: Mapping[str, str] = {
    "onprem_server": "To-Be v1: ALB 뒤, 두 AZ에 걸친 Auto Scaling 그룹에서 서비스 (최소 2, ELB 헬스 체크).",
    "onprem_database": "To-Be v1: RDS PostgreSQL 다중 AZ (동기 대기 인스턴스, 자동 장애 조치, 백업).",
    "onprem_cache": "To-Be v1: ElastiCache Redis 복제 그룹, 다른 AZ의 복제본, 자동 장애 조치.",
    "onprem_uplink": "To-Be v1: 두 AZ의 ALB를 통한 공개 입구; 프라이빗 연결은 터널 두 개의 사이트 간 VPN "
    "(두 번째 회선이나 고객 게이트웨이가 마지막 단일 경로를 없앰).",
    "onprem_firewall": "To-Be v1: 계층별 보안 그룹과 ALB가 단일 경계 장비를 대신함.",
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
            f"{n.label}: replicas = {n.attrs.get('replicas', 1)}, 역할 {n.role}, 요청 경로에 있음",
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
