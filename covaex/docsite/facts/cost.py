"""The cost page's data: every stack priced by :mod:`covaex.analysis.cost`, environments combined, dev vs prod."""

from __future__ import annotations

from typing import Any

from covaex.analysis.cost import CostError, Line, StackCost, monthly_cost, stack_cost
from covaex.docsite.inputs import ENVIRONMENTS, Inputs, story_order
from covaex.docsite.sections import PendingInput

__all__ = ["CostError", "StackCost", "costs", "monthly_cost", "stack_cost", "tradeoffs"]

COST_PREFIXES = ("tobe-v1-", "platform-v2-", "state")


def costs(inputs: Inputs) -> dict[str, Any]:
    prices = inputs.data.get("prices")
    if not prices:
        raise PendingInput("`templates/data/prices.yaml` is missing")
    stacks = sorted((s for s in inputs.stacks if s.startswith(COST_PREFIXES)), key=story_order)
    if not stacks:
        raise PendingInput("no stack is synthesized yet")
    per_stack = {name: monthly_cost(inputs.stack(name), prices) for name in stacks}
    asis_items = prices.get("asis", {}).get("items", [])
    # Platform v2 runs inside the v1 network of its environment: what an environment costs with both.
    combined = {
        env: round(per_stack[f"tobe-v1-{env}"].total + per_stack[f"platform-v2-{env}"].total, 2)
        for env in ENVIRONMENTS
        if f"tobe-v1-{env}" in per_stack and f"platform-v2-{env}" in per_stack
    }
    return {
        "prices": prices,
        "stacks": per_stack,
        "combined": combined,
        "asis": {
            "items": asis_items,
            "total": round(sum(float(i["monthly"]) for i in asis_items), 2),
            "source": prices.get("asis", {}).get("source", ""),
        },
    }


def tradeoffs(inputs: Inputs) -> list[dict[str, Any]]:
    """dev vs prod per resource type: the monthly saving in dev (never negative: a dearer dev says so) and the
    SPOF findings only dev has on those resources."""
    from covaex.docsite.topology import stack_topology
    from covaex.topology.spof import spof_findings

    data = costs(inputs)
    rows = []
    for family in ("tobe-v1", "platform-v2"):
        dev, prod = data["stacks"].get(f"{family}-dev"), data["stacks"].get(f"{family}-prod")
        if dev is None or prod is None:
            continue
        dev_findings = spof_findings(stack_topology(inputs, dev.stack))
        prod_ids = {f.id for f in spof_findings(stack_topology(inputs, prod.stack))}
        for type_ in sorted({_type_of(line) for line in dev.lines} | {_type_of(line) for line in prod.lines}):
            d = [line for line in dev.lines if _type_of(line) == type_]
            p = [line for line in prod.lines if _type_of(line) == type_]
            d_cost, p_cost = round(sum(x.monthly for x in d), 2), round(sum(x.monthly for x in p), 2)
            if _shape(d) == _shape(p) and d_cost == p_cost:
                continue
            addresses = {a for x in d for a in x.addresses}
            accepted = sorted({f.id for f in dev_findings if f.id not in prod_ids and set(f.resources) & addresses})
            rows.append(
                {
                    "family": family,
                    "kind": type_,
                    "dev": (_shape(d), d_cost),
                    "prod": (_shape(p), p_cost),
                    "saving": round(max(p_cost - d_cost, 0.0), 2),
                    "extra": round(max(d_cost - p_cost, 0.0), 2),
                    "spof": accepted,
                }
            )
    if not rows:
        raise PendingInput("no dev/prod stack pair is synthesized yet")
    return sorted(rows, key=lambda r: (r["family"], -r["saving"], r["kind"]))


def _type_of(line: Line) -> str:
    return line.addresses[0].split(".")[0] if line.addresses else line.kind


def _shape(lines: list[Line]) -> str:
    """``2 x t3.small, 40 x ebs-gp3``: what a side runs, by kind, for the trade-off table."""
    counts: dict[str, int] = {}
    for line in lines:
        counts[line.kind] = counts.get(line.kind, 0) + line.count
    return ", ".join(f"{n} x {kind}" for kind, n in sorted(counts.items())) or "none"
