"""Acceptance of the audit issue: a changed definition reaches the pages, or the build fails naming it.

Each test mutates a copy of the real synthesized stacks (never the files),
renders the whole site from it, and reads the page a reviewer would read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from covaex.docsite.build import render_site
from covaex.docsite.inputs import Inputs
from covaex.docsite.sections import FactError
from covaex.progress import Steps
from tests.support.docs import mutated

pytestmark = pytest.mark.slow


def _page(files: Mapping[str, bytes], path: str) -> str:
    return files[path].decode("utf-8")


def _section(page: str, heading: str) -> str:
    """The text of one ``## heading`` section of a page."""
    start = page.index(f"## {heading}")
    end = page.find("\n## ", start + 1)
    return page[start : end if end != -1 else None]


def test_alarm_evaluation_periods_reach_the_runbook(real_inputs: Inputs, rendered: Mapping[str, bytes]) -> None:
    def fifteen_periods(raw: dict[str, Any]) -> None:
        raw["resource"]["aws_cloudwatch_metric_alarm"]["asg_capacity"]["evaluation_periods"] = 15

    before = _section(_page(rendered, "epic4/runbooks.md"), "asg-capacity")
    changed = render_site(
        mutated(real_inputs, {"tobe-v1-dev": fifteen_periods, "tobe-v1-prod": fifteen_periods}), Steps(3, quiet=True)
    )
    after = _section(_page(changed, "epic4/runbooks.md"), "asg-capacity")
    assert "5 min 동안 (1 min 구간 5개" in before
    assert "15 min 동안 (1 min 구간 15개" in after
    assert "5 min" not in after.replace("15 min", "")


def test_a_spot_node_group_is_priced_as_spot_and_reported_as_a_spof(real_inputs: Inputs) -> None:
    def spot(raw: dict[str, Any]) -> None:
        raw["resource"]["aws_eks_node_group"]["general"]["capacity_type"] = "SPOT"

    files = render_site(mutated(real_inputs, {"platform-v2-prod": spot}), Steps(3, quiet=True))
    cost = _page(files, "cost.md")
    prod_tab = cost[cost.index('=== "Platform v2 · prod"') :]
    assert re.search(r"aws_eks_node_group\.general \(3 x m6i\.large, Spot at \d+% of On-Demand", prod_tab)
    spof = _page(files, "epic2/spof-before-after.md")
    assert "SPOF-EKS-03" in spof[spof.index("Platform v2 · prod") :]


def test_an_unknown_instance_type_fails_the_build_naming_the_resource(real_inputs: Inputs) -> None:
    def unknown(raw: dict[str, Any]) -> None:
        raw["resource"]["aws_launch_template"]["app"]["instance_type"] = "t3.xlarge"

    with pytest.raises(FactError, match=r"costs.*aws_autoscaling_group\.app.*t3\.xlarge"):
        render_site(mutated(real_inputs, {"tobe-v1-prod": unknown}), Steps(3, quiet=True))


def test_a_cross_stack_sg_rule_reaches_the_db_access_page_and_the_matrix(real_inputs: Inputs) -> None:
    def open_db(raw: dict[str, Any]) -> None:
        raw["resource"]["aws_vpc_security_group_ingress_rule"]["db_from_office"] = {
            "security_group_id": "${data.aws_security_group.db.id}",
            "cidr_ipv4": "198.51.100.0/24",
            "ip_protocol": "tcp",
            "from_port": 5432,
            "to_port": 5432,
        }

    files = render_site(mutated(real_inputs, {"platform-v2-prod": open_db}), Steps(3, quiet=True))
    access = _page(files, "epic2/db-access-sg.md")
    prod = access[access.index('=== "prod') :]
    assert re.search(
        r"`198\.51\.100\.0/24` \| `aws_security_group\.db` \| tcp \| 5432 \| "
        r"`aws_vpc_security_group_ingress_rule\.db_from_office` \| `platform-v2-prod`",
        prod,
    )
    assert "db_from_office" not in access[: access.index('=== "prod')]  # dev is untouched
    assert "198.51.100.0/24" in _page(files, "epic2/sg-matrix.md")


def test_platform_v2_rules_on_v1_groups_are_on_the_pages(rendered: Mapping[str, bytes]) -> None:
    access = _page(rendered, "epic2/db-access-sg.md")
    for env in ("dev", "prod"):
        tab = access[access.index(f'=== "{env}') :]
        assert f"`aws_vpc_security_group_ingress_rule.db_from_eks` | `platform-v2-{env}`" in tab
        assert f"`aws_vpc_security_group_ingress_rule.cache_from_eks` | `platform-v2-{env}`" in tab


def _condition_keys(value: Any) -> Iterator[str]:
    """Every IAM condition key in a synthesized document: JSON policies and policy-document blocks."""
    if isinstance(value, str) and value.lstrip().startswith("{") and '"Statement"' in value:
        statements = json.loads(value)["Statement"]
        for st in [statements] if isinstance(statements, dict) else statements:
            for by_key in (st.get("Condition") or {}).values():
                yield from by_key
    elif isinstance(value, Mapping):
        if "variable" in value and "test" in value:
            yield str(value["variable"])
        for v in value.values():
            yield from _condition_keys(v)
    elif isinstance(value, list):
        for v in value:
            yield from _condition_keys(v)


def test_the_iam_page_shows_every_condition_key_of_every_policy(
    real_inputs: Inputs, rendered: Mapping[str, bytes]
) -> None:
    page = _page(rendered, "epic2/iam-roles.md")
    keys = {key for doc in real_inputs.stacks.values() for key in _condition_keys(doc.raw.get("resource"))}
    assert {"token.actions.githubusercontent.com:sub", "aws:RequestTag/elbv2.k8s.aws/cluster"} <= keys
    assert any((key.endswith(":sub") and "oidc" in key) or "${" in key for key in keys)
    for key in sorted(keys):
        assert f"`{key}`" in page, key


# Literals in runbooks.yaml that contain digits but are names, not numbers an alarm decides.
RUNBOOK_LITERALS = ("alb-5xx", "5xx", "502/503/504", "elbv2", "covaex:v1:", "aws ec2")


def test_runbook_text_holds_no_hand_kept_numbers() -> None:
    from covaex.docsite.paths import DATA_DIR

    for number, line in enumerate((DATA_DIR / "runbooks.yaml").read_text(encoding="utf-8").splitlines(), 1):
        if line.lstrip().startswith("#"):
            continue
        text = re.sub(r"\{[a-z_0-9]+\}", "", line)
        for literal in RUNBOOK_LITERALS:
            text = text.replace(literal, "")
        assert not re.search(r"\d", text), f"runbooks.yaml:{number}: a number belongs in a placeholder: {line.strip()}"


def test_success_metrics_agree_with_the_alarms_that_measure_them(real_inputs: Inputs) -> None:
    from covaex.docsite.facts.narrative import metrics

    by_name = {m["name"]: m for m in metrics(real_inputs)}
    # The slowest v1 alarm needs evaluation_periods x period of breaching data before anyone is paged.
    slowest = max(
        (int(r.get("datapoints_to_alarm") or r.get("evaluation_periods")) * int(r.get("period")))
        for doc in real_inputs.stacks.values()
        for r in doc.resources("aws_cloudwatch_metric_alarm")
    )
    assert f"<= {slowest // 60} min" in by_name["장애 감지 시간 (Time to detect)"]["target"]
    assert "p99 < 0.5 s" in by_name["메인 페이지 시세 신선도 (Price freshness)"]["target"]


def test_a_metric_math_alarm_reads_its_period_from_the_queried_metrics() -> None:
    from covaex.docsite.facts.observability import alarm_numbers
    from covaex.topology.tfjson import Resource

    alarm = Resource(
        "aws_cloudwatch_metric_alarm",
        "ready",
        {
            "evaluation_periods": 3,
            "datapoints_to_alarm": 2,
            "threshold": 1,
            "comparison_operator": "LessThanThreshold",
            "metric_query": [
                {"id": "healthy", "metric": {"metric_name": "HealthyHostCount", "period": 60, "stat": "Minimum"}},
                {"id": "e1", "expression": "healthy", "return_data": True},
            ],
        },
    )
    numbers = alarm_numbers(alarm)
    assert (numbers["fires_after"], numbers["periods"], numbers["condition"]) == ("2 min", "2 of 3", "< 1")
    del alarm.config["metric_query"][0]["metric"]["period"]
    with pytest.raises(FactError, match=r"aws_cloudwatch_metric_alarm\.ready"):
        alarm_numbers(alarm)
