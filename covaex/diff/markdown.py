"""A Review as a pull-request comment: a one-line verdict, then only the sections with content.

Written for GitHub's comment column: lists rather than wide tables (the one
table, cost, has four short columns), long text folded in ``<details>``, so
nothing scrolls sideways. ``diagrams`` names the before/after drawings made
for the changed stacks, when the caller drew them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from covaex.diff.review import Review, change_pct

_SEVERITY_MARK = {"high": "🔴", "medium": "🟠", "low": "🟡"}


def render(review: Review, *, fail_on: str, diagrams: Sequence[str] = ()) -> str:
    sections = [
        _verdict(review, fail_on),
        _spof(review),
        _cost(review),
        _exposure(review),
        _iam(review),
        _resources(review),
        _diagrams(diagrams),
        _footer(review, fail_on),
    ]
    return "\n\n".join(s for s in sections if s) + "\n"


def _money(value: float, *, sign: bool = False) -> str:
    text = f"${abs(value):,.2f}"
    if sign:
        return ("+" if value > 0 else "−" if value < 0 else "±") + text
    return text


def _pct(before: float, after: float) -> str:
    """`` (+12.3%)`` after a dollar change, as Infracost shows it; `` (new)`` when nothing was paid before."""
    pct = change_pct(before, after)
    if pct is None:
        return " (new)" if after else ""
    sign = "+" if pct > 0 else "−" if pct < 0 else "±"  # the minus of the dollar figures
    return f" ({sign}{abs(pct):.1f}%)"


def _verdict(review: Review, fail_on: str) -> str:
    if not review.stacks:
        return "✅ **No infrastructure change**: the synthesized stacks are identical."
    tripped = review.gate(fail_on)
    facts = [f"{len(review.stacks)} stack{'s' if len(review.stacks) != 1 else ''} changed"]
    if review.introduced or review.resolved:
        facts.append(f"SPOF +{len(review.introduced)} / −{len(review.resolved)}")
    if review.cost:
        before = sum(b for b, _ in review.cost.values())
        delta = sum(after - b for b, after in review.cost.values())
        facts.append(f"{_money(delta, sign=True)}/month{_pct(before, before + delta)}")
    opened = sum(1 for _, _, change in review.exposure if change == "opened")
    if opened:
        facts.append(f"{opened} network opening{'s' if opened != 1 else ''}")
    granted = sum(len(added) for _, _, added, _ in review.iam)
    if granted:
        facts.append(f"{granted} IAM grant{'s' if granted != 1 else ''} added")
    summary = " · ".join(facts)
    if tripped:
        count = f"{len(tripped)} single point{'' if len(tripped) == 1 else 's'} of failure"
        return f"❌ **Blocked**: introduces {count} at `{fail_on}` severity or worse · {summary}"
    if review.introduced or opened or granted:
        return f"⚠️ **Review needed** · {summary}"
    return f"✅ **No new risk** · {summary}"


def _finding(f: Mapping[str, Any]) -> str:
    resources = ", ".join(f"`{r}`" for r in f["resources"])
    return (
        f"- {_SEVERITY_MARK.get(str(f['severity']), '')} **{f['severity']}** `{f['id']}` in `{f['stack']}`: "
        f"{f['title']} ({resources})\n"
        f"  <details><summary>evidence and fix</summary>\n\n"
        f"  {f['evidence']}\n\n  **Fix:** {f['remediation']}\n  </details>"
    )


def _spof(review: Review) -> str:
    if not (review.introduced or review.resolved):
        return ""
    parts = ["### Single points of failure"]
    if review.introduced:
        parts.append("**Introduced**\n\n" + "\n".join(_finding(f) for f in review.introduced))
    if review.resolved:
        parts.append(
            "**Resolved**\n\n"
            + "\n".join(f"- ~~`{f['id']}`~~ in `{f['stack']}`: {f['title']}" for f in review.resolved)
        )
    return "\n\n".join(parts)


def _cost(review: Review) -> str:
    if not review.cost:
        return ""
    rows = [
        f"| `{name}` | {_money(before)} | {_money(after)} | {_money(after - before, sign=True)}{_pct(before, after)} |"
        for name, (before, after) in sorted(review.cost.items())
    ]
    return "\n".join(
        [
            "### Monthly cost (fixed, always-on resources)",
            "",
            "| stack | before | after | change |",
            "| --- | ---: | ---: | ---: |",
            *rows,
        ]
    )


def _exposure(review: Review) -> str:
    if not review.exposure:
        return ""
    lines = ["### Network exposure", ""]
    for e, stack, change in review.exposure:
        mark = "🔓 opened" if change == "opened" else "🔒 closed"
        loud = "**" if change == "opened" and e.world else ""
        lines.append(f"- {mark} in `{stack}`: {loud}{e.detail}{loud} (`{e.address}`)")
    return "\n".join(lines)


def _iam(review: Review) -> str:
    if not review.iam:
        return ""
    lines = ["### IAM", ""]
    for stack, role, added, removed in review.iam:
        lines.append(f"- `{role}` in `{stack}`")
        if added:
            lines.append(f"  - granted: {', '.join(f'`{a}`' for a in added)}")
        if removed:
            lines.append(f"  - revoked: {', '.join(f'`{a}`' for a in removed)}")
    return "\n".join(lines)


def _resources(review: Review) -> str:
    if not review.stacks:
        return ""
    parts = ["### Resources"]
    for name, d in sorted(review.stacks.items()):
        head = f"`{name}`: +{len(d.added)} added, −{len(d.removed)} removed, ~{len(d.changed)} changed"
        if name not in review.base.stacks:
            head += " (new stack)"
        elif name not in review.head.stacks:
            head += " (stack removed)"
        body = []
        for old, new in d.renamed:
            body.append(
                f"- ⚠️ renamed `{old}` → `{new}`: Terraform destroys and recreates it unless a `moved` block says so"
            )
        body += [f"- ➕ `{a}`" for a in d.added]
        body += [f"- ➖ `{a}`" for a in d.removed]
        body += [f"- ✏️ `{a}`: {', '.join(f'`{p}`' for p in paths)}" for a, paths in d.changed]
        parts.append(f"<details><summary>{_inline_md(head)}</summary>\n\n" + "\n".join(body) + "\n</details>")
    return "\n\n".join(parts)


def _inline_md(text: str) -> str:
    """Inline code in a <summary>, which GitHub renders as HTML, not Markdown."""
    out, code = [], False
    for piece in text.split("`"):
        out.append(f"<code>{piece}</code>" if code else piece)
        code = not code
    return "".join(out)


def _diagrams(names: Sequence[str]) -> str:
    if not names:
        return ""
    return "### Diagrams\n\nBefore and after, for each changed stack: " + ", ".join(f"`{n}`" for n in names)


def _footer(review: Review, fail_on: str) -> str:
    def side(label: str, commit: str | None) -> str:
        return f"`{label}`" + (f" ({commit[:12]})" if commit and not label.startswith(commit[:7]) else "")

    gate = "off" if fail_on == "never" else f"fails on a new `{fail_on}` finding or worse"
    return (
        f"<sub>covaex diff {side(review.base.label, review.base.commit)} → "
        f"{side(review.head.label, review.head.commit)} · gate: {gate}</sub>"
    )
