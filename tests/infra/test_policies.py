"""Least privilege and exposure over every synthesized stack.

No IAM policy statement grants ``*`` or a whole service (``s3:*``), and no
security group opens anything but 80/443 to the internet.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tests.infra.stack_json import INFRA_STACKS, Json, all_resources

POLICY_FIELDS = ("policy", "assume_role_policy", "inline_policy")
OPEN_TO_WORLD = ("0.0.0.0/0", "::/0")


def policy_statements(stack: Json) -> Iterator[tuple[str, dict[str, Any]]]:
    for address, body in all_resources(stack):
        for field in POLICY_FIELDS:
            raw = body.get(field)
            if isinstance(raw, str) and raw.lstrip().startswith("{"):
                doc = json.loads(raw)
                statements = doc["Statement"]
                for statement in statements if isinstance(statements, list) else [statements]:
                    yield address, statement


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement.get("Action", statement.get("NotAction", []))
    return [actions] if isinstance(actions, str) else list(actions)


def test_no_statement_grants_everything_or_a_whole_service(stacks: dict[str, Json]) -> None:
    seen = 0
    for name in INFRA_STACKS:
        for address, statement in policy_statements(stacks[name]):
            seen += 1
            for action in _actions(statement):
                assert action != "*", f"{name}: {address} grants Action '*'"
                assert not action.endswith(":*"), f"{name}: {address} grants a whole service: {action}"
            assert "NotAction" not in statement, f"{name}: {address} uses NotAction"
    assert seen >= 15, "the scan found the policies"


def test_only_80_and_443_are_open_to_the_internet(stacks: dict[str, Json]) -> None:
    public_ports: set[tuple[int, int]] = set()
    for name in INFRA_STACKS:
        for address, body in all_resources(stacks[name]):
            rtype = address.split(".")[0]
            if rtype == "aws_vpc_security_group_ingress_rule":
                cidrs = [body.get("cidr_ipv4"), body.get("cidr_ipv6")]
                if any(c in OPEN_TO_WORLD for c in cidrs):
                    assert body["ip_protocol"] == "tcp", f"{address} opens a non-TCP protocol to the internet"
                    port_range = (body["from_port"], body["to_port"])
                    assert port_range in {(80, 80), (443, 443)}, f"{name}: {address} opens {port_range}"
                    public_ports.add(port_range)
            if rtype in ("aws_security_group", "aws_default_security_group"):
                inline = body.get("ingress") or []
                assert all(not set(rule.get("cidr_blocks", [])) & set(OPEN_TO_WORLD) for rule in inline), address
            assert rtype != "aws_security_group_rule", f"{address}: rules are vpc_security_group_*_rule resources"
    assert public_ports == {(80, 80), (443, 443)}


def test_the_policy_scan_catches_a_service_wildcard() -> None:
    # The scan itself must be able to fail.
    stack = {
        "resource": {
            "aws_iam_role_policy": {
                "bad": {
                    "policy": json.dumps(
                        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
                    )
                }
            }
        }
    }
    [(address, statement)] = list(policy_statements(stack))
    assert address == "aws_iam_role_policy.bad"
    assert _actions(statement) == ["s3:*"]
