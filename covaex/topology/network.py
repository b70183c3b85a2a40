"""Network facts from Terraform JSON: subnets, route tables, security-group rules.

Pure functions over `tfjson.RawResource` lists; `model.build_topology` calls
them and the docs read their results from the `Topology` (CIDR plan, route
tables, SG matrix).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from covaex.topology.entities import Route, RouteTable, SgRule, Subnet
from covaex.topology.tfjson import RawResource, as_bool, as_int, as_list, az_name, block, blocks, literal, references

ROUTE_TARGET_KEYS = (
    "gateway_id",
    "nat_gateway_id",
    "transit_gateway_id",
    "vpc_peering_connection_id",
    "network_interface_id",
    "vpc_endpoint_id",
    "egress_only_gateway_id",
    "local_gateway_id",
    "carrier_gateway_id",
)
_DIRECTIONS: tuple[Literal["ingress", "egress"], ...] = ("ingress", "egress")
_DEST_KEYS = ("cidr_block", "destination_cidr_block", "ipv6_cidr_block", "destination_ipv6_cidr_block")
_TIER_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("public", ("public", "pub", "alb", "lb", "dmz", "ingress")),
    ("data", ("data", "db", "database", "rds", "cache", "redis", "postgres")),
    ("app", ("app", "private", "priv", "was", "compute", "node", "eks", "web")),
)


def tier_from_tags_or_name(tags: Mapping[str, Any], name: str) -> str | None:
    """The ``Tier`` tag when set, else a guess from words in the name."""
    for key in ("Tier", "tier"):
        value = literal(tags.get(key))
        if value:
            return value.lower()
    words = name.lower().replace("-", "_").split("_")
    for tier, hints in _TIER_WORDS:
        if any(word in hints for word in words):
            return tier
    return None


def _tags(config: Mapping[str, Any]) -> Mapping[str, Any]:
    tags = config.get("tags")
    return tags if isinstance(tags, Mapping) else {}


def _ref(value: Any, known: frozenset[str], prefix: str = "") -> str | None:
    """The single referenced address (optionally of one type), or None."""
    found = sorted(a for a in references(value, known) if a.startswith(prefix))
    return found[0] if found else None


def route_tables(raws: Sequence[RawResource], known: frozenset[str]) -> tuple[RouteTable, ...]:
    """Route tables with inline routes, ``aws_route`` resources, propagation and associations."""
    routes: dict[str, list[Route]] = {r.address: [] for r in raws if r.type == "aws_route_table"}
    subnets: dict[str, set[str]] = {a: set() for a in routes}

    def add(table: str | None, route: Mapping[str, Any]) -> None:
        if table not in routes:
            return
        destination = next((str(route[k]) for k in _DEST_KEYS if route.get(k)), "")
        destination = literal(destination) or destination or "?"
        for key in ROUTE_TARGET_KEYS:
            target = _ref(route.get(key), known)
            if target:
                routes[table].append(Route(destination, target, target.split(".")[-2]))
                return
            if literal(route.get(key)) == "local":
                routes[table].append(Route(destination, "local", "local"))
                return

    for raw in raws:
        if raw.type == "aws_route_table":
            for route in blocks(raw.config.get("route")):
                add(raw.address, route)
        elif raw.type == "aws_route":
            add(_ref(raw.config.get("route_table_id"), known, "aws_route_table."), raw.config)
        elif raw.type == "aws_vpn_gateway_route_propagation":
            table = _ref(raw.config.get("route_table_id"), known, "aws_route_table.")
            vgw = _ref(raw.config.get("vpn_gateway_id"), known)
            if table in routes and vgw:
                routes[table].append(Route("propagated", vgw, vgw.split(".")[-2]))
        elif raw.type == "aws_route_table_association":
            table = _ref(raw.config.get("route_table_id"), known, "aws_route_table.")
            subnet = _ref(raw.config.get("subnet_id"), known, "aws_subnet.")
            if table in subnets and subnet:
                subnets[table].add(subnet)
    by_address = {r.address: r for r in raws}
    return tuple(
        RouteTable(
            address=address,
            vpc=_ref(by_address[address].config.get("vpc_id"), known, "aws_vpc."),
            routes=tuple(sorted(set(routes[address]), key=lambda r: (r.destination, r.target))),
            subnets=tuple(sorted(subnets[address])),
        )
        for address in sorted(routes)
    )


def subnet_table(
    raws: Sequence[RawResource], known: frozenset[str], tables: Sequence[RouteTable]
) -> tuple[Subnet, ...]:
    """Every ``aws_subnet`` with its CIDR, AZ, tier and route table.

    Looked-up subnets (``data.aws_subnet``, as a stack built on another
    stack's network has them) count too: their AZ and CIDR come from the
    lookup arguments, their tier from a ``tag:Tier`` filter.
    """
    table_of = {s: t.address for t in tables for s in t.subnets}
    igw_tables = {t.address for t in tables if any(r.target_kind == "aws_internet_gateway" for r in t.routes)}
    result = []
    for raw in raws:
        if raw.type != "aws_subnet":
            continue
        table = table_of.get(raw.address)
        tags = {**_filter_tags(raw.config), **_tags(raw.config)}
        public = as_bool(raw.config.get("map_public_ip_on_launch")) or table in igw_tables
        tier = tier_from_tags_or_name(tags, raw.name) or ("public" if public else None)
        public = public or (raw.is_data and tier == "public")
        result.append(
            Subnet(
                address=raw.address,
                vpc=_ref(raw.config.get("vpc_id"), known, "data.aws_vpc." if raw.is_data else "aws_vpc."),
                cidr=literal(raw.config.get("cidr_block")),
                az=az_name(raw.config.get("availability_zone") or raw.config.get("availability_zone_id")),
                tier=tier,
                public=public,
                route_table=table,
            )
        )
    return tuple(result)


def _filter_tags(config: Mapping[str, Any]) -> dict[str, Any]:
    """Tags a lookup filters on: ``filter {name = "tag:Tier", values = ["app"]}`` gives ``{"Tier": "app"}``."""
    found = {}
    for item in blocks(config.get("filter")):
        name, values = str(item.get("name", "")), as_list(item.get("values"))
        if name.startswith("tag:") and len(values) == 1:
            found[name.removeprefix("tag:")] = values[0]
    return found


def format_ports(protocol: Any, from_port: Any, to_port: Any) -> tuple[str, str]:
    """(protocol, ports) for display: ``("tcp", "5432")``, ``("all", "all")``."""
    proto = str(protocol if protocol is not None else "tcp").lower()
    if proto in ("-1", "all"):
        return "all", "all"
    low, high = as_int(from_port), as_int(to_port)
    if low is None and high is None:
        return proto, "all"
    if low == high or high is None:
        return proto, str(low)
    if low is None:
        return proto, str(high)
    if low == 0 and high == 65535:
        return proto, "all"
    return proto, f"{low}-{high}"


def sg_rules(
    raws: Sequence[RawResource], known: frozenset[str], sg_tiers: Mapping[str, str | None]
) -> tuple[SgRule, ...]:
    """Every allowed flow from inline blocks, ``aws_security_group_rule`` and the VPC rule resources."""
    rules: list[SgRule] = []

    def emit(  # noqa: PLR0917 - a local helper called in two places
        address: str,
        direction: Literal["ingress", "egress"],
        sg: str,
        peers: list[str],
        rule: Mapping[str, Any],
        proto_key: str,
    ) -> None:
        protocol, ports = format_ports(rule.get(proto_key), rule.get("from_port"), rule.get("to_port"))
        for peer in peers:
            source, destination = (peer, sg) if direction == "ingress" else (sg, peer)
            rules.append(
                SgRule(
                    address=address,
                    direction=direction,
                    source=source,
                    destination=destination,
                    protocol=protocol,
                    ports=ports,
                    source_tier=sg_tiers.get(source),
                    target_tier=sg_tiers.get(destination),
                    description=str(literal(rule.get("description")) or ""),
                )
            )

    def peers_of(rule: Mapping[str, Any], sg: str, sg_keys: tuple[str, ...], cidr_keys: tuple[str, ...]) -> list[str]:
        peers = sorted(a for key in sg_keys for a in references(rule.get(key), known) if a in sg_tiers)
        peers += [str(c) for key in cidr_keys for c in as_list(rule.get(key)) if literal(c)]
        if as_bool(rule.get("self")):
            peers.append(sg)
        prefix_lists = as_list(rule.get("prefix_list_ids")) + as_list(rule.get("prefix_list_id"))
        peers += ["prefix-list"] if prefix_lists else []
        return peers

    sg_keys = ("security_groups", "source_security_group_id", "referenced_security_group_id")
    cidr_keys = ("cidr_blocks", "ipv6_cidr_blocks", "cidr_ipv4", "cidr_ipv6")
    for raw in raws:
        if raw.type == "aws_security_group":
            for direction in _DIRECTIONS:
                for i, rule in enumerate(blocks(raw.config.get(direction))):
                    address = f"{raw.address}#{direction}[{i}]"
                    peers = peers_of(rule, raw.address, sg_keys, cidr_keys)
                    emit(address, direction, raw.address, peers, rule, "protocol")
        elif raw.type in (
            "aws_security_group_rule",
            "aws_vpc_security_group_ingress_rule",
            "aws_vpc_security_group_egress_rule",
        ):
            sg = _ref(raw.config.get("security_group_id"), known, "aws_security_group.")
            if not sg:
                continue
            kind = raw.config.get("type") or ("egress" if raw.type.endswith("egress_rule") else "ingress")
            way: Literal["ingress", "egress"] = "egress" if kind == "egress" else "ingress"
            proto_key = "protocol" if raw.type == "aws_security_group_rule" else "ip_protocol"
            emit(raw.address, way, sg, peers_of(raw.config, sg, sg_keys, cidr_keys), raw.config, proto_key)
    return tuple(sorted(rules, key=lambda r: (r.source, r.destination, r.ports, r.address)))


def health_check_enabled(target_group: Mapping[str, Any]) -> bool:
    """Whether a target group health-checks its targets (Terraform default: yes)."""
    return as_bool(block(target_group.get("health_check")).get("enabled"), default=True)
