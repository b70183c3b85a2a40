"""The cost of resilience: each step of prod synthesized alone onto dev and compared the covaex diff way."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from covaex.docsite.facts.cost import monthly_cost
from covaex.docsite.facts.resilience_cost import resilience_cost
from covaex.docsite.inputs import Inputs

pytestmark = pytest.mark.slow


def test_each_step_costs_what_its_resources_cost_and_removes_its_spof(real_inputs: Inputs) -> None:
    rows = {r["step"]: r for r in resilience_cost(real_inputs)}
    assert rows["multi-az-database"]["removed"] == [("SPOF-RDS-01", "high")]
    assert rows["nat-gateway-per-az"]["removed"] == [("SPOF-NAT-01", "medium")]
    assert rows["second-app-instance"]["removed"] == [("SPOF-ASG-02", "medium")]
    assert rows["vpn"]["introduced"] == [("SPOF-VPN-01", "medium")] and rows["vpn"]["removed"] == []
    assert {"aws_nat_gateway.nat_a", "aws_nat_gateway.nat_c"} <= set(rows["nat-gateway-per-az"]["resources_added"])
    assert "aws_instance.nat" in rows["nat-gateway-per-az"]["resources_removed"]
    # The standby doubles the database's instance and storage lines, nothing else.
    prices = real_inputs.data["prices"]
    dev = monthly_cost(real_inputs.stack("tobe-v1-dev"), prices)
    rds = sum(line.monthly for line in dev.lines if line.addresses[0].startswith("aws_db_instance."))
    assert rows["multi-az-database"]["usd"] == pytest.approx(rds, abs=0.02)
    assert rows["multi-az-database"]["pct"] == pytest.approx(100 * rds / dev.total, abs=0.1)
    for row in rows.values():
        assert row["usd"] > 0


def test_the_second_vpn_connection_is_priced_against_the_first_and_removes_its_spof(real_inputs: Inputs) -> None:
    rows = {r["step"]: r for r in resilience_cost(real_inputs)}
    second = rows["vpn-second-connection"]
    assert second["base"] == "vpn"
    assert second["removed"] == [("SPOF-VPN-01", "medium")] and second["introduced"] == []
    assert second["resources_added"] == [
        "aws_customer_gateway.onprem_b",
        "aws_vpn_connection.onprem_b",
        "aws_vpn_connection_route.onprem_b",
    ]
    # what it adds is one more connection-hour for the month, the customer gateway and route are free
    hours = float(real_inputs.data["prices"]["hours_per_month"])
    assert second["usd"] == pytest.approx(float(real_inputs.data["prices"]["vpn_connection_hour"]) * hours, abs=0.02)


def test_the_eks_step_is_dev_platform_v2_on_top_of_v1_dev(real_inputs: Inputs) -> None:
    from covaex.docsite.facts.cost import costs

    rows = {r["step"]: r for r in resilience_cost(real_inputs)}
    eks = rows["eks-platform-v2"]
    money = costs(real_inputs)
    # the cost page's dev environment against To-Be v1 dev alone, plus the registry the nodes pull from (shared
    # with prod, so the cost page counts it apart)
    added = money["combined"]["dev"] - money["stacks"]["tobe-v1-dev"].total
    assert eks["usd"] == pytest.approx(added + money["stacks"]["platform-v2-registry"].total, abs=0.02)
    assert "aws_eks_cluster.main" in eks["resources_added"] and eks["resources_removed"] == []
    # pods behind the Ingress take over from the one instance: the app's recovery gets a bound it did not have
    shortened = {key: (old, new) for key, old, new in eks["shortened"]}
    assert shortened["app-instance"][1] < shortened["app-instance"][0]
    assert shortened["deploy"][1] == 0


def test_each_step_name_says_what_its_variant_adds(real_inputs: Inputs) -> None:
    # the names the pages use (resilience.yaml) checked against the synthesized difference
    rows = {r["step"]: r for r in resilience_cost(real_inputs)}
    names = real_inputs.data["resilience"]["steps"]
    assert set(names) == set(rows)
    kinds = {step: {a.split(".", 1)[0] for a in row["resources_added"]} for step, row in rows.items()}
    assert "aws_nat_gateway" in kinds["nat-gateway-per-az"] and "NAT 게이트웨이" in names["nat-gateway-per-az"]
    assert kinds["vpn"] >= {"aws_vpn_connection", "aws_customer_gateway"} and "VPN" in names["vpn"]
    assert "aws_vpn_connection" in kinds["vpn-second-connection"] and "두 번째 VPN" in names["vpn-second-connection"]
    assert "aws_eks_cluster" in kinds["eks-platform-v2"] and "EKS" in names["eks-platform-v2"]
    shortened = {step: {key for key, _, _ in row["shortened"]} for step, row in rows.items()}
    assert "db-primary" in shortened["multi-az-database"] and "다중 AZ" in names["multi-az-database"]
    assert "app-instance" in shortened["second-app-instance"] and "두 번째 앱" in names["second-app-instance"]


def test_the_results_page_shows_each_step_with_its_spof_links(rendered: Mapping[str, bytes]) -> None:
    page = rendered["results.md"].decode()
    section = page[page.index("## 회복력의 비용") : page.index("## 배포와 롤백")]
    assert "| **DB 다중 AZ (RDS Multi-AZ)** | `tobe-v1-dev` | +$" in section
    # the second connection is compared with the first, and the RTO it shortens is named
    assert "| **두 번째 VPN 연결 (온프레미스 장비 2대)** | 사이트 간 VPN (온프레미스 연결) | +$36.50 |" in section
    assert "DB 기본 인스턴스 (primary): 상한 없음 → 120 s" in section
    assert "[`SPOF-RDS-01`](epic2/spof-before-after.md#rule-spof-rds-01) (high)" in section
    assert "새 SPOF `SPOF-VPN-01`를 만듭니다" in section


def test_the_matrix_scores_a_step_from_its_variant_not_by_hand(
    real_inputs: Inputs, rendered: Mapping[str, bytes]
) -> None:
    from covaex.docsite.artifacts import _scored

    items, why = _scored(real_inputs)
    p9 = next(i for i in items if i["id"] == "P9")
    assert (p9["impact"], p9["effort"]) == (4, 4)  # removes a medium SPOF; +75.6% of dev's floor
    assert "없애는 SPOF: SPOF-NAT-01 (medium)" in why["P9"]
    # EKS: bounds the app's recovery (3) for +143.6% and 41 resources (5); no longer a typed 3/5
    p7 = next(i for i in items if i["id"] == "P7")
    assert (p7["impact"], p7["effort"]) == (3, 5) and "리소스 +" in why["P7"]
    # every step item is named by its step, not by typed text
    for item in items:
        if "step" in item:
            assert item["item"] == real_inputs.data["resilience"]["steps"][item["step"]]
    page = rendered["epic1/priority-matrix.md"].decode()
    assert "| **P9** | AZ마다 NAT 게이트웨이 | EPIC 2 | 4 | 4 | Major project |" in page
    assert "| **P10** | 두 번째 VPN 연결 (온프레미스 장비 2대) | EPIC 2 |" in page
    # A NAT gateway at a third of the price makes the same step a cheaper one.
    prices = {
        **real_inputs.data["prices"],
        "nat_gateway_hour": float(real_inputs.data["prices"]["nat_gateway_hour"]) / 3,
    }
    cheaper = Inputs(stacks=real_inputs.stacks, data={**real_inputs.data, "prices": prices})
    p9 = next(i for i in _scored(cheaper)[0] if i["id"] == "P9")
    assert p9["effort"] < 4


def test_an_unknown_step_fails_naming_the_item(real_inputs: Inputs) -> None:
    from covaex.docsite.artifacts import _scored
    from covaex.docsite.sections import FactError

    items = [*real_inputs.data["priorities"]["items"], {"id": "PX", "item": "x", "epic": "-", "step": "nope"}]
    broken = Inputs(stacks=real_inputs.stacks, data={**real_inputs.data, "priorities": {"items": items}})
    with pytest.raises(FactError, match=r"PX: unknown step 'nope'"):
        _scored(broken)


def test_the_proposed_items_name_what_the_stacks_and_the_repository_have(real_inputs: Inputs) -> None:
    # the items no variant expresses keep a proposed score, but what each names must exist
    from covaex.docsite.paths import REPO_ROOT

    items = {i["id"]: i for i in real_inputs.data["priorities"]["items"]}
    unscored = {k for k, i in items.items() if "step" not in i}
    assert unscored == {"P3", "P4", "P5", "P6", "P8"}
    v1 = real_inputs.stack("tobe-v1-prod")
    assert "CloudWatch" in items["P3"]["item"] and v1.resources("aws_cloudwatch_metric_alarm")
    assert v1.resources("aws_cloudwatch_log_group")
    assert "CI" in items["P4"]["item"] and (REPO_ROOT / ".github" / "workflows" / "ci.yml").is_file()
    assert "Redis" in items["P5"]["item"] and v1.resources("aws_elasticache_replication_group")
    assert "IAM" in items["P6"]["item"] and v1.resources("aws_iam_role")
    releases = {r.name for r in real_inputs.stack("platform-v2-prod").resources("helm_release")}
    assert "Prometheus" in items["P8"]["item"] and "kube_prometheus_stack" in releases
