"""A synth of the same sources is copied, not run again (``covaex diff`` of an unchanged ref reuses ``cdktf.out``)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from covaex import synth
from covaex.errors import CliError
from covaex.synth import STAMP, SynthResult, synth_stacks


def _no_synth(*args: object, **kwargs: object) -> str:
    return "the app ran"


def test_a_seed_of_the_same_sources_is_copied(
    synthesized: SynthResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(synth, "run_infraforge", _no_synth)  # a synth here would fail the call
    result = synth_stacks(tmp_path / "out", seeds=(synthesized.out,))
    assert result.cached and result.stacks == synthesized.stacks
    for stack in result.stacks:
        assert result.stack_json(stack).read_bytes() == synthesized.stack_json(stack).read_bytes()


def test_a_seed_of_other_sources_is_not_used(
    synthesized: SynthResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed = tmp_path / "seed"
    shutil.copytree(synthesized.out / "stacks", seed / "stacks")
    stamp = json.loads((synthesized.out / STAMP).read_text())
    (seed / STAMP).write_text(json.dumps({**stamp, "hash": "0" * 64}))
    monkeypatch.setattr(synth, "run_infraforge", _no_synth)
    with pytest.raises(CliError, match="synth failed: the app ran"):
        synth_stacks(tmp_path / "out", seeds=(seed,))
