"""``covaex diff BASE [HEAD]``: load both sides, review, print, and gate.

Exit status: 1 when a finding at the ``--fail-on`` severity or worse is
introduced, 2 for bad usage or input (raised as BadInput), 0 otherwise.
Progress goes to stderr, the review alone to stdout.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from covaex.diff.ingredients import draw
from covaex.diff.markdown import render
from covaex.diff.review import FAIL_ON, Review, review
from covaex.diff.sources import Side, load, resolve
from covaex.errors import BadInput
from covaex.progress import Steps

FORMATS = ("md", "json")


def run_diff(base: str, head: str | None, *, fmt: str, fail_on: str, diagrams: Path | None = None) -> int:
    if fmt not in FORMATS:
        raise BadInput(f"unknown format {fmt!r}: use md or json")
    if fail_on not in FAIL_ON:
        raise BadInput(f"unknown --fail-on {fail_on!r}: use {', '.join(FAIL_ON)}")
    if diagrams is not None and not diagrams.parent.is_dir():
        raise BadInput(f"{diagrams.parent}: no such directory for --diagrams")
    sources = resolve(base), resolve(head)  # every bad argument reported before any synth starts
    steps = Steps(4 if diagrams is not None else 3)
    with ThreadPoolExecutor(1) as pool:
        # HEAD loads beside BASE: two cold synths (each a Node process) overlap instead of queueing.
        head_future = pool.submit(load, sources[1])
        with steps.step(f"BASE: {sources[0].label}"):
            base_side = load(sources[0])
        _note(steps, base_side)
        with steps.step(f"HEAD: {sources[1].label}"):
            head_side = head_future.result()
        _note(steps, head_side)
    with steps.step("compare"):
        result = review(base_side, head_side)
    drawn: list[str] = []
    if diagrams is not None:
        with steps.step(f"draw changed stacks into {diagrams}"):
            drawn = draw_changed(result, diagrams)
    if fmt == "json":
        json.dump(result.to_json(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render(result, fail_on=fail_on, diagrams=drawn))
    return 1 if result.gate(fail_on) else 0


def _note(steps: Steps, side: Side) -> None:
    steps.note(f"{len(side.stacks)} stack{'' if len(side.stacks) == 1 else 's'} ({side.origin})")


def draw_changed(result: Review, out: Path) -> list[str]:
    """``<stack>.before.svg`` / ``<stack>.after.svg`` for each changed stack present on that side."""
    out.mkdir(exist_ok=True)
    names = []
    for stack in result.changed_stacks:
        for suffix, side in (("before", result.base), ("after", result.head)):
            doc = side.stacks.get(stack)
            if doc is not None:
                name = f"{stack}.{suffix}.svg"
                draw(stack, doc, out / name, title=f"{stack} ({suffix}: {side.label})")
                names.append(name)
    return names
