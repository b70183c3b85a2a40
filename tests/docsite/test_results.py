"""The results page (결과): its figures are the stacks', it moves when a stack moves, and the drill's
measured column appears exactly when a drill results file exists."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from covaex.docsite.build import render_site
from covaex.docsite.facts import results as results_module
from covaex.docsite.facts.cost import costs
from covaex.docsite.inputs import Inputs
from covaex.docsite.sections import FactError
from covaex.progress import Steps
from covaex.topology.tfjson import TerraformDoc

pytestmark = pytest.mark.slow


def _row(page: str, label: str) -> list[str]:
    """The cells of the first table row whose first cell contains ``label``."""
    for line in page.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and label in cells[0]:
            return cells[1:]
    raise AssertionError(f"no row {label!r}")


def _section(page: str, anchor: str) -> str:
    start = page.index(f"{{ #{anchor} }}")
    end = page.find("\n### ", start)
    return page[start : end if end != -1 else None]


def _single_az_prod(inputs: Inputs) -> Inputs:
    raw: dict[str, Any] = copy.deepcopy(dict(inputs.stack("tobe-v1-prod").raw))
    raw["resource"]["aws_db_instance"]["postgres"]["multi_az"] = False
    return Inputs(stacks={**inputs.stacks, "tobe-v1-prod": TerraformDoc("tobe-v1-prod", raw)}, data=inputs.data)


def test_monthly_cost_is_the_cost_pages_totals(real_inputs: Inputs, rendered: Mapping[str, bytes]) -> None:
    page = rendered["results.md"].decode()
    money = costs(real_inputs)
    expected = [
        money["asis"]["total"],
        money["stacks"]["tobe-v1-dev"].total,
        money["stacks"]["tobe-v1-prod"].total,
        money["combined"]["dev"],
        money["combined"]["prod"],
    ]
    assert _row(page, "월 고정비") == [f"${v:,.2f}" for v in expected]
    cost_page = rendered["cost.md"].decode()
    for value in expected:
        assert f"${value:,.2f}" in cost_page


def test_spof_ids_are_linked_to_their_rule_on_the_spof_page(rendered: Mapping[str, bytes]) -> None:
    page = rendered["results.md"].decode()
    spof_page = rendered["epic2/spof-before-after.md"].decode()
    links = re.findall(r"\[`(SPOF-[A-Z0-9-]+)`\]\(epic2/spof-before-after\.md#(rule-[a-z0-9-]+)\)", page)
    assert {"SPOF-HOST-01", "SPOF-RDS-01", "SPOF-VPN-01"} <= {rid for rid, _ in links}
    for rid, anchor in links:
        assert anchor == f"rule-{rid.lower()}"
        assert f'<span id="{anchor}"></span>`{rid}`' in spof_page


def test_prod_database_single_az_moves_the_page(real_inputs: Inputs, rendered: Mapping[str, bytes]) -> None:
    before = rendered["results.md"].decode()
    after = render_site(_single_az_prod(real_inputs), Steps(3, quiet=True))["results.md"].decode()
    prod = 2  # As-Is, To-Be v1 · dev, To-Be v1 · prod
    # The standby was half of the database's price: prod gets cheaper.
    assert float(_row(after, "월 고정비")[prod].strip("$").replace(",", "")) < float(
        _row(before, "월 고정비")[prod].strip("$").replace(",", "")
    )
    # A high SPOF appears, and links to its rule.
    assert _row(before, "SPOF high")[prod] == "0"
    assert _row(after, "SPOF high")[prod] == "1"
    assert "[`SPOF-RDS-01`]" in _row(after, "**high**")[prod]
    # The database's recovery loses its bound and breaches the target; its RPO becomes the PITR lag.
    db_before = _row(_section(before, "db-primary"), "To-Be v1 · prod")
    db_after = _row(_section(after, "db-primary"), "To-Be v1 · prod")
    assert db_before[:4] == ["120 s (2분)", "✅ 충족", "0 s", "✅ 충족"]
    assert db_after[:4] == ["상한 없음", "❌ 미달", "300 s (5분)", "✅ 충족"]
    assert _row(after, "DB 장애 RPO")[prod] == "300 s (5분)"
    assert _row(after, "AZ 장애 RTO")[prod] == "상한 없음"
    # Platform v2 prod runs on the same v1 database: it moves too.
    assert _row(after, "SPOF high")[prod + 2] == "1"


def test_measured_column_appears_only_with_drill_results(
    real_inputs: Inputs, rendered: Mapping[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from covaex.drill import results as drill_results

    monkeypatch.setattr(drill_results, "RESULTS_DIR", tmp_path)
    assert "http_recovered_s" not in render_site(real_inputs, Steps(3, quiet=True))["results.md"].decode()
    drill = tmp_path / "2026-12-06.json"
    drill.write_text(
        json.dumps(
            {
                "topology": "tobe-v1-prod",
                "when": "2026-12-06T10:00:00Z",
                "scenarios": [
                    {"name": "db-primary", "computed_rto_s": 120, "measured": {"http_recovered_s": 37.5, "errors": 3}},
                    {"name": "asis-db", "computed_rto_s": None, "measured": {"http_recovered_s": 912.0}},
                ],
            }
        ),
        encoding="utf-8",
    )
    page = render_site(real_inputs, Steps(3, quiet=True))["results.md"].decode()
    db = _section(page, "db-primary")
    assert "측정 RTO (`http_recovered_s`)" in db
    assert _row(db, "To-Be v1 · prod")[-1] == "37.5 s"
    assert _row(db, "As-Is")[-1] == "912.0 s"
    assert _row(db, "To-Be v1 · dev")[-1] == "-"
    assert "2026-12-06T10:00:00Z" in page


def test_an_unreadable_drill_file_fails_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "drill.json"
    bad.write_text('{"scenarios": [{"name": "az"}]}', encoding="utf-8")
    with pytest.raises(FactError, match=r"drill\.json: not a drill results file \(KeyError"):
        results_module.measured(bad)
    assert results_module.measured(tmp_path / "absent.json") == {}


def test_cost_changes_are_shown_in_dollars_and_percent(real_inputs: Inputs, rendered: Mapping[str, bytes]) -> None:
    money = costs(real_inputs)
    page = rendered["cost.md"].decode()
    for family in ("tobe-v1", "platform-v2"):
        dev, prod = money["stacks"][f"{family}-dev"].total, money["stacks"][f"{family}-prod"].total
        row = next(line for line in page.splitlines() if line.startswith(f"| {family} | $"))
        assert f"-${prod - dev:,.2f}" in row and f"{100 * (dev - prod) / prod:+.1f}%" in row, row
    results = rendered["results.md"].decode()
    base = money["asis"]["total"]
    v2 = money["combined"]["prod"]
    assert f"{v2 - base:+,.2f}".replace("+", "+$") in _row(results, "As-Is 대비")[-1]
    assert f"({100 * (v2 - base) / base:+.1f}%)" in _row(results, "As-Is 대비")[-1]
