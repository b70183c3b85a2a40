"""New EPIC 2 pages: time windows in UTC and KST, VPN, ElastiCache, stack interface, resilience."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pytest

from covaex.docsite.facts.hybrid import utc_kst
from covaex.docsite.inputs import Inputs
from covaex.docsite.sections import FactError
from covaex.topology.tfjson import as_int, block


def test_windows_are_shown_in_utc_and_kst_across_midnight_and_weekdays() -> None:
    assert utc_kst("16:00-17:00") == "16:00–17:00 UTC (01:00–02:00 KST)"
    assert utc_kst("sun:19:30-sun:20:30") == "Sun 19:30–Sun 20:30 UTC (Mon 04:30–Mon 05:30 KST)"
    with pytest.raises(FactError, match="25:00"):
        utc_kst("25:00-26:00x")


def test_vpn_page_shows_routes_peer_and_marks_the_fake_peer(real_inputs: Inputs, rendered: Mapping[str, bytes]) -> None:
    page = rendered["epic2/vpn.md"].decode()
    for doc in (real_inputs.stack("tobe-v1-dev"), real_inputs.stack("tobe-v1-prod")):
        for route in doc.resources("aws_vpn_connection_route"):
            assert f"`{route.get('destination_cidr_block')}`" in page
        for cgw in doc.resources("aws_customer_gateway"):
            assert f"피어 `{cgw.get('ip_address')}`" in page
    assert "이 페이지의 자리표시 값 (placeholder)" in page and "INFRAFORGE_<ENV>_VPN_PEER_IP" in page


def test_elasticache_and_rds_windows_carry_both_time_zones(rendered: Mapping[str, bytes]) -> None:
    assert "KST" in rendered["epic2/elasticache.md"].decode()
    assert "KST" in rendered["epic2/rds-backup.md"].decode()


def test_stack_interface_lists_every_output_and_provider_version(
    real_inputs: Inputs, rendered: Mapping[str, bytes]
) -> None:
    page = rendered["epic2/stack-interface.md"].decode()
    for doc in real_inputs.stacks.values():
        for name, spec in (doc.raw.get("output") or {}).items():
            # each output with its description, as terraform-docs lists a module's outputs
            assert f"| `{name}` |" in page and f"| {spec['description']} |" in page, name
        for spec in ((doc.raw.get("terraform") or {}).get("required_providers") or {}).values():
            assert f"`{spec['source']}` {spec['version']}" in page
    assert "`alb_dns_name`" in page


def test_resilience_times_come_from_the_health_check(real_inputs: Inputs, rendered: Mapping[str, bytes]) -> None:
    page = rendered["epic2/resilience.md"].decode()
    for tg in real_inputs.stack("tobe-v1-prod").resources("aws_lb_target_group"):
        hc = block(tg.get("health_check"))
        out_after = as_int(hc["interval"], 0) * as_int(hc["unhealthy_threshold"], 0)
        checks = f"헬스 체크 {hc['interval']} s × {hc['unhealthy_threshold']}회 실패"
        assert f"ALB가 {out_after} s 후 제외 ({checks})" in page
    for disruption in real_inputs.data["resilience"]["disruptions"].values():
        assert f"**{disruption}**" in page


def test_resilience_judges_each_disruption_against_its_target(
    real_inputs: Inputs, rendered: Mapping[str, bytes]
) -> None:
    # per disruption a target RTO and RPO, met or breached, as AWS Resilience Hub judges a policy
    page = rendered["epic2/resilience.md"].decode()
    targets = real_inputs.data["resilience"]["targets"]
    goal = targets["db-primary"]["rto_s"]
    prod = page[page.index('=== "To-Be v1 · prod"') :]
    prod = prod[: prod.index("\n===") if "\n===" in prod else len(prod)]
    dev = page[page.index('=== "To-Be v1 · dev"') : page.index('=== "To-Be v1 · prod"')]
    db = "**" + real_inputs.data["resilience"]["disruptions"]["db-primary"] + "**"
    prod_db = next(line for line in prod.splitlines() if db in line)
    dev_db = next(line for line in dev.splitlines() if db in line)
    # prod's Multi-AZ standby takes over within the target, dev's single instance has no bound
    assert f"✅ 충족 · 목표 ≤ {goal} s" in prod_db, prod_db
    assert f"❌ 미달 · 목표 ≤ {goal} s" in dev_db, dev_db


def test_dev_rows_say_what_dev_runs(rendered: Mapping[str, bytes]) -> None:
    """dev runs one NAT instance and one app instance: no row may speak of NAT gateways or another instance."""
    page = rendered["epic2/resilience.md"].decode()
    dev = page[page.index('=== "To-Be v1 · dev"') : page.index('=== "To-Be v1 · prod"')]
    nat = next(line for line in dev.splitlines() if "**NAT (인터넷 출구)**" in line)
    assert "NAT 인스턴스 (NAT instance) 1개" in nat and "게이트웨이" not in nat
    app = next(line for line in dev.splitlines() if "**앱 인스턴스 1대**" in line)
    assert "인스턴스 1개: 대신할 인스턴스가 없어" in app and "다른 인스턴스로 재접속" not in app
    assert "0 NAT" not in page


def test_every_diagram_has_a_16_9_slide_drawing_of_its_own(rendered: Mapping[str, bytes]) -> None:
    """The slide variant is a landscape summary (one node per resource, no CIDRs), not the page's drawing
    padded with white: its words are the resources' names and its SPOF ids are the page's."""
    import re

    diagrams = [p for p in rendered if p.startswith("diagrams/") and p.endswith(".svg") and "/slides/" not in p]
    assert diagrams
    for path in diagrams:
        name = path.removeprefix("diagrams/").removesuffix(".svg")
        slide = rendered[f"diagrams/slides/{name}-16x9.svg"].decode()
        w, h = (float(v) for v in re.search(r'viewBox="0 0 ([0-9.]+) ([0-9.]+)"', slide).groups())  # type: ignore[union-attr]
        assert w / h == pytest.approx(16 / 9, rel=1e-3), path
        inner = re.search(r'<svg x="[0-9.]+" y="[0-9.]+" width="([0-9.]+)" height="([0-9.]+)"', slide)
        assert inner is not None and float(inner.group(1)) / float(inner.group(2)) >= 1.2, f"{path}: not landscape"
        original = rendered[path].decode()
        assert original[original.index("<defs>") :] not in slide
        assert set(re.findall(r"SPOF-[A-Z]+-[0-9]+", original)) == set(re.findall(r"SPOF-[A-Z]+-[0-9]+", slide))
        assert not re.search(r">10\.[0-9.]+/[0-9]+<", slide), f"{path}: the slide drawing shows CIDRs"


def test_platform_v2_topology_shows_ingress_ecr_and_the_v1_data_tier(real_inputs: Inputs) -> None:
    from covaex.docsite.topology import stack_topology

    topo = stack_topology(real_inputs, "platform-v2-prod")
    ingress = [n for n in topo.nodes if n.address.endswith("#ingress_alb")]
    assert len(ingress) == 1 and ingress[0].tier == "public"
    edges = {(e.source, e.target) for e in topo.edges}
    groups = [n.address for n in topo.of_kind("aws_eks_node_group")]
    assert groups
    for group in groups:
        assert (ingress[0].address, group) in edges
        assert any(s.startswith("aws_ecr_repository.") and t == group for s, t in edges)
        assert (group, "aws_db_instance.postgres") in edges
        assert (group, "aws_elasticache_replication_group.redis") in edges


def test_inputs_are_listed_as_terraform_docs_does(rendered: Mapping[str, bytes]) -> None:
    """Type, required (a fake default must be replaced), default and the whole description of every input."""
    import dataclasses

    from infraforge.inputs import DEFAULTS, DeployInputs

    from covaex.docsite.placeholders import placeholders

    page = rendered["epic2/stack-interface.md"].decode()
    fakes = {p.value for p in placeholders()}
    types = {f.name: str(f.type) for f in dataclasses.fields(DeployInputs)}
    for name, default in DEFAULTS.items():
        row = next(line for line in page.splitlines() if line.startswith(f"| `{name}` |"))
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", row.strip("|"))]
        assert cells[1] == "`" + types[name].replace("|", "\\|") + "`", row
        assert cells[2] == ("**예**" if any(f in default for f in fakes) else "아니오"), row
        assert cells[5].endswith("."), f"{name}: the description is cut off: {cells[5]!r}"
    assert "never a new AWS release read at plan time" in page
