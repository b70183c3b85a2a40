"""The app: ``covaex synth`` and ``cdktf synth`` run the same entry point and produce every stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from covaex.synth import SynthResult
from tests.infra.stack_json import INFRA_STACKS, Json

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_cdktf_json_runs_the_same_entry_point_as_covaex_synth() -> None:
    config = json.loads((REPO_ROOT / "cdktf.json").read_text())
    assert config["app"].endswith("python -m infraforge")
    assert config["language"] == "python"


def test_every_infra_stack_is_synthesized(synthesized: SynthResult) -> None:
    for stack in INFRA_STACKS:
        assert stack in synthesized.stacks
        assert synthesized.stack_json(stack).is_file()


@pytest.mark.parametrize("name", INFRA_STACKS)
def test_stacks_deploy_to_seoul(name: str, stacks: dict[str, Json]) -> None:
    [provider] = stacks[name]["provider"]["aws"]
    assert provider["region"] == "ap-northeast-2"


def test_environment_stacks_differ_in_ranges(dev: Json, prod: Json) -> None:
    assert dev["resource"]["aws_vpc"]["vpc"]["cidr_block"] == "10.20.0.0/16"
    assert prod["resource"]["aws_vpc"]["vpc"]["cidr_block"] == "10.10.0.0/16"


@pytest.mark.parametrize("name", INFRA_STACKS)
def test_every_output_says_what_it_is_for(name: str, stacks: dict[str, Json]) -> None:
    # the reference page lists each output with its description, as terraform-docs does
    outputs = stacks[name]["output"]
    assert outputs
    missing = sorted(key for key, spec in outputs.items() if not str(spec.get("description", "")).strip())
    assert missing == [], f"{name}: outputs without a description: {missing}"
