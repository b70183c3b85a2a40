"""Generated images and the sections that come with them: the priority matrix chart,
the topology diagrams with their SPOF findings (see ``covaex.docsite.topology``)."""

from __future__ import annotations

from covaex.docsite.charts import matrix_items, priority_matrix_svg
from covaex.docsite.inputs import Inputs
from covaex.docsite.render import stamp_svg
from covaex.docsite.sections import Sections
from covaex.docsite.topology import topology_sections

PRIORITY_CHART = "epic1/priority-matrix.svg"


def render_artifacts(inputs: Inputs) -> tuple[Sections, dict[str, bytes]]:
    """Sections that come with images (matrix, topology), and the images by generated path."""
    sections = Sections()
    files: dict[str, bytes] = {}

    def priorities() -> dict[str, object]:
        items = matrix_items(inputs.data["priorities"]["items"])
        svg = stamp_svg(priority_matrix_svg(items), "covaex/docsite/charts.py from templates/data/priorities.yaml")
        files[PRIORITY_CHART] = svg.encode("utf-8")
        return {"items": items, "chart": PRIORITY_CHART}

    sections.add("priorities", priorities)
    topology_sections(inputs, sections, files)
    return sections, files
