"""The priority matrix: quadrants follow impact and effort, the SVG is reproducible."""

from __future__ import annotations

import pytest

from covaex.docsite.charts import matrix_items, priority_matrix_svg


def test_quadrants_cut_between_2_and_3() -> None:
    items = matrix_items(
        [
            {"id": "A", "item": "a", "impact": 3, "effort": 2},
            {"id": "B", "item": "b", "impact": 5, "effort": 3},
            {"id": "C", "item": "c", "impact": 2, "effort": 1},
            {"id": "D", "item": "d", "impact": 1, "effort": 5},
        ]
    )
    assert {it.id: it.quadrant for it in items} == {
        "A": "Quick win",
        "B": "Major project",
        "C": "Fill-in",
        "D": "Later",
    }


def test_svg_is_reproducible_and_labels_every_item() -> None:
    raw = [{"id": f"P{i}", "item": "x", "impact": 1 + i % 5, "effort": 1 + (i * 2) % 5} for i in range(9)]
    svg = priority_matrix_svg(matrix_items(raw))
    assert svg == priority_matrix_svg(matrix_items(list(reversed(raw))))
    assert all(f">P{i}</text>" in svg for i in range(9))


def test_out_of_scale_values_are_refused() -> None:
    with pytest.raises(ValueError, match="P1"):
        matrix_items([{"id": "P1", "item": "x", "impact": 6, "effort": 1}])
