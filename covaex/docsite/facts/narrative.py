"""EPIC 1 narrative: symptoms and risks from the As-Is inventory, success metrics from ``templates/data/``.

Symptoms and risks live in ``diagrams/asis.yaml`` next to the components
they are about (one hand-written source); this module only orders them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from covaex.docsite.inputs import Inputs
from covaex.docsite.paths import ASIS_INVENTORY
from covaex.docsite.sections import PendingInput
from covaex.topology.asis import AsIs, Symptom

LEVELS = {"low": 1, "medium": 2, "high": 3}


@dataclass(frozen=True)
class RankedRisk:
    id: str
    title: str
    likelihood: str
    impact: str
    resources: tuple[str, ...]
    mitigation: str

    @property
    def score(self) -> int:
        return LEVELS.get(self.likelihood, 0) * LEVELS.get(self.impact, 0)

    @property
    def level(self) -> str:
        return "high" if self.score >= 6 else "medium" if self.score >= 3 else "low"


def _inventory(inputs: Inputs) -> AsIs:
    from covaex.topology.asis import load_asis

    if "asis" not in inputs.memo:
        if not ASIS_INVENTORY.is_file():
            raise PendingInput("the As-Is inventory `diagrams/asis.yaml` does not exist yet")
        inputs.memo["asis"] = load_asis(ASIS_INVENTORY)
    inventory: AsIs = inputs.memo["asis"]
    return inventory


def symptoms(inputs: Inputs) -> tuple[Symptom, ...]:
    return _inventory(inputs).symptoms


def risks(inputs: Inputs) -> list[RankedRisk]:
    found = [
        RankedRisk(r.id, r.title, r.likelihood, r.impact, r.resources, r.mitigation) for r in _inventory(inputs).risks
    ]
    return sorted(found, key=lambda r: (-r.score, r.id))


def metrics(inputs: Inputs) -> list[dict[str, Any]]:
    return list(inputs.data["metrics"]["metrics"])
