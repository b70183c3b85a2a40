"""Generated images and the sections that come with them: the priority matrix chart,
the topology diagrams with their SPOF findings (see ``covaex.docsite.topology``)."""

from __future__ import annotations

from typing import Any

from covaex.docsite.charts import PanelBox, dashboard_svg, matrix_items, priority_matrix_svg
from covaex.docsite.inputs import Inputs
from covaex.docsite.render import stamp_svg
from covaex.docsite.sections import FactError, Sections
from covaex.docsite.topology import topology_sections

PRIORITY_CHART = "epic1/priority-matrix.svg"


def render_artifacts(inputs: Inputs) -> tuple[Sections, dict[str, bytes]]:
    """Sections that come with images (matrix, topology), and the images by generated path."""
    sections = Sections()
    files: dict[str, bytes] = {}

    def priorities() -> dict[str, object]:
        raw, computed = _scored(inputs)
        items = matrix_items(raw)
        svg = stamp_svg(priority_matrix_svg(items), "covaex/docsite/charts.py from templates/data/priorities.yaml")
        files[PRIORITY_CHART] = svg.encode("utf-8")
        from covaex.docsite.facts.resilience_cost import scoring_rule

        return {"items": items, "chart": PRIORITY_CHART, "computed": computed, "rule": scoring_rule()}

    sections.add("priorities", priorities)

    def dashboard_layout() -> dict[str, str]:
        """Each Grafana dashboard's layout drawn from its JSON (gridPos), by the board's file stem."""
        from covaex.docsite.facts.gitops import dashboard

        drawn = {}
        for board in dashboard(inputs)["boards"]:
            boxes = [
                PanelBox(p["title"], p["type"], p["unit"], **p["grid"], series=tuple(p["series"]))
                for p in board["panels"]
            ]
            path = f"epic4/dashboard-{board['stem']}.svg"
            source = f"covaex/docsite/charts.py from {board['path']}"
            files[path] = stamp_svg(dashboard_svg(board["title"], boxes), source).encode("utf-8")
            drawn[board["stem"]] = path
        return drawn

    sections.add("dashboard_layout", dashboard_layout)
    topology_sections(inputs, sections, files)
    return sections, files


def _scored(inputs: Inputs) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The priority items, those tied to a resilience step (``step:``) named and scored from its synthesized
    variant (`covaex.docsite.facts.resilience_cost.impact_effort`); ``computed``: item id -> why."""
    from covaex.docsite.facts.resilience_cost import impact_effort, resilience_cost

    raw = [dict(item) for item in inputs.data["priorities"]["items"]]
    if not any("step" in item for item in raw):
        return raw, {}
    rows = {r["step"]: r for r in resilience_cost(inputs)}
    names = (inputs.data.get("resilience") or {}).get("steps") or {}
    computed = {}
    for item in raw:
        if "step" not in item:
            continue
        if item["step"] not in rows:
            raise FactError(f"priorities.yaml: {item['id']}: unknown step {item['step']!r} (known: {', '.join(rows)})")
        if item["step"] not in names:
            raise FactError(f"resilience.yaml: steps: no name for {item['step']!r} (priority item {item['id']})")
        item["item"] = names[item["step"]]
        item["impact"], item["effort"], computed[str(item["id"])] = impact_effort(rows[item["step"]])
    return raw, computed
