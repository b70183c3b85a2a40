"""Security-group tiers: ALB <- internet (80/443), app <- ALB, Postgres <- app, Redis <- app; egress scoped."""

from __future__ import annotations

import pytest
from infraforge.constructs.config import SecurityGroupsConfig

from tests.infra.stack_json import Json, resources


def _edges(stack: Json, rtype: str) -> set[tuple[str, str, int]]:
    """(group, peer group or CIDR, port) for every rule of ``rtype``."""
    edges = set()
    for rule in resources(stack, rtype).values():
        group = rule["security_group_id"].split(".")[1]
        peer = rule.get("referenced_security_group_id", "").split(".")[1:2] or [rule.get("cidr_ipv4")]
        assert rule["from_port"] == rule["to_port"], "one port per rule"
        edges.add((group, peer[0], rule["from_port"]))
    return edges


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_ingress_matrix(env: str, stacks: dict[str, Json]) -> None:
    # dev's NAT instance takes the app tier's HTTPS from inside the VPC
    nat = {("nat", "10.20.0.0/16", 443)} if env == "dev" else set()
    assert (
        _edges(stacks[f"tobe-v1-{env}"], "aws_vpc_security_group_ingress_rule")
        == {
            ("alb", "0.0.0.0/0", 80),
            ("alb", "0.0.0.0/0", 443),
            ("app", "alb", 8000),
            ("db", "app", 5432),
            ("cache", "app", 6379),
        }
        | nat
    )


def test_egress_is_scoped_and_the_data_tier_has_none(prod: Json) -> None:
    assert _edges(prod, "aws_vpc_security_group_egress_rule") == {
        ("alb", "app", 8000),
        ("app", "db", 5432),
        ("app", "cache", 6379),
        ("app", "0.0.0.0/0", 443),
    }
    for group in resources(prod, "aws_security_group").values():
        assert not group.get("egress") and not group.get("ingress"), "rules are separate resources"
        assert group["description"]


def test_data_stores_use_their_groups(prod: Json) -> None:
    assert resources(prod, "aws_db_instance")["postgres"]["vpc_security_group_ids"] == ["${aws_security_group.db.id}"]
    assert resources(prod, "aws_elasticache_replication_group")["redis"]["security_group_ids"] == [
        "${aws_security_group.cache.id}"
    ]
    assert resources(prod, "aws_lb")["alb"]["security_groups"] == ["${aws_security_group.alb.id}"]


def test_config_refuses_bad_values() -> None:
    with pytest.raises(ValueError, match="unprivileged"):
        SecurityGroupsConfig(name="t", app_port=80, allowed_cidrs=("0.0.0.0/0",))
    with pytest.raises(ValueError, match="at least one"):
        SecurityGroupsConfig(name="t", app_port=8000, allowed_cidrs=())
