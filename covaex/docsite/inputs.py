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
from infraforge.environments import PROFILES

from covaex.docsite.paths import DATA_DIR
from covaex.docsite.sections import PendingInput
from covaex.synth import SynthResult
from covaex.topology.tfjson import TerraformDoc, load_stack, union_stacks


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

    def environment(self, env: str) -> TerraformDoc:
        """The union of an environment's stacks (To-Be v1, then the Platform v2 that runs inside it).

        Platform v2 finds the v1 VPC, subnets and security groups by lookups;
        in the union those lookups are the v1 resources, so rules Platform v2
        adds to v1 groups and v1's shared NAT appear in one model.
        """
        cache = self.memo.setdefault("environment", {})
        if env not in cache:
            names = [f"{family}{env}" for family in STORY_FAMILIES if f"{family}{env}" in self.stacks]
            if not names:
                raise PendingInput(f"no stack of environment `{env}` is synthesized yet")
            # The registry (ECR) is shared by both environments: its images are what the nodes pull.
            names += [n for n in SHARED_STACKS if n in self.stacks and any(s.startswith("platform-v2-") for s in names)]
            cache[env] = union_stacks(env, [self.stacks[n] for n in names])
        doc: TerraformDoc = cache[env]
        return doc

    def environments(self) -> list[str]:
        """Environments with at least one To-Be / Platform stack, dev first."""
        envs = {environment_of(s) for s in self.stacks if s.startswith(STORY_FAMILIES)}
        return sorted((e for e in envs if e), key=_environment_order)


ENVIRONMENTS = tuple(PROFILES)
"""The environments, in the profile table's order (dev before prod): the stacks' own list, never retyped."""
STORY_FAMILIES = ("tobe-v1-", "platform-v2-")
SHARED_STACKS = ("platform-v2-registry",)


def environment_of(stack: str) -> str | None:
    """``prod`` for ``tobe-v1-prod`` and ``platform-v2-prod``; None for shared stacks (state, registry)."""
    for family in STORY_FAMILIES:
        if stack.startswith(family) and stack.removeprefix(family) in ENVIRONMENTS:
            return stack.removeprefix(family)
    return None


def environment_label(env: str) -> str:
    return f"{env} (To-Be v1 + Platform v2)"


def story_order(stack: str) -> tuple[int, int, str]:
    """Stacks as the story tells them: v1 before v2, dev before prod, shared stacks (registry, state) last."""
    family = next((i for i, p in enumerate(STORY_FAMILIES) if stack.startswith(p)), len(STORY_FAMILIES))
    return (family, _environment_order(stack.rsplit("-", 1)[-1])[0], stack)


def _environment_order(env: str) -> tuple[int, str]:
    return (ENVIRONMENTS.index(env) if env in ENVIRONMENTS else len(ENVIRONMENTS), env)


_FAMILY_LABELS = {"tobe-v1-": "To-Be v1", "platform-v2-": "Platform v2"}


def stack_label(name: str) -> str:
    """How a stack is titled on tabs: ``tobe-v1-dev`` -> ``To-Be v1 · dev``; other names unchanged."""
    for prefix, label in _FAMILY_LABELS.items():
        if name.startswith(prefix):
            return f"{label} · {name.removeprefix(prefix)}"
    return name


def load_stacks(synth: SynthResult) -> dict[str, TerraformDoc]:
    return {name: load_stack(name, synth.stack_json(name)) for name in sorted(synth.stacks)}


def load_data(data_dir: Path = DATA_DIR) -> dict[str, Any]:
    """``templates/data/<name>.yaml`` -> ``{name: parsed}``."""
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(data_dir.glob("*.yaml"))}
