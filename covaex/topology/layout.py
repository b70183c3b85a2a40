"""What a diagram shows, as plain data: clusters, drawn nodes, edges (pure).

`build_scene(topology, title=..., findings=...)` decides everything visual
except pixels: which resources are drawn (architecture, not IAM/alarms/
associations), where (VPC or site > AZ or zone > subnet tier, AZs sorted so
they sit side by side left to right), how a multi-AZ resource appears (one copy
per AZ: ALB nodes, ASG instances, RDS primary/standby, cache primary/replica;
regional gateways and the EKS control plane once, at VPC level), which edges connect which
copies (same-AZ pairs when both sides have copies), their port labels and which
nodes carry a SPOF mark (the rule ids of their findings). `render` turns a
`Scene` into SVG/PNG with the diagrams library; tests read scenes directly.
Every id is derived from Terraform addresses, so output is stable.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from covaex.topology.appearance import copy_role, icon_for, is_drawn, node_label
from covaex.topology.entities import INTERNET, Edge, Node, Topology
from covaex.topology.spof_rules import Finding

TIER_ORDER = ("edge", "public", "app", "data", "ops")
# Diagram words are Korean (the talk's language); AWS terms stay in parentheses.
TIER_LABELS = {
    "edge": "경계 (edge)",
    "public": "퍼블릭 서브넷 (public)",
    "app": "앱 서브넷 (private)",
    "data": "데이터 서브넷 (private)",
    "ops": "운영 (ops)",
}
ONPREM_TIER_LABELS = {"edge": "경계 (edge)", "app": "앱 (web/WAS)", "data": "데이터 (data)", "ops": "운영 (ops)"}

_SAFE = re.compile(r"[^A-Za-z0-9_]+")
REGIONAL = "regional"  # group of resources outside any VPC (S3, DynamoDB, ECR)


@dataclass(frozen=True)
class DrawNode:
    id: str
    label: str
    icon: str
    address: str
    spof_rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class DrawCluster:
    id: str
    label: str
    style: str  # "vpc" | "site" | "az" | "tier" | "onprem" | "regional"
    nodes: tuple[DrawNode, ...] = ()
    children: tuple[DrawCluster, ...] = ()


@dataclass(frozen=True)
class DrawEdge:
    source: str
    target: str
    label: str
    style: str  # "traffic" | "route" | "hybrid" | "vpn" | "control" | "deploy" | "order"
    ranks: bool = True  # False: drawn, but does not decide which column (rank) its ends go in


@dataclass(frozen=True)
class Scene:
    """``direction``: ``TB`` when AZ columns must stand side by side (AWS), ``LR``
    for a single-site chain (As-Is), which then fits a 16:9 slide. Edges with
    style ``order`` are invisible and only steer the layout. A node with an
    empty ``icon`` is an invisible anchor whose ``order`` edges must stay in
    input order left to right (graphviz ``ordering=out``): it keeps the AZ
    columns sorted, which graphviz's crossing minimisation would otherwise
    shuffle.
    """

    title: str
    nodes: tuple[DrawNode, ...]
    clusters: tuple[DrawCluster, ...]
    edges: tuple[DrawEdge, ...]
    direction: str = "TB"

    def all_nodes(self) -> list[DrawNode]:
        found = list(self.nodes)
        todo = list(self.clusters)
        while todo:
            cluster = todo.pop()
            found += cluster.nodes
            todo += cluster.children
        return sorted((n for n in found if n.icon), key=lambda n: n.id)


def safe_id(text: str) -> str:
    return _SAFE.sub("_", text).strip("_")


def _spans_azs_once(node: Node) -> bool:
    """Drawn once at VPC level although placed in AZs: the EKS control plane (AWS runs it).

    Load balancers are drawn per AZ, like the ALB node AWS runs in each
    enabled subnet: the AZ columns then stay symmetric and a one-AZ ALB shows.
    """
    return node.kind == "aws_eks_cluster"


@dataclass
class _Place:
    group: str | None  # VPC address or site, None = top level
    az: str | None
    tier: str | None


def build_scene(topology: Topology, *, title: str, findings: Sequence[Finding]) -> Scene:
    """The drawable scene of a topology; `findings` decide the SPOF marks."""
    rules_of: dict[str, set[str]] = defaultdict(set)
    for f in findings:
        if f.severity in ("high", "medium"):
            for r in f.resources:
                rules_of[r].add(f.id)
    users_reach = any(e.source == INTERNET for e in topology.edges)
    drawn = [n for n in topology.nodes if is_drawn(n, topology.origin) and (n.address != INTERNET or users_reach)]
    copies: dict[str, list[tuple[DrawNode, _Place]]] = {}
    for node in drawn:
        copies[node.address] = _copies(node, topology, tuple(sorted(rules_of.get(node.address, ()))))
    copies.update(_empty_subnets(topology, [p for cs in copies.values() for _, p in cs]))
    clusters = _clusters(topology, [c for cs in copies.values() for c in cs])
    top = tuple(d for cs in copies.values() for d, p in cs if p.group is None and p.az is None)
    edges = _edges(topology, copies) + _tier_order(clusters) + _helm_edges(topology, copies)
    return Scene(
        title=title,
        nodes=tuple(sorted(top, key=lambda d: d.id)),
        clusters=clusters,
        edges=edges,
        direction="TB" if topology.origin == "terraform" else "LR",
    )


def _helm_edges(topology: Topology, copies: Mapping[str, list[tuple[DrawNode, _Place]]]) -> tuple[DrawEdge, ...]:
    """Helm releases point at the one EKS cluster they are installed on (the provider, not a reference, says so)."""
    clusters = [n.address for n in topology.of_kind("aws_eks_cluster") if n.address in copies]
    if len(clusters) != 1:
        return ()
    (cluster, _), *_ = copies[clusters[0]]
    return tuple(
        DrawEdge(release.id, cluster.id, "helm", "control")
        for n in topology.of_kind("helm_release")
        for release, _ in copies.get(n.address, [])
    )


def _tier_order(clusters: Sequence[DrawCluster]) -> tuple[DrawEdge, ...]:
    """Invisible edges public -> app -> data inside every AZ, so tiers stack in request order."""
    result = []
    todo = list(clusters)
    while todo:
        cluster = todo.pop(0)
        todo += cluster.children
        tiers = [c for c in cluster.children if c.style == "tier" and c.nodes]
        result += [DrawEdge(a.nodes[0].id, b.nodes[0].id, "", "order") for a, b in itertools.pairwise(tiers)]
        # The IGW and the AZ anchor sit above the AZ columns and lead into the first tier of each AZ.
        leaders = [n for n in cluster.nodes if n.address.startswith("aws_internet_gateway.") or not n.icon]
        firsts = [
            tier.nodes[0] for az in cluster.children if az.style == "az" for tier in az.children[:1] if tier.nodes
        ]
        result += [DrawEdge(g.id, f.id, "", "order") for g in leaders for f in firsts]
    return tuple(result)


def _empty_subnets(topology: Topology, places: Sequence[_Place]) -> dict[str, list[tuple[DrawNode, _Place]]]:
    """A subnet icon where a subnet holds nothing drawn, so the CIDR plan and AZ symmetry stay visible."""
    taken = {(p.group, p.az, p.tier) for p in places}
    result = {}
    for subnet in topology.subnets:
        if subnet.vpc is None or subnet.az is None or (subnet.vpc, subnet.az, subnet.tier) in taken:
            continue
        taken.add((subnet.vpc, subnet.az, subnet.tier))
        icon = "aws.network.PublicSubnet" if subnet.public else "aws.network.PrivateSubnet"
        draw = DrawNode(safe_id(subnet.address), f"서브넷 {subnet.address.split('.')[-1]}", icon, subnet.address)
        result[subnet.address] = [(draw, _Place(subnet.vpc, subnet.az, subnet.tier))]
    return result


def _copies(node: Node, topology: Topology, rules: tuple[str, ...]) -> list[tuple[DrawNode, _Place]]:
    group = node.vpc or (topology.site if topology.origin == "asis" and node.kind != "internet" else None)
    if node.kind == "aws_customer_gateway":
        group = "on-prem"
    elif node.kind == "helm_release":
        # Helm releases run on the cluster: draw them in the VPC of the (single) EKS cluster.
        group = min((n.vpc for n in topology.of_kind("aws_eks_cluster") if n.vpc), default=REGIONAL)
    elif group is None and node.kind != "internet":
        group = REGIONAL
    icon = icon_for(node)
    base = safe_id(node.address)
    if not node.azs or _spans_azs_once(node) or group is None:
        spans = node.azs if _spans_azs_once(node) and len(node.azs) > 1 else ()
        label = node_label(node, topology, "", spans)
        place = _Place(group, None, None if group is None else node.tier if topology.origin == "asis" else None)
        return [(DrawNode(base, label, icon, node.address, rules), place)]
    result = []
    multi = len(node.azs) > 1
    for i, az in enumerate(node.azs):
        label = node_label(node, topology, copy_role(node, i) if multi else "", ())
        ident = f"{base}__{safe_id(az)}" if multi else base
        result.append((DrawNode(ident, label, icon, node.address, rules), _Place(group, az, node.tier)))
    return result


def _clusters(topology: Topology, placed: Sequence[tuple[DrawNode, _Place]]) -> tuple[DrawCluster, ...]:
    tree: dict[str, dict[str | None, dict[str | None, list[DrawNode]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    for draw, place in placed:
        if place.group is not None:
            tree[place.group][place.az][place.tier].append(draw)
    cidrs: dict[tuple[str | None, str | None, str | None], list[str]] = defaultdict(list)
    for subnet in topology.subnets:
        if subnet.cidr:
            cidrs[(subnet.vpc, subnet.az, subnet.tier)].append(subnet.cidr)
    return tuple(_group_cluster(topology, group, tree[group], cidrs) for group in sorted(tree))


def _group_cluster(
    topology: Topology,
    group: str,
    azs: Mapping[str | None, Mapping[str | None, list[DrawNode]]],
    cidrs: Mapping[tuple[str | None, str | None, str | None], list[str]],
) -> DrawCluster:
    """A VPC (or site) with its loose nodes, its zone-less tiers and one cluster per AZ (or zone)."""
    gid = safe_id(group)
    children = []
    for az in sorted(a for a in azs if a is not None):
        aid = f"{gid}__{safe_id(az)}"
        label = f"AZ {az}" if topology.origin == "terraform" else az
        tiers = {tier: (nodes, sorted(cidrs.get((group, az, tier), ()))) for tier, nodes in azs[az].items()}
        children.append(DrawCluster(aid, label, "az", children=_tier_clusters(aid, tiers, topology.origin)))
    loose = azs.get(None, {})
    direct = tuple(sorted(loose.get(None, ()), key=lambda n: n.id))
    if len(children) > 1:
        direct += (DrawNode(f"{gid}__az_order", "", "", ""),)
    zoneless = _tier_clusters(gid, {t: (ns, []) for t, ns in loose.items() if t is not None}, topology.origin)
    if group == REGIONAL:
        return DrawCluster(gid, "AWS 리전 서비스 (regional)", "regional", direct, zoneless)
    if group == "on-prem":
        return DrawCluster(gid, "온프레미스 (IDC)", "onprem", direct, (*zoneless, *children))
    if group.startswith("aws_vpc."):
        return DrawCluster(gid, f"VPC {group.removeprefix('aws_vpc.')}", "vpc", direct, (*zoneless, *children))
    if group.startswith("data.aws_vpc."):
        label = f"VPC {group.removeprefix('data.aws_vpc.')} (기존 VPC 조회)"
        return DrawCluster(gid, label, "vpc", direct, (*zoneless, *children))
    return DrawCluster(gid, group, "site", direct, (*zoneless, *children))


def _tier_clusters(
    parent: str, tiers: Mapping[str | None, tuple[Sequence[DrawNode], Sequence[str]]], origin: str
) -> tuple[DrawCluster, ...]:
    ordered = sorted(tiers.items(), key=lambda kv: _tier_rank(kv[0]))
    return tuple(_tier_cluster(parent, tier, nodes, cidrs, origin) for tier, (nodes, cidrs) in ordered)


def _tier_rank(tier: str | None) -> tuple[int, str]:
    return (TIER_ORDER.index(tier), tier) if tier in TIER_ORDER else (len(TIER_ORDER), tier or "")


def _tier_cluster(
    parent: str, tier: str | None, nodes: Sequence[DrawNode], cidrs: Sequence[str], origin: str
) -> DrawCluster:
    name = tier or "other"
    labels = TIER_LABELS if origin == "terraform" else ONPREM_TIER_LABELS
    label = labels.get(name, name) + "".join(f"\n{cidr}" for cidr in cidrs)
    return DrawCluster(f"{parent}__{safe_id(name)}", label, "tier", tuple(sorted(nodes, key=lambda n: n.id)))


def _pairs(a: list[tuple[DrawNode, _Place]], b: list[tuple[DrawNode, _Place]]) -> list[tuple[str, str]]:
    """Which copies to connect: same-AZ pairs when both sides are per-AZ, else every pair."""
    same = [(x.id, y.id) for x, px in a for y, py in b if px.az is not None and px.az == py.az]
    if same and len(a) > 1 and len(b) > 1:
        return same
    return [(x.id, y.id) for x, _ in a for y, _ in b]


def _edges(topology: Topology, copies: Mapping[str, list[tuple[DrawNode, _Place]]]) -> tuple[DrawEdge, ...]:
    result: set[DrawEdge] = set()
    subnet_az = {s.address: s.az for s in topology.subnets}
    for edge in topology.edges:
        if edge.kind == "route":
            result |= _route_edges(edge, topology, copies, subnet_az)
            continue
        source, target = copies.get(edge.source), copies.get(edge.target)
        if not source or not target:
            continue
        label = edge.label
        if edge.kind == "vpn":
            label = "\n".join([*(f"VPN {v.split('.')[-1]}" for v in edge.via), "터널 2개"])
        result |= {DrawEdge(s, t, label, edge.kind) for s, t in _pairs(source, target)}
    return tuple(sorted(result, key=lambda e: (e.style, e.source, e.target, e.label)))


def _route_edges(
    edge: Edge,
    topology: Topology,
    copies: Mapping[str, list[tuple[DrawNode, _Place]]],
    subnet_az: Mapping[str, str | None],
) -> set[DrawEdge]:
    """Routes from the app servers of that subnet: the default route to their NAT
    (or IGW), and the on-prem routes to the VPN/transit gateway (the hybrid path).

    NAT -> IGW routes are implied by the public tier and left out: drawn, they
    pull the AZ columns out of order and add nothing a reader needs.
    """
    targets = copies.get(edge.target)
    hybrid = edge.target.startswith(("aws_vpn_gateway.", "aws_ec2_transit_gateway."))
    if not targets or not (hybrid or "0.0.0.0/0" in edge.ports):
        return set()
    label = ("온프레미스 " + ", ".join(edge.ports)).replace("propagated", "(전파)") if hybrid else "0.0.0.0/0"
    found = set()
    for node in topology.nodes:
        if edge.source not in node.subnets or node.role != "app":
            continue
        for draw, place in copies.get(node.address, []):
            if place.az in (None, subnet_az.get(edge.source)):
                style = "hybrid" if hybrid else "route"
                found |= {DrawEdge(draw.id, t.id, label, style) for t, _ in targets if t.id != draw.id}
    return found


def slide_scene(scene: Scene) -> Scene:
    """The topology summarised for a 16:9 slide, read left to right (users, public, app, data).

    A full drawing has one copy of each resource per AZ, every subnet, every
    port: at 1280x720 its words would be a few pixels high. Here the AZ
    columns fold into one: each resource is drawn once, with ``× N AZ`` when
    it runs in several; tiers keep their name without CIDRs, requests lose
    their port labels, empty subnets and layout anchors go. What is left can
    be drawn large. The CIDRs, ports and AZ columns stay on the pages' full
    drawings.
    """
    keep: dict[str, str] = {}  # drawn copy id -> the id of the one node kept for its resource
    copies: dict[str, list[DrawNode]] = defaultdict(list)
    tiers_of: dict[str, dict[str, list[DrawNode]]] = {}

    def walk(c: DrawCluster, top: str, tier: str | None) -> None:
        name = c.id.rsplit("__", 1)[-1] if c.style == "tier" else tier
        for node in c.nodes:
            if node.icon and not node.label.startswith("서브넷 "):
                copies[node.address].append(node)
                tiers_of.setdefault(top, {}).setdefault(name or "", []).append(node)
        for child in c.children:
            walk(child, top, name)

    for c in scene.clusters:
        walk(c, c.id, None)
    # Resources of one kind in one tier fold too (the NAT gateway of each AZ, the Helm releases).
    first_of_kind: dict[tuple[str, str, str], DrawNode] = {}
    names: dict[str, list[str]] = defaultdict(list)
    for top, tiers in tiers_of.items():
        for tier, nodes in tiers.items():
            for node in nodes:
                lead = first_of_kind.setdefault((top, tier, node.icon + "|".join(node.spof_rules)), node)
                keep[node.id] = lead.id
                name = node.address.rsplit(".", 1)[-1].split("#")[-1]
                if name not in names[lead.id]:
                    names[lead.id].append(name)

    def folded(node: DrawNode) -> DrawNode:
        n = len({x.id for x in copies[node.address]})
        lines = [line for line in node.label.split("\n") if not line.startswith(("(기본", "(대기", "(복제본", "AZ "))]
        if len(names[node.id]) > 1:  # several resources of one kind: their names, one per line
            lines = [lines[0].split(" ", 1)[0], *names[node.id]]
        return dataclasses.replace(node, label="\n".join(lines + ([f"× {n} AZ"] if n > 1 else [])))

    clusters = []
    for c in scene.clusters:
        groups = tiers_of.get(c.id, {})
        order = [t for t in (*TIER_ORDER, "") if t in groups] + sorted(set(groups) - {*TIER_ORDER, ""})
        children = []
        for tier in order:
            if tier == "":
                continue
            kept = {n.address: folded(n) for n in groups[tier] if keep[n.id] == n.id}
            label = (TIER_LABELS if c.style != "site" else ONPREM_TIER_LABELS).get(tier, tier)
            children.append(DrawCluster(f"{c.id}__{safe_id(tier)}", label, "tier", tuple(kept.values())))
        loose = tuple(folded(n) for n in groups.get("", []) if keep[n.id] == n.id)
        clusters.append(dataclasses.replace(c, nodes=loose, children=tuple(children)))
    edges: dict[tuple[str, str, str], DrawEdge] = {}
    for e in scene.edges:
        if e.style == "order":
            continue
        source, target = keep.get(e.source, e.source), keep.get(e.target, e.target)
        if source != target:
            label = e.label if e.style == "vpn" else ""
            edges.setdefault((source, target, e.style), DrawEdge(source, target, label, e.style))
    # Landscape: on-prem and the regional services would hang below or above the VPC; their edges stop
    # deciding columns, and invisible edges put them in a column after the data tier instead.
    outside = {n.id for c in clusters if c.style in ("onprem", "regional") for n in _all(c)}
    lasts = [n.id for c in clusters for t in c.children if t.id.endswith("__data") for n in t.nodes]
    drawn = [dataclasses.replace(e, ranks=False) if {e.source, e.target} & outside else e for e in edges.values()]
    drawn += [DrawEdge(a, b, "", "order") for a in lasts[:1] for b in sorted(outside)]
    loose_top = tuple(n for n in scene.nodes if n.icon)
    return Scene(scene.title, loose_top, tuple(clusters), tuple(drawn), direction="LR")


def _all(cluster: DrawCluster) -> list[DrawNode]:
    return [*cluster.nodes, *(n for c in cluster.children for n in _all(c))]


__all__ = ["INTERNET", "DrawCluster", "DrawEdge", "DrawNode", "Scene", "build_scene", "slide_scene"]
