"""Compare two sides into a Review: the object ``covaex diff --format json`` prints.

    review(base, head)           -> Review
    Review.to_json()             -> {"base", "head", "stacks", "spof", "cost", "exposure", "iam"}
    Review.gate(threshold)       -> the introduced findings at ``threshold`` severity or higher

A finding is the same on both sides when its stack, rule id and resources are:
its evidence may quote values that changed without the finding changing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from covaex.diff.ingredients import Exposure, StackFacts, load_prices, stack_facts
from covaex.diff.resources import ResourceDiff, resource_diff
from covaex.diff.sources import Side

SEVERITIES = ("high", "medium", "low")
FAIL_ON = (*SEVERITIES, "never")
_EMPTY = StackFacts((), 0.0, frozenset(), {})


@dataclass(frozen=True)
class Review:
    base: Side
    head: Side
    stacks: Mapping[str, ResourceDiff]
    introduced: tuple[Mapping[str, Any], ...]
    resolved: tuple[Mapping[str, Any], ...]
    cost: Mapping[str, tuple[float, float]]  # stack -> (before, after), only where they differ
    exposure: tuple[tuple[Exposure, str, str], ...]  # (exposure, stack, "opened" | "closed")
    iam: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...]  # (stack, role, added, removed)

    def gate(self, threshold: str) -> list[Mapping[str, Any]]:
        if threshold == "never":
            return []
        worst = SEVERITIES.index(threshold)
        return [f for f in self.introduced if SEVERITIES.index(str(f["severity"])) <= worst]

    @property
    def changed_stacks(self) -> list[str]:
        return sorted(self.stacks)

    def to_json(self) -> dict[str, Any]:
        return {
            "base": self.base.label,
            "head": self.head.label,
            "stacks": {
                name: {
                    "added": list(d.added),
                    "removed": list(d.removed),
                    "changed": [{"address": a, "attributes": list(paths)} for a, paths in d.changed],
                }
                for name, d in sorted(self.stacks.items())
            },
            "spof": {"introduced": [dict(f) for f in self.introduced], "resolved": [dict(f) for f in self.resolved]},
            "cost": {
                name: {
                    "before": before,
                    "after": after,
                    "delta": round(after - before, 2),
                    "delta_pct": change_pct(before, after),
                }
                for name, (before, after) in sorted(self.cost.items())
            },
            "exposure": [
                {"stack": stack, "address": e.address, "change": change, "detail": e.detail}
                for e, stack, change in self.exposure
            ],
            "iam": [
                {"stack": stack, "address": role, "added": list(added), "removed": list(removed)}
                for stack, role, added, removed in self.iam
            ],
        }


def review(base: Side, head: Side) -> Review:
    prices = load_prices()
    names = sorted(base.stacks.keys() | head.stacks.keys())

    def facts(side: Side, name: str) -> StackFacts:
        doc = side.stacks.get(name)
        return stack_facts(name, doc, prices) if doc is not None else _EMPTY

    stacks: dict[str, ResourceDiff] = {}
    before: dict[str, StackFacts] = {}
    after: dict[str, StackFacts] = {}
    for name in names:
        diff = resource_diff(base.stacks.get(name, {}), head.stacks.get(name, {}))
        if diff:
            stacks[name] = diff
            # Unchanged stacks have unchanged findings, cost, rules and roles: only changed ones are analysed.
            before[name], after[name] = facts(base, name), facts(head, name)
    return Review(
        base=base,
        head=head,
        stacks=stacks,
        introduced=_new_findings(after, before),
        resolved=_new_findings(before, after),
        cost={
            n: (before[n].monthly_cost, after[n].monthly_cost)
            for n in stacks
            if before[n].monthly_cost != after[n].monthly_cost
        },
        exposure=_exposure(before, after),
        iam=_iam(before, after),
    )


def _key(finding: Mapping[str, Any]) -> tuple[str, str, tuple[str, ...]]:
    return (str(finding["stack"]), str(finding["id"]), tuple(finding["resources"]))


def _new_findings(side: Mapping[str, StackFacts], other: Mapping[str, StackFacts]) -> tuple[Mapping[str, Any], ...]:
    known = {_key(f) for facts in other.values() for f in facts.findings}
    found = [f for facts in side.values() for f in facts.findings if _key(f) not in known]
    return tuple(sorted(found, key=lambda f: (SEVERITIES.index(str(f["severity"])), *_key(f))))


def _exposure(
    before: Mapping[str, StackFacts], after: Mapping[str, StackFacts]
) -> tuple[tuple[Exposure, str, str], ...]:
    rows = []
    for name in sorted(after):
        old, new = before[name].exposure, after[name].exposure
        rows += [(e, name, "opened") for e in sorted(new - old)]
        rows += [(e, name, "closed") for e in sorted(old - new)]
    # Openings first, the whole internet before narrower sources.
    return tuple(sorted(rows, key=lambda r: (r[2] != "opened", not r[0].world, r[1], r[0])))


def _iam(
    before: Mapping[str, StackFacts], after: Mapping[str, StackFacts]
) -> tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...]:
    rows = []
    for name in sorted(after):
        old, new = before[name].grants, after[name].grants
        for role in sorted(old.keys() | new.keys()):
            gained = tuple(sorted(new.get(role, frozenset()) - old.get(role, frozenset())))
            lost = tuple(sorted(old.get(role, frozenset()) - new.get(role, frozenset())))
            if gained or lost:
                rows.append((name, role, gained, lost))
    return tuple(rows)


def change_pct(before: float, after: float) -> float | None:
    """The change in % of ``before``, as Infracost shows it beside the dollars; None for a stack that cost
    nothing before (a new stack has no percentage)."""
    if before == 0:
        return None
    return round(100.0 * (after - before) / before, 1)
