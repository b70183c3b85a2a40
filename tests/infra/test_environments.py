"""Environments as data: one profile table that To-Be v1 and Platform v2 both read.

A third environment is one :class:`EnvironmentProfile` plus its inputs; the
test below builds one that exists only here and synthesizes its two stacks (in
a tmp dir, nothing else of the app), so "adding staging is one entry" stays true.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
from infraforge.config import ENVIRONMENTS, environment_config
from infraforge.environments import DEV, PROD, PROFILES, EnvironmentProfile
from infraforge.inputs import DOCS_EXAMPLE_DEFAULTS, read_inputs
from infraforge.platform.config import PLATFORMS, platform_config

STAGING = dataclasses.replace(
    PROD,
    name="staging",
    vpc_cidr="10.30.0.0/16",
    onprem_bgp_asn=65002,
    app_max_size=3,
    deletion_protection=False,
    node_max_size=4,
)


def test_every_stack_family_lists_the_same_environments() -> None:
    assert ENVIRONMENTS == tuple(PROFILES) == tuple(PLATFORMS) == ("dev", "prod")
    assert {p.vpc_cidr for p in PROFILES.values()} == {"10.20.0.0/16", "10.10.0.0/16"}
    assert len({p.onprem_bgp_asn for p in PROFILES.values()}) == len(PROFILES)


def _changed(value: object) -> object:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return f"{value}-changed"
    if isinstance(value, tuple):
        return (*value, "changed")
    if value is None:
        return "t4g.micro"
    raise AssertionError(f"no change rule for {value!r}: add one for the new field's type")


@pytest.mark.parametrize("base", [DEV, PROD], ids=["dev", "prod"])
@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(EnvironmentProfile)])
def test_every_profile_field_reaches_a_config(base: EnvironmentProfile, field: str) -> None:
    """A field nothing reads is a setting that silently does nothing: changing it must change a config.

    (Or be refused by the config it reaches, e.g. a NAT instance without a single NAT.)
    """
    inputs = read_inputs(base.name, {}, None, DOCS_EXAMPLE_DEFAULTS)
    before = (environment_config(base, inputs), platform_config(base))
    changed = dataclasses.replace(base, **{field: _changed(getattr(base, field))})
    try:
        after = (environment_config(changed, inputs), platform_config(changed))
    except ValueError:
        return
    assert after != before, f"EnvironmentProfile.{field} is read by neither infraforge.config nor platform.config"


def _resources(stack: dict[str, Any], rtype: str) -> dict[str, Any]:
    found: dict[str, Any] = stack.get("resource", {}).get(rtype, {})
    return found


@pytest.mark.aws_provider
def test_a_third_environment_is_one_profile(tmp_path: Path) -> None:
    from cdktf import App
    from infraforge.platform.stacks import PlatformStack
    from infraforge.stacks.tobe_v1 import TobeV1Stack

    app = App(outdir=str(tmp_path))
    inputs = read_inputs("staging", {}, None, DOCS_EXAMPLE_DEFAULTS)
    TobeV1Stack(app, environment_config(STAGING, inputs))
    PlatformStack(app, platform_config(STAGING), inputs)
    app.synth()
    v1 = json.loads((tmp_path / "stacks" / "tobe-v1-staging" / "cdk.tf.json").read_text())
    v2 = json.loads((tmp_path / "stacks" / "platform-v2-staging" / "cdk.tf.json").read_text())

    (vpc,) = _resources(v1, "aws_vpc").values()
    assert vpc["cidr_block"] == "10.30.0.0/16"
    assert vpc["tags"]["Name"] == "covaex-staging-vpc"
    (gateway,) = _resources(v1, "aws_customer_gateway").values()
    assert gateway["bgp_asn"] == "65002"
    (group,) = _resources(v1, "aws_autoscaling_group").values()
    assert (group["min_size"], group["max_size"]) == (2, 3)
    (database,) = _resources(v1, "aws_db_instance").values()
    assert database["deletion_protection"] is False and database["multi_az"] is True
    assert v1["terraform"]["backend"]["s3"]["key"] == "tobe-v1/staging/terraform.tfstate"
    # The service runs with a posture it knows (prod's), not the environment's name, which it would refuse.
    (template,) = _resources(v1, "aws_launch_template").values()
    assert re.findall(r"COVAEX_ENV=(\w+)", template["user_data"]) == ["prod"]

    (cluster,) = _resources(v2, "aws_eks_cluster").values()
    assert cluster["name"] == "covaex-staging"
    (nodes,) = _resources(v2, "aws_eks_node_group").values()
    assert nodes["scaling_config"]["max_size"] == 4
    # Platform v2 finds the staging network by its v1 tags, never dev's or prod's.
    (lookup,) = v2["data"]["aws_vpc"].values()
    assert {"name": "tag:Environment", "values": ["staging"]} in lookup["filter"]
    assert v2["terraform"]["backend"]["s3"]["key"] == "platform-v2/staging/terraform.tfstate"
