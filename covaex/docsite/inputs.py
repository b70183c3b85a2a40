"""Everything the pages are built from, loaded once per build.

* the synthesized stacks (``covaex.synth``; cached by a hash of ``cdktf/``),
* the narrative data files under ``templates/data/`` (symptoms, risks,
  priorities, metrics, prices, runbooks): the inputs no code can provide.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from covaex.docsite.paths import DATA_DIR
from covaex.docsite.sections import PendingInput
from covaex.docsite.tfjson import TerraformDoc
from covaex.synth import SynthResult


@dataclass(frozen=True)
class Inputs:
    """``memo`` holds values derived once per build (topology models) and shared by pages."""

    stacks: Mapping[str, TerraformDoc]
    data: Mapping[str, Any]
    memo: dict[str, Any] = field(default_factory=dict, compare=False)

    def stack(self, name: str) -> TerraformDoc:
        """One stack by name; pending (not an error) while it has not landed."""
        try:
            return self.stacks[name]
        except KeyError:
            have = ", ".join(sorted(self.stacks)) or "none"
            raise PendingInput(f"stack `{name}` is not synthesized yet (stacks: {have})") from None

    def stack_names(self, prefix: str) -> list[str]:
        return sorted(s for s in self.stacks if s.startswith(prefix))


STORY_FAMILIES = ("tobe-v1-", "platform-v2-")


def story_order(stack: str) -> tuple[int, int, str]:
    """Stacks as the story tells them: v1 before v2, dev before prod, shared stacks (registry, state) last."""
    family = next((i for i, p in enumerate(STORY_FAMILIES) if stack.startswith(p)), len(STORY_FAMILIES))
    env = {"dev": 0, "prod": 1}.get(stack.rsplit("-", 1)[-1], 2)
    return (family, env, stack)


_FAMILY_LABELS = {"tobe-v1-": "To-Be v1", "platform-v2-": "Platform v2"}


def stack_label(name: str) -> str:
    """How a stack is titled on tabs: ``tobe-v1-dev`` -> ``To-Be v1 · dev``; other names unchanged."""
    for prefix, label in _FAMILY_LABELS.items():
        if name.startswith(prefix):
            return f"{label} · {name.removeprefix(prefix)}"
    return name


def load_stacks(synth: SynthResult) -> dict[str, TerraformDoc]:
    return {name: TerraformDoc.load(name, synth.stack_json(name)) for name in sorted(synth.stacks)}


def load_data(data_dir: Path = DATA_DIR) -> dict[str, Any]:
    """``templates/data/<name>.yaml`` -> ``{name: parsed}``."""
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(data_dir.glob("*.yaml"))}
