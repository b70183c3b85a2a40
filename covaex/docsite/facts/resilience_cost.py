"""The cost of resilience: what each step of prod, added alone to dev, costs a month and which SPOFs it removes.

Each step is synthesized (``python -m infraforge.variants``: dev's own
configuration with that one step of prod) and compared with ``tobe-v1-dev``
through the ``covaex diff`` ingredients (`covaex.diff.ingredients.stack_facts`:
the SPOF rules and the monthly floor), and the resources added are the raw
JSON's new addresses. Nothing is estimated: a step the configuration cannot
express is not listed. The variants are synthesized once per sources hash
into ``.cache/covaex-variants/`` (a child process, as ``covaex synth``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from filelock import FileLock

from covaex.docsite.inputs import Inputs
from covaex.docsite.paths import CACHE_DIR
from covaex.docsite.sections import FactError, PendingInput
from covaex.synth import run_infraforge, sources_hash

VARIANTS_DIR = CACHE_DIR.parent / "covaex-variants"
BASE = "tobe-v1-dev"


def synth_variants(out_root: Path = VARIANTS_DIR) -> dict[str, dict[str, Any]]:
    """``{step: synthesized JSON}``, reused while ``cdktf/`` is unchanged."""
    out = out_root / sources_hash()[:24]
    stamp = out / "done"
    out_root.mkdir(parents=True, exist_ok=True)
    # one synth of the variants at a time (parallel test workers, mkdocs serve's rebuilds), as covaex synth
    with FileLock(out_root / f".{out.name}.lock"):
        if not stamp.is_file():
            _synth_variants(out)
            stamp.write_text("ok\n", encoding="utf-8")
    found = {}

    for path in sorted((out / "stacks").glob("variant-*/cdk.tf.json")):
        found[path.parent.name.removeprefix("variant-")] = json.loads(path.read_text(encoding="utf-8"))
    if not found:
        raise FactError(f"{out}: the variants' synth produced no stack")
    return found


def resilience_cost(inputs: Inputs) -> list[dict[str, Any]]:
    """Per step: monthly cost added ($ and % of dev), SPOF ids removed and added, resources added and removed."""
    from covaex.diff.ingredients import stack_facts

    if BASE not in inputs.stacks or "prices" not in inputs.data:
        raise PendingInput(f"`{BASE}` and the price table are needed")
    variants = inputs.memo.get("variants")
    if variants is None:
        variants = inputs.memo.setdefault("variants", synth_variants())
    prices = inputs.data["prices"]
    base_raw = inputs.stack(BASE).raw
    base = stack_facts(BASE, base_raw, prices)
    base_ids = {(f["id"], f["severity"]) for f in base.findings}
    base_addresses = _addresses(base_raw)
    rows = []
    for step, raw in variants.items():
        facts = stack_facts(f"variant-{step}", raw, prices)
        ids = {(f["id"], f["severity"]) for f in facts.findings}
        added = round(facts.monthly_cost - base.monthly_cost, 2)
        rows.append(
            {
                "step": step,
                "usd": added,
                "pct": round(100 * added / base.monthly_cost, 1) if base.monthly_cost else 0.0,
                "removed": sorted(base_ids - ids),
                "introduced": sorted(ids - base_ids),
                "resources_added": sorted(_addresses(raw) - base_addresses),
                "resources_removed": sorted(base_addresses - _addresses(raw)),
            }
        )
    return rows


def _addresses(raw: Any) -> set[str]:
    return {f"{kind}.{name}" for kind, items in (raw.get("resource") or {}).items() for name in items}


# How a step's numbers place it on the priority matrix (1 low .. 5 high), so a step's scores are never typed:
# impact from the worst SPOF severity it removes; effort from what it adds to dev's monthly floor.
IMPACT_BY_SEVERITY = {"high": 5, "medium": 4, "low": 3}
IMPACT_NONE = 2
EFFORT_BY_PCT = ((10.0, 1), (20.0, 2), (40.0, 3), (80.0, 4))


def impact_effort(row: dict[str, Any]) -> tuple[int, int, str]:
    """(impact, effort, why) of one step, from the SPOFs it removes and the monthly cost it adds."""
    severities = [sev for _, sev in row["removed"]]
    impact = max((IMPACT_BY_SEVERITY.get(s, IMPACT_NONE) for s in severities), default=IMPACT_NONE)
    effort = next((score for limit, score in EFFORT_BY_PCT if row["pct"] < limit), 5)
    removed = ", ".join(f"{rid} ({sev})" for rid, sev in row["removed"]) or "none"
    why = f"removes {removed}; adds ${row['usd']:,.2f}/month ({row['pct']:+.1f}% of dev)"
    return impact, effort, why


def _synth_variants(out: Path) -> None:
    failure = run_infraforge("infraforge.variants", "--out", str(out))
    if failure is not None:
        raise FactError(f"synth of the resilience variants failed: {failure}")
