"""Icons, labels and what is drawn at all."""

from __future__ import annotations

from covaex.topology.appearance import display_width, icon_for, is_drawn, wrap
from covaex.topology.entities import Node


def _node(kind: str, **attrs: object) -> Node:
    return Node(f"{kind}.x", kind, "x", "x", "other", subnets=("aws_subnet.a",), attrs=attrs)


def test_labels_wrap_by_display_width() -> None:
    assert display_width("웹서버") == 6
    assert wrap("웹/WAS 서버 (nginx + Sanic)") == ["웹/WAS 서버", "(nginx + Sanic)"]
    assert wrap("Helm kube_prometheus_stack") == ["Helm", "kube_prometheus_", "stack"]


def test_architecture_is_drawn_plumbing_is_not() -> None:
    assert is_drawn(_node("aws_lb"))
    assert is_drawn(_node("aws_some_future_thing"))  # unknown but placed in a subnet: generic icon
    assert not is_drawn(_node("aws_route_table_association"))
    assert not is_drawn(_node("aws_security_group"))
    assert not is_drawn(_node("random_password"))
    assert is_drawn(_node("switch"), "asis")


def test_icons_follow_the_kind_and_key_attributes() -> None:
    assert icon_for(_node("aws_lb")) == "aws.network.ALB"
    assert icon_for(_node("aws_lb", load_balancer_type="network")) == "aws.network.NLB"
    assert icon_for(_node("aws_db_instance", engine="postgres")) == "aws.database.RDSPostgresqlInstance"
    assert icon_for(_node("aws_some_future_thing")) == "aws.general.General"
