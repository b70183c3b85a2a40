"""Rendered diagrams: reproducible bytes, self-contained SVG, Hangul text, real PNG."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from covaex.errors import CliError
from covaex.topology.asis import load_asis
from covaex.topology.model import Topology
from covaex.topology.render import render_diagram

TopologyOf = Callable[..., Topology]
ASIS = Path(__file__).resolve().parents[2] / "diagrams" / "asis.yaml"


def test_svg_is_self_contained_and_reproducible(tmp_path: Path, topology_of: TopologyOf) -> None:
    first = render_diagram(topology_of("nat_shared"), tmp_path / "a.svg").read_bytes()
    second = render_diagram(topology_of("nat_shared"), tmp_path / "b.svg").read_bytes()
    assert first == second
    hrefs = re.findall(rb'href="([^"]*)"', first)
    assert hrefs and all(h.startswith((b"data:image/png;base64,", b"#icon")) for h in hrefs)
    embedded = re.findall(rb'id="(icon\d+)"', first)
    assert {h[1:] for h in hrefs if h.startswith(b"#")} == set(embedded)
    assert b"site-packages" not in first and str(tmp_path).encode() not in first
    text = html.unescape(first.decode())  # graphviz writes "-" as &#45;
    assert "SPOF-NAT-01" in text and "8000/http" in text


def test_hangul_labels_are_svg_text(tmp_path: Path) -> None:
    svg = render_diagram(load_asis(ASIS).topology, tmp_path / "asis.svg").read_text(encoding="utf-8")
    assert "웹/WAS 서버" in svg
    assert "Noto Sans CJK KR" in svg


def test_png_is_a_reproducible_png(tmp_path: Path) -> None:
    topology = load_asis(ASIS).topology
    first = render_diagram(topology, tmp_path / "a.png").read_bytes()
    assert first.startswith(b"\x89PNG\r\n\x1a\n")
    assert render_diagram(topology, tmp_path / "b.png").read_bytes() == first


def test_unknown_format_is_refused(tmp_path: Path, topology_of: TopologyOf) -> None:
    with pytest.raises(CliError, match=r"use \.svg or \.png"):
        render_diagram(topology_of(), tmp_path / "x.pdf")


@pytest.mark.parametrize("override", [(), ("nat_shared",), ("eks",), ("rds_single_az",)])
def test_az_columns_come_out_sorted_left_to_right(topology_of: TopologyOf, override: tuple[str, ...]) -> None:
    from covaex.topology.layout import build_scene
    from covaex.topology.render import _az_columns, _left_to_right, _pipe, _sorted_layout_source

    scene = build_scene(topology_of(*override), title="t", findings=[])
    plain = _pipe(_sorted_layout_source(scene), "plain").decode()
    x = {line.split()[1]: float(line.split()[2]) for line in plain.splitlines() if line.startswith("node ")}
    (columns,) = _az_columns(scene)
    assert _left_to_right(columns, x)
