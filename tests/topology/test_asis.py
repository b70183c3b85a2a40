"""The As-Is inventory: the real file loads; mistakes are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from covaex.errors import CliError
from covaex.topology.asis import load_asis

ASIS = Path(__file__).resolve().parents[2] / "diagrams" / "asis.yaml"


def test_inventory_has_the_single_boxes_symptoms_and_risks() -> None:
    asis = load_asis(ASIS)
    kinds = {n.kind for n in asis.topology.nodes}
    assert {"onprem_server", "onprem_database", "onprem_cache", "onprem_uplink"} <= kinds
    assert asis.topology.node("onprem_server.web01").attrs["replicas"] == 1
    assert any(e.kind == "deploy" for e in asis.topology.edges)
    assert asis.symptoms and asis.risks
    assert all(r.resources and r.mitigation for r in asis.risks)
    assert any("수동" in n.label for n in asis.topology.nodes)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nodes: [\n", "invalid YAML at line"),
        ("- 1\n", "expected a mapping"),
        ("nodes: []\n", "'nodes' is empty"),
        ("nodes:\n  - {id: a}\n", r"nodes\[0\]: 'kind' is required"),
        ("nodes:\n  - {id: a, kind: x, role: boss}\n", "role must be one of"),
        ("nodes:\n  - {id: a, kind: x, replicas: 0}\n", "replicas must be"),
        ("nodes:\n  - {id: a, kind: x}\nedges:\n  - {from: a, to: b}\n", "unknown node 'b'"),
        ("nodes:\n  - {id: a, kind: x}\nrisks:\n  - {id: R, title: t, resources: [x.b]}\n", "unknown nodes x.b"),
    ],
)
def test_mistakes_are_one_line_errors_naming_the_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "asis.yaml"
    path.write_text(text)
    with pytest.raises(CliError, match=message) as err:
        load_asis(path)
    assert str(err.value).startswith(str(path)) and "\n" not in str(err.value)


def test_missing_inventory(tmp_path: Path) -> None:
    with pytest.raises(CliError, match="no such file"):
        load_asis(tmp_path / "asis.yaml")
