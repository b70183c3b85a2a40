"""SPOF findings as the ``covaex spof`` outputs: the JSON object of INTERFACE.md and Markdown.

    findings_json(findings)                -> {"findings": [{"id", "severity", "resources", "title",
                                               "evidence", "remediation", "basis"}, ...]}
    findings_markdown(findings, title=...)  -> a Markdown section with one table row per finding

``basis`` is an addition to the INTERFACE shape (a list of Well-Architected /
Security Hub references); every other key is exactly as the contract says.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from covaex.topology.spof_rules import Finding


def findings_json(findings: Sequence[Finding]) -> dict[str, Any]:
    return {
        "findings": [
            {
                "id": f.id,
                "severity": f.severity,
                "resources": list(f.resources),
                "title": f.title,
                "evidence": f.evidence,
                "remediation": f.remediation,
                "basis": list(f.basis),
            }
            for f in findings
        ]
    }


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def findings_markdown(findings: Sequence[Finding], *, title: str) -> str:
    lines = [f"## SPOF findings: {title}", ""]
    if not findings:
        return "\n".join([*lines, "No single point of failure found.", ""])
    counts = {s: sum(f.severity == s for f in findings) for s in ("high", "medium", "low")}
    lines += [", ".join(f"{n} {s}" for s, n in counts.items()), ""]
    lines += [
        "| id | severity | resources | finding | evidence | remediation | basis |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for f in findings:
        resources = "<br>".join(f"`{r}`" for r in f.resources)
        basis = "<br>".join(_cell(b) for b in f.basis)
        lines.append(
            f"| {f.id} | {f.severity} | {resources} | {_cell(f.title)} | {_cell(f.evidence)} "
            f"| {_cell(f.remediation)} | {basis} |"
        )
    return "\n".join([*lines, ""])
