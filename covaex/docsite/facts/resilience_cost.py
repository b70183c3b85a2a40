"""The cost of resilience: what each step of prod, added alone to dev, costs a month and which SPOFs it removes.

Each step is synthesized (``python -m infraforge.variants``: dev's own
configuration with that one step of prod) and compared with ``tobe-v1-dev``
through the ``covaex diff`` ingredients (`covaex.diff.ingredients.stack_facts`:
the SPOF rules and the monthly floor), and the resources added are the raw
JSON's new addresses; a step that builds on another (the second VPN
connection on the first) is compared with that one. The EKS step (Platform
v2) is dev's synthesized environment against ``tobe-v1-dev``. The downtime a
step avoids is the results page's recovery model
(`covaex.docsite.facts.results.cloud_recovery`) on both. Nothing is estimated:
a step the configuration cannot express is not listed. The variants are synthesized once per sources hash
into ``.cache/covaex-variants/`` (a child process, as ``covaex synth``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock

from covaex.docsite.inputs import Inputs
from covaex.docsite.paths import CACHE_DIR
from covaex.docsite.sections import FactError, PendingInput
from covaex.synth import run_infraforge, sources_hash
from covaex.topology.tfjson import TerraformDoc

if TYPE_CHECKING:
    from covaex.docsite.facts.results import Recovery

VARIANTS_DIR = CACHE_DIR.parent / "covaex-variants"
BASE = "tobe-v1-dev"


def synth_variants(out_root: Path = VARIANTS_DIR) -> dict[str, Any]:
    """``{"stacks": {step: synthesized JSON}, "bases": {step: step it builds on}}``, reused while ``cdktf/`` is
    unchanged."""
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
    manifest = json.loads((out / "variants.json").read_text(encoding="utf-8"))
    return {"stacks": {step: found[step] for step in manifest["steps"]}, "bases": dict(manifest["bases"])}


# The Platform v2 step is no variant of the v1 stack: it is dev's synthesized environment (tobe-v1-dev with
# platform-v2-dev and the shared registry, `Inputs.environment`) against tobe-v1-dev alone.
EKS_STEP = "eks-platform-v2"


def resilience_cost(inputs: Inputs) -> list[dict[str, Any]]:
    """Per step: monthly cost added ($ and % of its base), SPOF ids removed and added, resources added and
    removed, and the disruptions whose recovery it shortens (downtime avoided)."""
    from covaex.diff.ingredients import stack_facts
    from covaex.docsite.facts.results import cloud_recovery

    if BASE not in inputs.stacks or "prices" not in inputs.data:
        raise PendingInput(f"`{BASE}` and the price table are needed")
    if "targets" not in (inputs.data.get("resilience") or {}):
        raise PendingInput("`templates/data/resilience.yaml` has no `targets` yet")
    variants = inputs.memo.get("variants")
    if variants is None:
        variants = inputs.memo.setdefault("variants", synth_variants())
    prices = inputs.data["prices"]
    data = inputs.data["resilience"]
    docs: dict[str, tuple[Any, TerraformDoc, str]] = {BASE: (inputs.stack(BASE).raw, inputs.stack(BASE), "tobe-v1")}
    for step, raw in variants["stacks"].items():
        docs[step] = (raw, TerraformDoc(f"variant-{step}", raw), "tobe-v1")
    steps = [(step, variants["bases"].get(step, BASE)) for step in variants["stacks"]]
    if "platform-v2-dev" in inputs.stacks:
        union = inputs.environment("dev")
        docs[EKS_STEP] = (union.raw, union, "platform-v2")
        steps.append((EKS_STEP, BASE))
    facts = {name: stack_facts(name, raw, prices) for name, (raw, _, _) in docs.items()}
    recovery = {name: cloud_recovery(doc, data, family, "dev", inputs) for name, (_, doc, family) in docs.items()}
    rows = []
    for step, base in steps:
        before, after = facts[base], facts[step]
        base_ids = {(f["id"], f["severity"]) for f in before.findings}
        ids = {(f["id"], f["severity"]) for f in after.findings}
        added = round(after.monthly_cost - before.monthly_cost, 2)
        rows.append(
            {
                "step": step,
                "base": base,
                "usd": added,
                "pct": round(100 * added / before.monthly_cost, 1) if before.monthly_cost else 0.0,
                "removed": sorted(base_ids - ids),
                "introduced": sorted(ids - base_ids),
                "resources_added": sorted(_addresses(docs[step][0]) - _addresses(docs[base][0])),
                "resources_removed": sorted(_addresses(docs[base][0]) - _addresses(docs[step][0])),
                "shortened": _shortened(recovery[base], recovery[step]),
            }
        )
    return rows


def _shortened(before: dict[str, Recovery], after: dict[str, Recovery]) -> list[tuple[str, int | None, int]]:
    """(disruption, RTO before, RTO after) where the step bounds or shortens the recovery (None: no bound)."""
    out = []
    for key, new in after.items():
        old = before.get(key)
        if old is None or new.rto_s is None:
            continue
        if old.rto_s is None or new.rto_s < old.rto_s:
            out.append((key, old.rto_s, new.rto_s))
    return out


def _addresses(raw: Any) -> set[str]:
    return {f"{kind}.{name}" for kind, items in (raw.get("resource") or {}).items() for name in items}


# How a step's numbers place it on the priority matrix (1 low .. 5 high), so a step's scores are never typed.
# Impact: the higher of the worst SPOF severity it removes and the downtime it avoids (a disruption that needed
# a person and now recovers by itself, or recovers faster). Effort: the higher of the monthly cost it adds (%
# of its base) and the resources it adds.
IMPACT_BY_SEVERITY = {"high": 5, "medium": 4, "low": 3}
IMPACT_BOUNDED = 4  # a disruption with no bound (a person must act) now recovers by itself
IMPACT_SHORTER = 3  # a bounded recovery gets shorter
IMPACT_NONE = 1
EFFORT_BY_PCT = ((10.0, 1), (20.0, 2), (40.0, 3), (80.0, 4))
EFFORT_BY_RESOURCES = ((3, 1), (6, 2), (12, 3), (25, 4))
EFFORT_MAX = 5


def scoring_rule() -> dict[str, Any]:
    """The scoring constants above, for the page that states the rule (never a second copy of the numbers)."""
    return {
        "severity": IMPACT_BY_SEVERITY,
        "bounded": IMPACT_BOUNDED,
        "shorter": IMPACT_SHORTER,
        "pct": EFFORT_BY_PCT,
        "resources": EFFORT_BY_RESOURCES,
        "max": EFFORT_MAX,
    }


def impact_effort(row: dict[str, Any]) -> tuple[int, int, str]:
    """(impact, effort, why) of one step, from the SPOFs it removes, the downtime it avoids, the monthly cost
    and the resources it adds."""
    severities = [sev for _, sev in row["removed"]]
    by_severity = max((IMPACT_BY_SEVERITY.get(s, IMPACT_NONE) for s in severities), default=IMPACT_NONE)
    by_downtime = max(
        (IMPACT_BOUNDED if old is None else IMPACT_SHORTER for _, old, _ in row["shortened"]), default=IMPACT_NONE
    )
    impact = max(by_severity, by_downtime)
    by_cost = next((score for limit, score in EFFORT_BY_PCT if row["pct"] < limit), EFFORT_MAX)
    count = len(row["resources_added"])
    by_count = next((score for limit, score in EFFORT_BY_RESOURCES if count < limit), EFFORT_MAX)
    effort = max(by_cost, by_count)
    removed = ", ".join(f"{rid} ({sev})" for rid, sev in row["removed"]) or "없음"
    faster = ", ".join(
        f"{key} {'상한 없음' if old is None else f'{old} s'} → {new} s" for key, old, new in row["shortened"]
    )
    why = (
        f"없애는 SPOF: {removed}; 복구 단축: {faster or '없음'}; "
        f"월 {row['usd']:+,.2f} USD ({row['pct']:+.1f}%), 리소스 +{count}"
    )
    return impact, effort, why


def _synth_variants(out: Path) -> None:
    failure = run_infraforge("infraforge.variants", "--out", str(out))
    if failure is not None:
        raise FactError(f"synth of the resilience variants failed: {failure}")
