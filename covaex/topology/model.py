"""Terraform JSON -> `Topology`: the one entry point, pure (no I/O).

    doc = read_terraform(path)                 # covaex.topology.terraform (I/O)
    topo = build_topology(doc, name="tobe-v1-prod")

``topo.nodes`` holds every resource and data source (unknown types become
generic nodes with role ``other``); each node knows its subnets, AZs, tier and
VPC, which gives the containment VPC > AZ > subnet tier. ``topo.edges`` holds
only what carries traffic:

* ``internet -> IGW -> load balancer`` on the listener ports, then
  ``load balancer -> ASG/instance`` through listener -> target group (-> ASG
  ``target_group_arns``, ``aws_autoscaling_attachment`` or
  ``aws_lb_target_group_attachment``), labelled with the target group port;
* security-group rules between SGs, drawn between the SGs' members (an ASG is
  a member through its launch template), labelled with the ports;
* route-table routes from each associated subnet to its NAT/IGW/VGW/TGW;
* VPN connections between a VPN/transit gateway and a customer gateway.

``topo.subnets``, ``topo.route_tables`` and ``topo.sg_rules`` are the CIDR
plan, the route tables and the SG matrix as data (see `entities`); the docs
render them as tables. Re-exported here for callers: `Node`, `Edge`,
`Subnet`, `Route`, `RouteTable`, `SgRule`, `Topology`, `INTERNET`.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from covaex.topology.entities import (
    INTERNET,
    Edge,
    Node,
    Role,
    Route,
    RouteTable,
    SgRule,
    Subnet,
    Topology,
)
from covaex.topology.network import health_check_enabled, route_tables, sg_rules, subnet_table, tier_from_tags_or_name
from covaex.topology.tfjson import (
    RawResource,
    TerraformDoc,
    as_bool,
    as_int,
    as_list,
    az_name,
    block,
    blocks,
    iter_resources,
    literal,
    references,
)

__all__ = [
    "INTERNET",
    "Edge",
    "Node",
    "Route",
    "RouteTable",
    "SgRule",
    "Subnet",
    "Topology",
    "build_topology",
    "health_check_enabled",
]

ROLES: Mapping[str, Role] = {
    "aws_lb": "entry",
    "aws_alb": "entry",
    "aws_elb": "entry",
    "aws_autoscaling_group": "app",
    "aws_instance": "app",
    "aws_eks_node_group": "app",
    "aws_ecs_service": "app",
    "aws_db_instance": "data",
    "aws_rds_cluster": "data",
    "aws_elasticache_replication_group": "data",
    "aws_elasticache_cluster": "data",
    "aws_internet_gateway": "edge",
    "aws_vpc": "network",
    "aws_subnet": "network",
    "aws_nat_gateway": "network",
    "aws_route_table": "network",
    "aws_vpn_gateway": "network",
    "aws_customer_gateway": "network",
    "aws_vpn_connection": "network",
    "aws_ec2_transit_gateway": "network",
    "aws_eks_cluster": "network",
    "aws_security_group": "network",
}
_SUBNET_GROUPS = ("aws_db_subnet_group", "aws_elasticache_subnet_group")
_LAUNCH_TEMPLATES = ("aws_launch_template", "aws_launch_configuration")


def build_topology(doc: Mapping[str, Any] | TerraformDoc, *, name: str | None = None) -> Topology:
    """The topology of one Terraform JSON document, or of an environment's union of stacks (`union_stacks`)."""
    typed = doc if isinstance(doc, TerraformDoc) else TerraformDoc(name or "terraform", doc)
    name = name or typed.stack
    raws = list(iter_resources(typed.raw))
    known = frozenset(r.address for r in raws)
    by_address = {r.address: r for r in raws}
    tables = route_tables(raws, known)
    subnets = subnet_table(raws, known, tables)
    subnet_of = {s.address: s for s in subnets}

    nodes = [replace(_node(raw, known, by_address, subnet_of), stack=typed.stack_of(raw.address)) for raw in raws]
    node_of = {n.address: n for n in nodes}
    members = _sg_members(raws, known, by_address)
    sg_tiers = {
        r.address: tier_from_tags_or_name(_tags(r.config), "")
        or _member_tier(members.get(r.address, ()), node_of)
        or tier_from_tags_or_name({}, r.name)
        for r in raws
        if r.type == "aws_security_group"
    }
    # EKS creates a cluster security group on every node's ENIs; rules naming it reach the node groups.
    for cluster in (r for r in raws if r.type == "aws_eks_cluster"):
        sg_tiers[cluster.address] = "eks"
    rules = tuple(replace(r, stack=typed.stack_of(r.address.split("#")[0])) for r in sg_rules(raws, known, sg_tiers))
    ingress, ingress_edges = _controller_ingress(raws, node_of, subnets)
    nodes += ingress
    edges = _merge(
        [
            *_listener_edges(raws, known, by_address, node_of),
            *_sg_edges(rules, members),
            *_route_edges(tables),
            *_vpn_edges(raws, known),
            *_control_edges(raws, known),
            *ingress_edges,
            *_image_pull_edges(raws),
        ]
    )
    nodes.append(Node(INTERNET, "internet", "users", "사용자 (인터넷)", "users"))
    return Topology(
        name=name,
        origin="terraform",
        nodes=tuple(sorted(nodes, key=lambda n: n.address)),
        edges=edges,
        subnets=subnets,
        route_tables=tables,
        sg_rules=rules,
    )


def _tags(config: Mapping[str, Any]) -> Mapping[str, Any]:
    tags = config.get("tags")
    return tags if isinstance(tags, Mapping) else {}


def _node(
    raw: RawResource, known: frozenset[str], by_address: Mapping[str, RawResource], subnet_of: Mapping[str, Subnet]
) -> Node:
    refs = references(raw.config, known)
    subnet_refs = {a for a in refs if a in subnet_of}
    for group in (a for a in refs if a.split(".")[0] in _SUBNET_GROUPS):
        subnet_refs |= {a for a in references(by_address[group].config, known) if a in subnet_of}
    if raw.type == "aws_subnet":
        subnet_refs = {raw.address}
    placed = sorted(subnet_refs)
    subnet_azs = sorted({az for s in placed if (az := subnet_of[s].az)})
    tiers = sorted({tier for s in placed if (tier := subnet_of[s].tier)})
    looked_up = {a for a in refs if a.startswith(("aws_vpc.", "data.aws_vpc."))}
    vpcs = sorted({vpc for s in placed if (vpc := subnet_of[s].vpc)} | looked_up)
    if raw.type == "aws_vpc":
        vpcs = [raw.address]
    tier = tier_from_tags_or_name(_tags(raw.config), "") or (tiers[0] if len(tiers) == 1 else None)
    return Node(
        address=raw.address,
        kind=raw.type,
        name=raw.name,
        label=raw.name,
        role="other" if raw.is_data else ROLES.get(raw.type, "other"),
        azs=_capacity_azs(raw, subnet_azs),
        subnets=tuple(placed),
        tier=tier,
        vpc=vpcs[0] if vpcs else None,
        attrs=raw.config,
        is_data=raw.is_data,
    )


def _capacity_azs(raw: RawResource, subnet_azs: list[str]) -> tuple[str, ...]:
    """The AZs holding capacity of the resource: where a loss of the AZ hurts it."""
    special = _CAPACITY.get(raw.type)
    if special is not None:
        return special(raw.config, subnet_azs)
    explicit = az_name(raw.config.get("availability_zone"))
    if explicit and not subnet_azs:
        return (explicit,)
    if raw.type in ("aws_vpc", "aws_route_table", "aws_security_group"):
        return ()
    return tuple(subnet_azs)


def _azs_list(value: Any) -> list[str]:
    return [a for a in (az_name(v) for v in as_list(value)) if a]


def _rds_azs(config: Mapping[str, Any], subnet_azs: list[str]) -> tuple[str, ...]:
    # Single-AZ RDS lives in one AZ of its subnet group: the explicit one, else the first.
    if as_bool(config.get("multi_az")):
        return tuple(subnet_azs)
    explicit = az_name(config.get("availability_zone"))
    return (explicit,) if explicit else tuple(subnet_azs[:1])


def _replication_group_azs(config: Mapping[str, Any], subnet_azs: list[str]) -> tuple[str, ...]:
    count = as_int(config.get("num_cache_clusters")) or as_int(config.get("number_cache_clusters"))
    if count is None:
        count = (as_int(config.get("replicas_per_node_group"), 0) or 0) + 1
    pool = _azs_list(config.get("preferred_cache_cluster_azs")) or subnet_azs
    return tuple(sorted(set(pool[:count])))


def _cache_cluster_azs(config: Mapping[str, Any], subnet_azs: list[str]) -> tuple[str, ...]:
    explicit = az_name(config.get("availability_zone"))
    count = as_int(config.get("num_cache_nodes"), 1) or 1
    pool = _azs_list(config.get("preferred_availability_zones")) or ([explicit] if explicit else subnet_azs)
    return tuple(sorted(set(pool[:count])))


def _nat_azs(config: Mapping[str, Any], subnet_azs: list[str]) -> tuple[str, ...]:
    # A regional NAT gateway (availability_mode = "regional") spans the VPC's AZs itself.
    return () if literal(config.get("availability_mode")) == "regional" else tuple(subnet_azs)


def _asg_azs(config: Mapping[str, Any], subnet_azs: list[str]) -> tuple[str, ...]:
    return tuple(subnet_azs) or tuple(sorted(_azs_list(config.get("availability_zones"))))


_CAPACITY: Mapping[str, Callable[[Mapping[str, Any], list[str]], tuple[str, ...]]] = {
    "aws_db_instance": _rds_azs,
    "aws_elasticache_replication_group": _replication_group_azs,
    "aws_elasticache_cluster": _cache_cluster_azs,
    "aws_nat_gateway": _nat_azs,
    "aws_autoscaling_group": _asg_azs,
}


def _sg_members(
    raws: Sequence[RawResource], known: frozenset[str], by_address: Mapping[str, RawResource]
) -> dict[str, tuple[str, ...]]:
    """SG address -> the nodes it protects (ASGs and node groups through their launch templates)."""
    sgs = {r.address for r in raws if r.type == "aws_security_group"}
    members: dict[str, set[str]] = defaultdict(set)
    for raw in raws:
        role = ROLES.get(raw.type)
        if raw.is_data or role not in ("entry", "app", "data"):
            continue
        refs = references(raw.config, known)
        for template in sorted(a for a in refs if a.split(".")[0] in _LAUNCH_TEMPLATES):
            refs |= references(by_address[template].config, known)
        if raw.type == "aws_eks_node_group":
            cluster = next((a for a in sorted(refs) if a.startswith("aws_eks_cluster.")), None)
            if cluster:
                refs |= references(block(by_address[cluster].config.get("vpc_config")), known)
                members[cluster].add(raw.address)  # the cluster security group EKS puts on every node
        for sg in refs & sgs:
            members[sg].add(raw.address)
    return {sg: tuple(sorted(m)) for sg, m in members.items()}


def _member_tier(members: Sequence[str], node_of: Mapping[str, Node]) -> str | None:
    tiers = sorted({tier for m in members if (tier := node_of[m].tier)})
    return tiers[0] if tiers else None


def _targets_by_group(
    raws: Sequence[RawResource], known: frozenset[str], nodes: Mapping[str, Node]
) -> dict[str, set[str]]:
    """Target group -> the ASGs and instances registered in it."""
    targets: dict[str, set[str]] = defaultdict(set)
    for raw in raws:
        if raw.type == "aws_autoscaling_group":
            for tg in references(raw.config.get("target_group_arns"), known):
                targets[tg].add(raw.address)
        elif raw.type in ("aws_autoscaling_attachment", "aws_autoscaling_traffic_source_attachment"):
            asgs = references(raw.config.get("autoscaling_group_name"), known)
            groups = references([raw.config.get("lb_target_group_arn"), raw.config.get("traffic_source")], known)
            for tg in groups:
                targets[tg] |= asgs
        elif raw.type == "aws_lb_target_group_attachment":
            registered = {a for a in references(raw.config.get("target_id"), known) if a in nodes}
            for tg in references(raw.config.get("target_group_arn"), known):
                targets[tg] |= registered
    return targets


def _port_label(config: Mapping[str, Any]) -> str:
    port = as_int(config.get("port"))
    proto = str(literal(config.get("protocol")) or "").lower()
    if port is None:
        return proto or "?"
    return f"{port}/{proto}" if proto else str(port)


def _listener_edges(
    raws: Sequence[RawResource],
    known: frozenset[str],
    by_address: Mapping[str, RawResource],
    nodes: Mapping[str, Node],
) -> list[Edge]:
    """internet -> IGW -> LB on listener ports; LB -> targets through target groups."""
    targets = _targets_by_group(raws, known, nodes)
    listeners: dict[str, list[tuple[str, str]]] = defaultdict(list)  # lb -> (listener, port label)
    edges: list[Edge] = []
    for raw in raws:
        if raw.type not in ("aws_lb_listener", "aws_alb_listener", "aws_lb_listener_rule"):
            continue
        listener = raw.address
        if raw.type == "aws_lb_listener_rule":
            listener = min(references(raw.config.get("listener_arn"), known), default="")
        lb = min(references(by_address[listener].config.get("load_balancer_arn"), known), default="")
        if not lb:
            continue
        if raw.type != "aws_lb_listener_rule":
            listeners[lb].append((listener, _port_label(raw.config)))
        actions = [*blocks(raw.config.get("default_action")), *blocks(raw.config.get("action"))]
        for tg in sorted({t for a in actions for t in references(a, known) if "target_group" in t}):
            label = _port_label(by_address[tg].config)
            edges += [Edge(lb, t, "traffic", (label,), (raw.address, tg)) for t in sorted(targets.get(tg, ()))]
    for lb, ports in sorted(listeners.items()):
        node = nodes.get(lb)
        if node is None or node.attrs.get("internal") is True:
            continue
        labels = tuple(sorted({p for _, p in ports}))
        via = tuple(sorted({listener for listener, _ in ports}))
        igw = min(
            (n.address for n in nodes.values() if n.kind == "aws_internet_gateway" and n.vpc == node.vpc), default=None
        )
        hops = [INTERNET, igw, lb] if igw else [INTERNET, lb]
        edges += [Edge(a, b, "traffic", labels, via) for a, b in itertools.pairwise(hops)]
    return edges


def _sg_edges(rules: Sequence[SgRule], members: Mapping[str, Sequence[str]]) -> list[Edge]:
    edges = []
    for rule in rules:
        for source in members.get(rule.source, ()):
            for target in members.get(rule.destination, ()):
                if source != target:
                    label = rule.ports if rule.protocol in ("tcp", "all") else f"{rule.ports}/{rule.protocol}"
                    edges.append(Edge(source, target, "traffic", (label,), (rule.address,)))
    return edges


def _route_edges(tables: Sequence[RouteTable]) -> list[Edge]:
    return [
        Edge(subnet, route.target, "route", (route.destination,), (table.address,))
        for table in tables
        for route in table.routes
        if route.target != "local"
        for subnet in table.subnets
    ]


def _vpn_edges(raws: Sequence[RawResource], known: frozenset[str]) -> list[Edge]:
    edges = []
    for raw in raws:
        if raw.type != "aws_vpn_connection":
            continue
        gateway = sorted(references([raw.config.get("vpn_gateway_id"), raw.config.get("transit_gateway_id")], known))
        customer = sorted(references(raw.config.get("customer_gateway_id"), known))
        if gateway and customer:
            edges.append(Edge(gateway[0], customer[0], "vpn", ("IPsec, 터널 2개",), (raw.address,)))
    return edges


def _control_edges(raws: Sequence[RawResource], known: frozenset[str]) -> list[Edge]:
    """EKS cluster -> each node group it manages."""
    return [
        Edge(cluster, raw.address, "control", ("노드 (nodes)",), ())
        for raw in raws
        if raw.type == "aws_eks_node_group"
        for cluster in sorted(references(raw.config.get("cluster_name"), known))
        if cluster.startswith("aws_eks_cluster.")
    ]


CONTROLLER_CHART = "aws-load-balancer-controller"


def _controller_ingress(
    raws: Sequence[RawResource], node_of: Mapping[str, Node], subnets: Sequence[Subnet]
) -> tuple[list[Node], list[Edge]]:
    """The ALB the AWS Load Balancer Controller creates for the Ingress: no resource declares it, yet it is the
    entry of Platform v2. It sits in the public subnets of the node groups' VPC and sends to the node groups.
    Drawn only when those subnets are in the model (an environment's union), never guessed."""
    groups = [node_of[r.address] for r in raws if r.type == "aws_eks_node_group"]
    nodes: list[Node] = []
    edges: list[Edge] = []
    for raw in raws:
        if raw.type != "helm_release" or CONTROLLER_CHART not in str(raw.config.get("chart")):
            continue
        vpc = next((g.vpc for g in groups if g.vpc), None)
        public = [s for s in subnets if s.public and (vpc is None or s.vpc == vpc)]
        if not public:
            continue  # the stack alone: where the controller puts the ALB is in the network stack it runs in
        address = f"{raw.address}#ingress_alb"
        nodes.append(
            Node(
                address=address,
                kind="aws_lb",
                name="ingress (컨트롤러)",
                label="인그레스용 ALB (컨트롤러가 생성)",
                role="entry",
                azs=tuple(sorted({s.az for s in public if s.az})),
                subnets=tuple(s.address for s in public),
                tier="public",
                vpc=vpc,
                attrs={"load_balancer_type": "application", "internal": False, "created_by": raw.address},
            )
        )
        igw = min(
            (n.address for n in node_of.values() if n.kind == "aws_internet_gateway" and n.vpc == vpc), default=None
        )
        hops = [INTERNET, igw, address] if igw else [INTERNET, address]
        edges += [Edge(a, b, "traffic", ("443/https",), (raw.address,)) for a, b in itertools.pairwise(hops)]
        edges += [Edge(address, g.address, "traffic", ("파드 (pods)",), (raw.address,)) for g in groups]
    return nodes, edges


def _image_pull_edges(raws: Sequence[RawResource]) -> list[Edge]:
    """ECR repository -> node groups: where the nodes pull the app image from (when both are in the model)."""
    repos = [r.address for r in raws if r.type == "aws_ecr_repository"]
    groups = [r.address for r in raws if r.type == "aws_eks_node_group"]
    return [Edge(repo, group, "deploy", ("이미지 풀 (image pull)",), ()) for repo in repos for group in groups]


def _merge(edges: Sequence[Edge]) -> tuple[Edge, ...]:
    """One edge per (source, target, kind), ports and proofs united and sorted."""
    grouped: dict[tuple[str, str, str], tuple[set[str], set[str]]] = {}
    for edge in edges:
        ports, via = grouped.setdefault((edge.source, edge.target, edge.kind), (set(), set()))
        ports.update(edge.ports)
        via.update(edge.via)
    return tuple(
        Edge(source, target, kind, _dedupe_ports(ports), tuple(sorted(via)))  # type: ignore[arg-type]
        for (source, target, kind), (ports, via) in sorted(grouped.items())
    )


def _dedupe_ports(ports: set[str]) -> tuple[str, ...]:
    """Sorted ports; a bare ``8000`` from an SG rule yields to the listener's ``8000/http``."""
    kept = {p for p in ports if not (p.isdigit() and any(q.startswith(f"{p}/") for q in ports))}
    return tuple(sorted(kept, key=_port_key))


def _port_key(port: str) -> tuple[int, str]:
    head = port.split("/", maxsplit=1)[0].split("-", maxsplit=1)[0]
    return (int(head), port) if head.isdigit() else (1 << 20, port)
