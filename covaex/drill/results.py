"""The committed drill results (``benchmarks/results/drill/<date>.json``) as the docs read them.

One file per full run, named by its date; :func:`load_measured` reads the newest (or
the one given) and checks it has the shape ``covaex drill --out`` writes, so a page
never shows a half-read figure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from covaex.docsite.sections import FactError
from covaex.synth import REPO_ROOT

RESULTS_DIR = REPO_ROOT / "benchmarks" / "results" / "drill"
MEASURED_KEYS = frozenset(
    {
        "http_recovered_s", "errors", "ws_reconnected_p50_s", "ws_reconnected_p95_s",
        "prices_stale_s", "writes_acknowledged", "writes_lost",
    }
)  # fmt: skip


@dataclass(frozen=True)
class ScenarioResult:
    name: str
    disruption: str
    computed_rto_s: int | None
    measured: dict[str, Any]


@dataclass(frozen=True)
class MeasuredRun:
    path: Path
    topology: str
    when: str
    machine: dict[str, Any]
    stand_ins: dict[str, str]
    scenarios: dict[str, ScenarioResult]


def newest_run(folder: Path = RESULTS_DIR) -> Path | None:
    """The newest committed ``<date>.json`` in ``folder`` (None: no run is committed)."""
    found = sorted(folder.glob("*.json"))
    return found[-1] if found else None


def load_measured(path: Path | None = None, folder: Path = RESULTS_DIR) -> MeasuredRun | None:
    """The run in ``path`` or the newest ``<date>.json`` in ``folder``; None when no run is committed."""
    if path is None:
        path = newest_run(folder)
        if path is None:
            return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FactError(f"{path}: cannot read the drill results: {exc}") from None
    if not isinstance(raw, dict) or set(raw) != {"topology", "when", "machine", "stand_ins", "scenarios"}:
        raise FactError(
            f"{path}: not a `covaex drill --out` file (keys: {sorted(raw) if isinstance(raw, dict) else raw})"
        )
    scenarios = {}
    for entry in raw["scenarios"]:
        measured = entry.get("measured")
        if not isinstance(measured, dict) or set(measured) != MEASURED_KEYS:
            raise FactError(f"{path}: scenario {entry.get('name')!r} lacks the measured figures")
        scenarios[str(entry["name"])] = ScenarioResult(
            str(entry["name"]), str(entry["disruption"]), entry.get("computed_rto_s"), measured
        )
    return MeasuredRun(
        path, str(raw["topology"]), str(raw["when"]), dict(raw["machine"]), dict(raw["stand_ins"]), scenarios
    )
