"""The fixed monthly floor per stack: dev below prod, for the documented reasons only."""

from __future__ import annotations

import copy
import re
from collections import defaultdict

import pytest

from covaex.analysis.cost import flow_log_gb_month
from covaex.docsite.facts.cost import CostError, StackCost, monthly_cost, stack_cost, tradeoffs
from covaex.docsite.inputs import Inputs, load_data
from covaex.docsite.paths import REPO_ROOT
from covaex.synth import SynthResult
from covaex.topology.tfjson import TerraformDoc


def _floor(synthesized: SynthResult, stack: str) -> StackCost:
    return stack_cost(TerraformDoc.load(stack, synthesized.stack_json(stack)), load_data()["prices"])


def _by_type(cost: StackCost) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for line in cost.lines:
        for address in line.addresses:
            totals[address.split(".")[0]] += line.monthly / len(line.addresses)
    return totals


def test_every_resource_of_every_stack_is_priced_or_listed_free(synthesized: SynthResult) -> None:
    prices = load_data()["prices"]
    for stack in synthesized.stacks:
        doc = TerraformDoc.load(stack, synthesized.stack_json(stack))
        priced = {a for line in monthly_cost(doc, prices).lines for a in line.addresses}
        for res in doc.all_resources():
            # helm_release is priced only for the chart that creates a load balancer.
            assert res.address in priced or res.type in (*prices["free_types"], "helm_release"), res.address


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
        # the profile's flow logs: dev keeps the refused flows for 30 days, prod every flow for a year
        "aws_flow_log",
        "aws_cloudwatch_log_group",
    }
    assert "aws_nat_gateway" not in dev_types and "aws_vpn_connection" not in dev_types
    # the NAT instance, priced from the same EC2 table, costs under a tenth of prod's two NAT gateways
    assert dev_types["aws_instance"] < prod_types["aws_nat_gateway"] / 10
    assert dev_types["aws_lb"] == pytest.approx(prod_types["aws_lb"])


def test_an_unknown_size_fails_naming_the_resource(synthesized: SynthResult) -> None:
    doc = TerraformDoc.load("tobe-v1-dev", synthesized.stack_json("tobe-v1-dev"))
    doc.raw["resource"]["aws_db_instance"]["postgres"]["instance_class"] = "db.x9.huge"
    with pytest.raises(CostError, match=r"aws_db_instance\.postgres.*db\.x9\.huge"):
        stack_cost(doc, load_data()["prices"])


def test_an_unknown_instance_type_fails_instead_of_dropping_out_of_the_total(synthesized: SynthResult) -> None:
    doc = TerraformDoc.load("tobe-v1-prod", synthesized.stack_json("tobe-v1-prod"))
    doc.raw["resource"]["aws_launch_template"]["app"]["instance_type"] = "t3.xxxlarge"
    with pytest.raises(CostError, match=r"aws_autoscaling_group\.app.*t3\.xxxlarge"):
        monthly_cost(doc, load_data()["prices"])


def test_an_unpriced_resource_type_fails_naming_it(synthesized: SynthResult) -> None:
    doc = TerraformDoc.load("tobe-v1-dev", synthesized.stack_json("tobe-v1-dev"))
    doc.raw["resource"]["aws_mq_broker"] = {"events": {"host_instance_type": "mq.t3.micro"}}
    with pytest.raises(CostError, match=r"aws_mq_broker\.events"):
        monthly_cost(doc, load_data()["prices"])


def test_spot_nodes_are_priced_at_the_labelled_assumption_not_on_demand(synthesized: SynthResult) -> None:
    prices = load_data()["prices"]
    doc = TerraformDoc.load("platform-v2-dev", synthesized.stack_json("platform-v2-dev"))
    group = doc.raw["resource"]["aws_eks_node_group"]["general"]
    group["capacity_type"], group["instance_types"] = "SPOT", ["t3.large"]
    spot = monthly_cost(doc, prices)
    group["capacity_type"] = "ON_DEMAND"
    on_demand = monthly_cost(doc, prices)

    def node_line(cost: StackCost) -> float:
        return next(line.monthly for line in cost.lines if line.kind == "t3.large")

    fraction = prices["spot"]["fraction_of_on_demand"]
    assert node_line(spot) == pytest.approx(node_line(on_demand) * fraction, abs=0.02)
    assert any(prices["spot"]["recorded"] in note for note in spot.assumptions)
    # On-Demand nodes carry no assumption; the one left is the control-plane log volume (issue 24)
    assert on_demand.assumptions == [prices["eks_control_plane_logs"]["note"]]


def test_gp3_volumes_and_the_controller_alb_are_in_the_floor(synthesized: SynthResult) -> None:
    cost = _floor(synthesized, "platform-v2-prod")
    kinds = {line.kind for line in cost.lines}
    assert "GB of EBS gp3" in kinds
    assert any("aws_load_balancer_controller" in line.item and line.kind == "alb" for line in cost.lines)
    v1 = _floor(synthesized, "tobe-v1-prod")
    assert any(line.kind == "flow-logs" for line in v1.lines)


def test_readme_quotes_the_computed_v1_floors(synthesized: SynthResult) -> None:
    dev, prod = _floor(synthesized, "tobe-v1-dev").total, _floor(synthesized, "tobe-v1-prod").total
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    quoted = re.search(r"US\$ (\d+) for dev and (\d+) for prod", readme)
    assert quoted, "README no longer quotes the dev/prod floors"
    assert (int(quoted.group(1)), int(quoted.group(2))) == (round(dev), round(prod))


def test_a_dearer_dev_is_never_shown_as_a_negative_saving(real_inputs: Inputs) -> None:
    for row in tradeoffs(real_inputs):
        assert row["saving"] >= 0 and row["extra"] >= 0
        assert not (row["saving"] and row["extra"])


def _with(doc: TerraformDoc, rtype: str, name: str, **changes: object) -> TerraformDoc:
    raw = copy.deepcopy(dict(doc.raw))
    raw["resource"][rtype][name].update(changes)
    return TerraformDoc(doc.stack, raw)


def test_flow_logs_are_priced_from_their_own_settings(synthesized: SynthResult) -> None:
    prices = load_data()["prices"]
    flow = prices["flow_logs"]
    doc = TerraformDoc.load("tobe-v1-prod", synthesized.stack_json("tobe-v1-prod"))

    def priced(d: TerraformDoc) -> tuple[float, float]:
        lines = monthly_cost(d, prices).lines
        delivery = sum(line.monthly for line in lines if line.kind == "flow-logs")
        stored = sum(line.monthly for line in lines if line.kind == "flow-log-storage")
        return delivery, stored

    delivery, stored = priced(doc)
    gb = flow_log_gb_month(flow, traffic="ALL", interval_seconds=600, hours=730)
    assert delivery == pytest.approx(gb * flow["gb_price"]["cloud-watch-logs"], abs=0.01)
    assert stored == pytest.approx(gb * 365 / (730 / 24) * flow["storage_gb_month"]["cloud-watch-logs"], abs=0.01)
    # the old setting, every flow in 1-minute windows, writes the long-lived connections' records ten times
    one_minute, _ = priced(_with(doc, "aws_flow_log", "vpc", max_aggregation_interval=60))
    assert one_minute > delivery * 2
    rejected, _ = priced(_with(doc, "aws_flow_log", "vpc", traffic_type="REJECT"))
    assert rejected < delivery / 3
    shorter, _ = priced(_with(doc, "aws_cloudwatch_log_group", "flow_logs", retention_in_days=30))
    assert shorter == pytest.approx(delivery)
    assert priced(_with(doc, "aws_cloudwatch_log_group", "flow_logs", retention_in_days=30))[1] < stored / 10


def test_a_burstable_group_above_its_baseline_pays_surplus_credits(synthesized: SynthResult) -> None:
    prices = load_data()["prices"]
    doc = TerraformDoc.load("tobe-v1-prod", synthesized.stack_json("tobe-v1-prod"))

    def credits(d: TerraformDoc) -> float:
        return sum(line.monthly for line in monthly_cost(d, prices).lines if line.kind == "surplus-credits")

    assert credits(doc) == 0  # the target is t4g.small's 20 % baseline
    policy = dict(doc.raw["resource"]["aws_autoscaling_policy"]["app_cpu"]["target_tracking_configuration"])
    hot = _with(doc, "aws_autoscaling_policy", "app_cpu", target_tracking_configuration={**policy, "target_value": 50})
    desired = doc.raw["resource"]["aws_autoscaling_group"]["app"]["desired_capacity"]
    # (50 % - 20 %) of 2 vCPUs, all month, per instance: more than the t4g.small itself
    per_instance = 0.30 * 2 * 730 * prices["burstable_surplus_vcpu_hour"]
    assert credits(hot) == pytest.approx(per_instance * desired, abs=0.01)
    assert per_instance > prices["ec2_instance"]["t4g.small"] * 730
