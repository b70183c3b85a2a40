"""Page data computed from the stacks, the service code and the deploy/CI files.

Each concern is one module with pure functions of ``Inputs``; ``collect_sections``
names them. A page template reads ``s.<section>``; a section that cannot be
computed yet is ``Pending`` and the page shows why.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from covaex.docsite.inputs import Inputs
from covaex.docsite.sections import Sections

SectionFn = Callable[[Inputs], Any]


def _registry() -> dict[str, SectionFn]:
    from covaex.docsite.facts import narrative, site_nav

    return {
        "nav": lambda _inputs: site_nav.epics(site_nav.load_nav()),
        "symptoms": narrative.symptoms,
        "risks": narrative.risks,
        "metrics": narrative.metrics,
    }


def collect_sections(inputs: Inputs, sections: Sections) -> None:
    for name, fn in sorted(_registry().items()):
        sections.add(name, partial(fn, inputs))
