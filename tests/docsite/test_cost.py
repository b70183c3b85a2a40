"""The fixed monthly floor per stack: dev below prod, for the documented reasons only."""

from __future__ import annotations

from collections import defaultdict

import pytest

from covaex.docsite.facts.cost import StackCost, stack_cost
from covaex.docsite.inputs import load_data
from covaex.docsite.tfjson import TerraformDoc
from covaex.synth import SynthResult


def _floor(synthesized: SynthResult, stack: str) -> StackCost:
    return stack_cost(TerraformDoc.load(stack, synthesized.stack_json(stack)), load_data()["prices"])


def _by_type(cost: StackCost) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for line in cost.lines:
        for address in line.addresses:
            totals[address.split(".")[0]] += line.monthly / len(line.addresses)
    return totals


def test_every_always_on_resource_of_v1_is_priced(synthesized: SynthResult) -> None:
    for stack in ("tobe-v1-dev", "tobe-v1-prod"):
        assert _floor(synthesized, stack).missing == [], stack


def test_dev_floor_is_lower_than_prod_for_the_documented_reasons(synthesized: SynthResult) -> None:
    dev, prod = _floor(synthesized, "tobe-v1-dev"), _floor(synthesized, "tobe-v1-prod")
    assert dev.total < prod.total
    dev_types, prod_types = _by_type(dev), _by_type(prod)
    # infraforge/config.py: a NAT instance instead of NAT gateways, no VPN unless asked (so no
    # tunnel alarms), a smaller single-AZ database, smaller cache nodes, one app instance.
    cheaper = {t for t, monthly in prod_types.items() if dev_types.get(t, 0.0) < monthly - 0.005}
    assert cheaper == {
        "aws_nat_gateway",
        "aws_eip",  # each NAT gateway's public address (dev: the NAT instance's one)
        "aws_vpn_connection",
        "aws_cloudwatch_metric_alarm",  # the two VPN tunnel alarms
        "aws_db_instance",
        "aws_elasticache_replication_group",
        "aws_autoscaling_group",
    }
    assert "aws_nat_gateway" not in dev_types and "aws_vpn_connection" not in dev_types
    # the NAT instance, priced from the same EC2 table, costs under a tenth of prod's two NAT gateways
    assert dev_types["aws_instance"] < prod_types["aws_nat_gateway"] / 10
    assert dev_types["aws_lb"] == pytest.approx(prod_types["aws_lb"])


def test_an_unknown_size_is_reported_not_priced_as_zero(synthesized: SynthResult) -> None:
    doc = TerraformDoc.load("tobe-v1-dev", synthesized.stack_json("tobe-v1-dev"))
    doc.raw["resource"]["aws_db_instance"]["postgres"]["instance_class"] = "db.x9.huge"
    cost = stack_cost(doc, load_data()["prices"])
    assert any("db.x9.huge" in line for line in cost.missing)
