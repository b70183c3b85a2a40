"""Drawing a `Scene` with the diagrams library: the only module that opens ``with Diagram``.

    render_diagram(topology, Path("tobe-v1-prod.svg"), title="To-Be v1 prod", findings=findings)

writes ``.svg`` or ``.png`` (chosen by the suffix). The output is
byte-for-byte reproducible: node and cluster ids come from Terraform addresses
(`layout.safe_id`), every input is sorted, and graphviz writes neither dates
nor random ids. The SVG is self-contained: graphviz references each icon by
its file path in site-packages; those ``xlink:href`` values are replaced by
``data:image/png;base64`` URIs, so the file renders anywhere and holds no
local path. Labels use Noto Sans CJK KR so that Hangul renders.

Layout: top to bottom (users, edge, VPC), AZ clusters side by side within the
VPC, subnet-tier clusters inside each AZ. SPOF nodes get a red frame and their
rule ids in the label. Route edges are dashed and do not pull the layout
(``constraint=false``), so tiers stay in request order.
"""

from __future__ import annotations

import base64
import importlib
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from covaex.errors import CliError
from covaex.topology.layout import DrawCluster, DrawNode, Scene, build_scene
from covaex.topology.model import Topology
from covaex.topology.spof_rules import Finding

FONT = "Noto Sans CJK KR"
SPOF_COLOR = "#C62828"
CLUSTER_STYLES: Mapping[str, Mapping[str, str]] = {
    "vpc": {"bgcolor": "#F3F8FC", "pencolor": "#3F8624", "penwidth": "2"},
    "site": {"bgcolor": "#F7F7F7", "pencolor": "#5A6B7B", "penwidth": "2"},
    "onprem": {"bgcolor": "#F7F7F7", "pencolor": "#5A6B7B", "penwidth": "2", "style": "rounded,dashed"},
    "az": {"bgcolor": "#FFFFFF", "pencolor": "#147EBA", "style": "rounded,dashed", "penwidth": "1.5"},
    "tier": {"bgcolor": "#EEF5EA", "pencolor": "#7AA116"},
    "regional": {"bgcolor": "#FDF7E3", "pencolor": "#AEB6BE"},
}
TIER_COLORS: Mapping[str, str] = {"public": "#E9F3E6", "app": "#E6F0FA", "data": "#F3ECF8", "edge": "#FDF3E7"}
EDGE_STYLES: Mapping[str, Mapping[str, str]] = {
    "traffic": {"color": "#2D3436", "penwidth": "1.4"},
    "route": {"color": "#7B8894", "style": "dashed", "constraint": "false", "fontcolor": "#5A6B7B"},
    "vpn": {"color": "#8E44AD", "style": "bold", "penwidth": "2", "fontcolor": "#6C3483"},
    "deploy": {"color": "#B9770E", "style": "dashed", "fontcolor": "#B9770E"},
    "order": {"style": "invis"},
}
_HREF = re.compile(rb'xlink:href="([^"]+\.png)"')


def render_diagram(
    topology: Topology, out_path: Path, *, title: str | None = None, findings: Sequence[Finding] | None = None
) -> Path:
    """Draw the topology to ``out_path`` (.svg or .png); SPOF marks from ``findings`` (computed when None)."""
    fmt = out_path.suffix.lower().lstrip(".")
    if fmt not in ("svg", "png"):
        raise CliError(f"{out_path}: unknown output format {out_path.suffix or '(none)'!r}: use .svg or .png")
    if findings is None:
        from covaex.topology.spof import spof_findings

        findings = spof_findings(topology)
    scene = build_scene(topology, title=title or topology.name, findings=findings)
    data = render_scene(scene, fmt)
    try:
        out_path.write_bytes(data)
    except OSError as exc:
        raise CliError(f"{out_path}: cannot write: {exc}") from None
    return out_path


def render_scene(scene: Scene, fmt: str) -> bytes:
    """The scene as SVG (icons inlined) or PNG bytes."""
    source = scene_source(scene)
    graphviz = importlib.import_module("graphviz")
    try:
        data: bytes = graphviz.Source(source).pipe(format=fmt, quiet=True)
    except graphviz.ExecutableNotFound:
        raise CliError("graphviz 'dot' is not installed: apt-get install graphviz") from None
    return inline_icons(data) if fmt == "svg" else data


def inline_icons(svg: bytes) -> bytes:
    """Replace every icon file path with a data: URI of the file's bytes."""
    cache: dict[bytes, bytes] = {}

    def embed(match: re.Match[bytes]) -> bytes:
        path = match.group(1)
        if path not in cache:
            raw = Path(path.decode()).read_bytes()
            cache[path] = b"data:image/png;base64," + base64.b64encode(raw)
        return b'xlink:href="' + cache[path] + b'"'

    return _HREF.sub(embed, svg)


def scene_source(scene: Scene) -> str:
    """The graphviz DOT source of the scene, built with diagrams' Diagram/Cluster/Node/Edge."""
    diagrams = importlib.import_module("diagrams")

    graph_attr = {
        "fontname": FONT, "fontsize": "22", "labelloc": "t", "pad": "0.4", "nodesep": "0.5", "ranksep": "0.9",
        "splines": "spline", "newrank": "true", "compound": "true",
        # Little crossing minimisation: graphviz then keeps the input order, AZs sorted left to right.
        "mclimit": "0.01",
    }
    node_attr = {"fontname": FONT, "fontsize": "12"}
    edge_attr = {"fontname": FONT, "fontsize": "11"}
    with tempfile.TemporaryDirectory() as tmp, diagrams.Diagram(
        scene.title, filename=str(Path(tmp) / "scene"), outformat="dot", show=False, direction=scene.direction,
        graph_attr=graph_attr, node_attr=node_attr, edge_attr=edge_attr,
    ) as diagram:
        drawn: dict[str, Any] = {}
        for node in scene.nodes:
            drawn[node.id] = _node(node)
        for cluster in scene.clusters:
            _cluster(cluster, drawn)
        for edge in scene.edges:
            _edge(drawn[edge.source], drawn[edge.target], edge.label, edge.style)
        for row in scene.rows:
            # newrank lets rank=same span clusters; invisible edges order the AZ copies left to right.
            chain = " -> ".join(f'"{node_id}"' for node_id in row)
            diagram.dot.body.append(f"\t{{rank=same; {chain} [style=invis]}}\n")
        source: str = diagram.dot.source
    return source


@contextmanager
def _open_cluster(cluster: DrawCluster) -> Iterator[None]:
    diagrams = importlib.import_module("diagrams")
    attrs = {"fontname": FONT, "fontsize": "14" if cluster.style != "tier" else "12", "label": cluster.label,
             **CLUSTER_STYLES.get(cluster.style, {})}
    if cluster.style == "tier":
        tier = cluster.id.rsplit("__", 1)[-1]
        attrs["bgcolor"] = TIER_COLORS.get(tier, attrs["bgcolor"])
    # Cluster names its subgraph "cluster_" + label: pass the unique id, show the label via graph_attr.
    with diagrams.Cluster(cluster.id, direction="TB", graph_attr=attrs):
        yield


def _cluster(cluster: DrawCluster, drawn: dict[str, Any]) -> None:
    with _open_cluster(cluster):
        for node in cluster.nodes:
            drawn[node.id] = _node(node)
        for child in cluster.children:
            _cluster(child, drawn)


def _node(node: DrawNode) -> Any:
    module, name = node.icon.rsplit(".", 1)
    cls = getattr(importlib.import_module(f"diagrams.{module}"), name)
    label = node.label
    attrs: dict[str, str] = {}
    if node.spof_rules:
        label = "\n".join([label, *node.spof_rules])
        attrs = {"shape": "box", "style": "rounded,bold", "color": SPOF_COLOR, "penwidth": "3",
                 "fontcolor": SPOF_COLOR}
    return cls(label, nodeid=node.id, **attrs)


def _edge(source: Any, target: Any, label: str, style: str) -> None:
    diagrams = importlib.import_module("diagrams")
    attrs = {"fontname": FONT, "fontsize": "11", **EDGE_STYLES.get(style, {})}
    source >> diagrams.Edge(label=label, **attrs) >> target
