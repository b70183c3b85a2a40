"""Pages' view of the topology package: models, SPOF findings and diagrams per stack.

Placeholder shape until ``covaex.topology`` lands; see its module docstrings.
"""

from __future__ import annotations

from covaex.docsite.inputs import Inputs
from covaex.docsite.sections import PendingInput, Sections


def topology_sections(inputs: Inputs, sections: Sections, files: dict[str, bytes]) -> None:
    def pending() -> None:
        raise PendingInput("the topology model (covaex.topology) has not landed yet")

    sections.add("topology", pending)
