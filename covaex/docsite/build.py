"""``covaex docs build`` and ``covaex docs check``.

Both run the same pipeline, printing one timed line per phase:

1. synth the CDKTF stacks (reused while ``cdktf/`` is unchanged),
2. load the stacks and the narrative data files,
3. topology model, SPOF findings and diagrams (diagrams cached by their input),
4. page data: one section per concern, from stacks, service code and deploy files,
5. render ``templates/pages/`` with Jinja, then the slide deck (:mod:`.slides`),
6. build: write only the files that changed under ``docs/generated/``;
   check: compare with them and fail naming every differing file;
7. build only: the UI's screenshots into ``docs/screenshots/`` (ignored by
   git, outside the drift gate; :mod:`.screenshots`).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from covaex.docsite.artifacts import render_artifacts
from covaex.docsite.facts import collect_sections
from covaex.docsite.inputs import Inputs, load_data, load_stacks
from covaex.docsite.paths import GENERATED_DIR, REPO_ROOT, SYNTH_OUT
from covaex.docsite.placeholders import mark_placeholders
from covaex.docsite.render import render_pages
from covaex.docsite.screenshots import NotBuilt, build_screenshots
from covaex.docsite.slides import render_deck
from covaex.docsite.sync import diff_tree, unified_diff, write_tree
from covaex.errors import CliError
from covaex.progress import Steps
from covaex.synth import synth_stacks

PHASES = 6


def load_inputs(steps: Steps, synth_out: Path = SYNTH_OUT) -> Inputs:
    synth = synth_stacks(synth_out, steps=steps)
    with steps.step(f"load {len(synth.stacks)} stacks and narrative data"):
        return Inputs(stacks=load_stacks(synth), data=load_data())


def render_site(inputs: Inputs, steps: Steps) -> dict[str, bytes]:
    """Every generated file (pages and images), keyed by path under ``docs/generated/``."""
    with steps.step("topology model, SPOF findings, diagrams"):
        sections, artifacts = render_artifacts(inputs)
    with steps.step("page data from stacks, service code, deploy and CI files"):
        collect_sections(inputs, sections)
    for name, reason in sorted(sections.pending.items()):
        steps.note(f"pending: {name}: {reason}")
    with steps.step("render pages and the slide deck"):
        context = {"s": sections.values, "data": inputs.data, "stacks": sorted(inputs.stacks)}
        pages = mark_placeholders(render_pages(context), artifacts)
        pages.update(render_deck(context))
    clash = sorted(set(pages) & set(artifacts))
    if clash:
        raise CliError(f"a page and an image would both be written to {clash[0]}")
    return {**pages, **artifacts}


def build_docs(
    *,
    generated_dir: Path = GENERATED_DIR,
    quiet: bool = False,
    inputs: Inputs | None = None,
    screenshots_dir: Path | None = None,
) -> Mapping[str, bytes]:
    """Regenerate ``generated_dir``; ``inputs`` (already loaded stacks) skips the synth phase.

    With ``screenshots_dir`` (``covaex docs build``), then take the UI's
    screenshots there; that they could not be taken is one line, not a failure.
    """
    steps = Steps(PHASES - (inputs is not None) * 2 + (screenshots_dir is not None), quiet=quiet)
    files = render_site(inputs or load_inputs(steps), steps)
    with steps.step(f"write {_rel(generated_dir)}"):
        diff = write_tree(generated_dir, files)
    changed = len(diff.changed) + len(diff.missing) + len(diff.stale)
    steps.note(f"{len(files)} generated files, " + (f"{changed} updated" if changed else "all up to date"))
    if screenshots_dir is not None:
        reason = ""
        with steps.step(f"screenshots of the UI into {_rel(screenshots_dir)}"):
            try:
                taken = build_screenshots(screenshots_dir)
            except NotBuilt as exc:
                taken, reason = [], str(exc)
        if reason:
            print(f"covaex: screenshots not built: {reason}", file=sys.stderr)
        else:
            steps.note(f"{len(taken)} screenshots: main and coin page, desktop and phone, light and dark")
    return files


def check_docs(*, generated_dir: Path = GENERATED_DIR, quiet: bool = False, inputs: Inputs | None = None) -> int:
    """0 when ``generated_dir`` holds exactly what the definitions produce, else 1 naming each differing file
    and printing a few lines of unified diff per file (what changed, not only where)."""
    steps = Steps(PHASES - (inputs is not None) * 2, quiet=quiet)
    files = render_site(inputs or load_inputs(steps), steps)
    with steps.step(f"compare with {_rel(generated_dir)}"):
        diff = diff_tree(generated_dir, files)
    if diff.clean:
        return 0
    for line in diff.lines(f"{_rel(generated_dir)}/"):
        print(line)
    for rel in diff.changed + diff.missing:
        for line in unified_diff(generated_dir, rel, files[rel]):
            print(line)
    count = len(diff.lines(""))
    print(
        f"covaex: error: {count} generated file(s) differ from what the definitions produce; "
        "run 'covaex docs build' and commit docs/generated/",
        file=sys.stderr,
    )
    return 1


def _rel(path: Path) -> str:
    return path.relative_to(REPO_ROOT).as_posix() if path.is_relative_to(REPO_ROOT) else str(path)
