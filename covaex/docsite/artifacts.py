"""Generated images: the priority matrix chart and the topology diagrams.

Images are the slow part of a build (graphviz), so each diagram is cached
under ``.cache/covaex-docs/`` by a hash of everything that shapes it: the
stack JSON (or As-Is inventory) and the topology package's source. A
template-only change therefore never redraws a diagram.
"""

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
