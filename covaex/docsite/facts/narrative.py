"""EPIC 1 narrative inputs from ``templates/data/``: symptoms, risks, success metrics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from covaex.docsite.inputs import Inputs


@dataclass(frozen=True)
class Risk:
    id: str
    risk: str
    likelihood: int
    impact: int
    addressed_by: str

    @property
    def score(self) -> int:
        return self.likelihood * self.impact

    @property
    def level(self) -> str:
        return "high" if self.score >= 15 else "medium" if self.score >= 8 else "low"


def symptoms(inputs: Inputs) -> list[dict[str, Any]]:
    return list(inputs.data["symptoms"]["symptoms"])


def risks(inputs: Inputs) -> list[Risk]:
    raw = inputs.data["risks"]["risks"]
    found = [
        Risk(str(r["id"]), str(r["risk"]), int(r["likelihood"]), int(r["impact"]), str(r["addressed_by"])) for r in raw
    ]
    return sorted(found, key=lambda r: (-r.score, r.id))


def metrics(inputs: Inputs) -> list[dict[str, Any]]:
    return list(inputs.data["metrics"]["metrics"])
