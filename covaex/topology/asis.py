"""The As-Is inventory (``diagrams/asis.yaml``) read into the same `Topology`.

    asis = load_asis(Path("diagrams/asis.yaml"))   # I/O + validation
    asis.topology      # nodes (address "<kind>.<id>"), edges, site
    asis.symptoms      # tuple[Symptom]: id, title, detail
    asis.risks         # tuple[Risk]: id, title, likelihood, impact, resources, mitigation

`asis_from_data` is the pure half (a parsed YAML mapping in, `AsIs` out); the
file's header comment documents the schema. Every mistake in the file is a
`CliError` naming the file and the field, never a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast, get_args

import yaml

from covaex.errors import CliError
from covaex.topology.entities import INTERNET, Edge, EdgeKind, Node, Role, Topology
from covaex.topology.tfjson import read_text

_ROLES = frozenset(get_args(Role)) - {"users", "network"}
_EDGE_KINDS = frozenset(get_args(EdgeKind))


@dataclass(frozen=True)
class Symptom:
    id: str
    title: str
    detail: str


@dataclass(frozen=True)
class Risk:
    id: str
    title: str
    likelihood: str
    impact: str
    resources: tuple[str, ...]
    mitigation: str


@dataclass(frozen=True)
class AsIs:
    topology: Topology
    symptoms: tuple[Symptom, ...]
    risks: tuple[Risk, ...]


def load_asis(path: Path) -> AsIs:
    """Read and validate the As-Is inventory YAML."""
    text = read_text(path, expected="the As-Is inventory YAML")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise CliError(f"{path}: invalid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    try:
        return asis_from_data(data)
    except _Invalid as exc:
        raise CliError(f"{path}: {exc}") from None


class _Invalid(ValueError):
    """A schema mistake; `load_asis` prefixes the file name."""


def asis_from_data(data: Any) -> AsIs:
    """The `AsIs` of a parsed inventory; raises ValueError naming the bad field."""
    if not isinstance(data, Mapping):
        raise _Invalid("expected a mapping with 'nodes' and 'edges' at the top level")
    raw_nodes = _list(data, "nodes")
    if not raw_nodes:
        raise _Invalid("'nodes' is empty: the inventory needs at least one node")
    site = str(data.get("site") or "on-prem")
    nodes = [_node(i, item) for i, item in enumerate(raw_nodes)]
    by_id = {n.name: n.address for n in nodes}
    if len(by_id) != len(nodes):
        raise _Invalid("two nodes share an id")
    by_id[INTERNET] = INTERNET
    edges = [_edge(i, item, by_id) for i, item in enumerate(_list(data, "edges"))]
    nodes.append(Node(INTERNET, "internet", "users", "사용자 (인터넷)", "users"))
    topology = Topology(
        name=str(data.get("name") or "As-Is"),
        origin="asis",
        nodes=tuple(sorted(nodes, key=lambda n: n.address)),
        edges=tuple(sorted(edges, key=lambda e: (e.source, e.target, e.kind))),
        site=site,
    )
    symptoms = tuple(
        Symptom(_text(s, "id", f"symptoms[{i}]"), _text(s, "title", f"symptoms[{i}]"), str(s.get("detail", "")))
        for i, s in enumerate(_list(data, "symptoms"))
    )
    risks = tuple(_risk(i, r, set(by_id.values())) for i, r in enumerate(_list(data, "risks")))
    return AsIs(topology, symptoms, risks)


def _list(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise _Invalid(f"'{key}' must be a list of mappings")
    return cast(list[Mapping[str, Any]], value)


def _text(item: Mapping[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if value is None or str(value).strip() == "":
        raise _Invalid(f"{where}: '{key}' is required")
    return str(value)


def _node(i: int, item: Mapping[str, Any]) -> Node:
    where = f"nodes[{i}]"
    ident = _text(item, "id", where)
    kind = _text(item, "kind", where)
    role = str(item.get("role", "other"))
    if role not in _ROLES:
        raise _Invalid(f"{where} ({ident}): role must be one of {', '.join(sorted(_ROLES))}, got {role!r}")
    replicas = item.get("replicas", 1)
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 1:
        raise _Invalid(f"{where} ({ident}): replicas must be a whole number of at least 1")
    attrs = item.get("attrs") or {}
    if not isinstance(attrs, Mapping):
        raise _Invalid(f"{where} ({ident}): attrs must be a mapping")
    zone = item.get("zone")
    return Node(
        address=f"{kind}.{ident}",
        kind=kind,
        name=ident,
        label=str(item.get("label") or ident),
        role=cast(Role, role),
        azs=(str(zone),) if zone else (),
        tier=str(item["tier"]) if item.get("tier") else None,
        attrs={**attrs, "replicas": replicas},
    )


def _edge(i: int, item: Mapping[str, Any], by_id: Mapping[str, str]) -> Edge:
    where = f"edges[{i}]"
    ends = []
    for key in ("from", "to"):
        ident = _text(item, key, where)
        if ident not in by_id:
            raise _Invalid(f"{where}: '{key}' names unknown node {ident!r}")
        ends.append(by_id[ident])
    kind = str(item.get("kind", "traffic"))
    if kind not in _EDGE_KINDS:
        raise _Invalid(f"{where}: kind must be one of {', '.join(sorted(_EDGE_KINDS))}, got {kind!r}")
    ports = item.get("ports") or []
    if not isinstance(ports, list):
        raise _Invalid(f"{where}: ports must be a list")
    return Edge(ends[0], ends[1], cast(EdgeKind, kind), tuple(str(p) for p in ports))


def _risk(i: int, item: Mapping[str, Any], addresses: set[str]) -> Risk:
    where = f"risks[{i}]"
    resources = tuple(str(r) for r in item.get("resources") or [])
    unknown = [r for r in resources if r not in addresses]
    if unknown:
        raise _Invalid(f"{where}: resources name unknown nodes {', '.join(unknown)}")
    return Risk(
        id=_text(item, "id", where),
        title=_text(item, "title", where),
        likelihood=str(item.get("likelihood", "medium")),
        impact=str(item.get("impact", "medium")),
        resources=resources,
        mitigation=str(item.get("mitigation", "")),
    )
