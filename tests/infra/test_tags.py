"""Common tags: every taggable resource of every infra stack carries Project, Environment and ManagedBy."""

from __future__ import annotations

import importlib

import pytest

from tests.infra.stack_json import INFRA_STACKS, Json, all_resources

REQUIRED = ("Project", "Environment", "ManagedBy")


def _taggable(rtype: str) -> bool:
    module = importlib.import_module(f"cdktf_cdktf_provider_aws.{rtype.removeprefix('aws_')}")
    cls = next(v for v in vars(module).values() if getattr(v, "TF_RESOURCE_TYPE", None) == rtype)
    return hasattr(cls, "tags_input")


@pytest.mark.aws_provider  # the provider's resource classes say which types take tags
@pytest.mark.parametrize("name", INFRA_STACKS)
def test_every_taggable_resource_has_the_common_tags(name: str, stacks: dict[str, Json]) -> None:
    environment = name.removeprefix("tobe-v1-") if name != "state" else "shared"
    checked = 0
    for address, body in all_resources(stacks[name]):
        if not _taggable(address.split(".")[0]):
            continue
        checked += 1
        tags = body.get("tags", {})
        assert {k: tags.get(k) for k in REQUIRED} == {
            "Project": "covaex",
            "Environment": environment,
            "ManagedBy": "cdktf",
        }, address
    assert checked >= (2 if name == "state" else 50)


def test_resource_tags_win_over_common_ones(prod: Json) -> None:
    subnet = prod["resource"]["aws_subnet"]["data_c"]
    assert subnet["tags"]["Tier"] == "data"
    assert subnet["tags"]["Name"] == "covaex-prod-data-c"
