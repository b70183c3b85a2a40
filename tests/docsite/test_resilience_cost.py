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


def test_the_results_page_shows_each_step_with_its_spof_links(rendered: Mapping[str, bytes]) -> None:
    page = rendered["results.md"].decode()
    section = page[page.index("## 회복력의 비용") : page.index("## 배포와 롤백")]
    assert "| **DB 다중 AZ (RDS Multi-AZ)** | +$" in section
    assert "[`SPOF-RDS-01`](epic2/spof-before-after.md#rule-spof-rds-01) (high)" in section
    assert "새 SPOF `SPOF-VPN-01`를 만듭니다" in section


def test_the_matrix_scores_a_step_from_its_variant_not_by_hand(
    real_inputs: Inputs, rendered: Mapping[str, bytes]
) -> None:
    from covaex.docsite.artifacts import _scored

    items, why = _scored(real_inputs)
    p9 = next(i for i in items if i["id"] == "P9")
    assert (p9["impact"], p9["effort"]) == (4, 4)  # removes a medium SPOF; +75.6% of dev's floor
    assert "removes SPOF-NAT-01 (medium)" in why["P9"]
    page = rendered["epic1/priority-matrix.md"].decode()
    assert "| **P9** | A NAT gateway per AZ in dev | EPIC 2 | 4 | 4 | Major project |" in page
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
