"""New EPIC 2 pages: time windows in UTC and KST, VPN, ElastiCache, stack interface, resilience."""

from __future__ import annotations

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
            assert f"peer `{cgw.get('ip_address')}`" in page
    assert "Placeholder values on this page" in page and "INFRAFORGE_<ENV>_VPN_PEER_IP" in page


def test_elasticache_and_rds_windows_carry_both_time_zones(rendered: Mapping[str, bytes]) -> None:
    assert "KST" in rendered["epic2/elasticache.md"].decode()
    assert "KST" in rendered["epic2/rds-backup.md"].decode()


def test_stack_interface_lists_every_output_and_provider_version(
    real_inputs: Inputs, rendered: Mapping[str, bytes]
) -> None:
    page = rendered["epic2/stack-interface.md"].decode()
    for doc in real_inputs.stacks.values():
        for name in doc.raw.get("output") or {}:
            assert f"`{name}`" in page, name
        for spec in ((doc.raw.get("terraform") or {}).get("required_providers") or {}).values():
            assert f"`{spec['source']}` {spec['version']}" in page
    assert "`alb_dns_name`" in page


def test_resilience_times_come_from_the_health_check(real_inputs: Inputs, rendered: Mapping[str, bytes]) -> None:
    page = rendered["epic2/resilience.md"].decode()
    for tg in real_inputs.stack("tobe-v1-prod").resources("aws_lb_target_group"):
        hc = block(tg.get("health_check"))
        assert f"after {as_int(hc['interval'], 0) * as_int(hc['unhealthy_threshold'], 0)} s" in page
    for disruption in ("One app instance", "One Availability Zone", "NAT gateway", "Redis primary", "RDS primary",
                       "One VPN tunnel", "Region"):
        assert f"**{disruption}**" in page
