"""IRSA roles: trust scoped to one service account; permissions without wildcards."""

from __future__ import annotations

import json
from typing import Any

import pytest
from infraforge.platform.config import PLATFORM_DEV, PLATFORM_PROD

CONFIGS = {"platform-v2-dev": PLATFORM_DEV, "platform-v2-prod": PLATFORM_PROD}
ENV_STACKS = tuple(CONFIGS)
ISSUER = "${local.oidc_issuer_host}"


def trust(doc: dict[str, Any], role: str) -> dict[str, Any]:
    (statement,) = json.loads(doc["resource"]["aws_iam_role"][role]["assume_role_policy"])["Statement"]
    return statement


def all_policy_statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every statement of every identity policy a platform stack defines."""
    found = []
    for kind in ("aws_iam_policy", "aws_iam_role_policy"):
        for policy in doc["resource"].get(kind, {}).values():
            found.extend(json.loads(policy["policy"])["Statement"])
    return found


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_service_role_trusts_only_the_covaex_service_account(platform_json: dict[str, Any], stack: str) -> None:
    env = CONFIGS[stack].environment
    statement = trust(platform_json[stack], "irsa_covaex")
    assert statement["Principal"] == {"Federated": "${aws_iam_openid_connect_provider.eks.arn}"}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    # StringEquals, not StringLike: no wildcard can widen the subject
    assert statement["Condition"] == {
        "StringEquals": {
            f"{ISSUER}:sub": f"system:serviceaccount:covaex-{env}:covaex",
            f"{ISSUER}:aud": "sts.amazonaws.com",
        }
    }
    role = platform_json[stack]["resource"]["aws_iam_role"]["irsa_covaex"]
    assert role["name"] == f"covaex-{env}-service", "deploy/ annotates the service account with this name"


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_alb_controller_role_trusts_only_its_service_account(platform_json: dict[str, Any], stack: str) -> None:
    statement = trust(platform_json[stack], "irsa_alb_controller")
    assert statement["Condition"]["StringEquals"] == {
        f"{ISSUER}:sub": "system:serviceaccount:kube-system:aws-load-balancer-controller",
        f"{ISSUER}:aud": "sts.amazonaws.com",
    }


@pytest.mark.parametrize("stack", [*ENV_STACKS, "platform-v2-registry"])
def test_no_wildcard_actions_and_star_resources_are_conditioned(platform_json: dict[str, Any], stack: str) -> None:
    statements = all_policy_statements(platform_json[stack])
    assert statements
    for statement in statements:
        for action in as_list(statement["Action"]):
            assert action != "*" and not action.endswith(":*"), action
        if "*" in as_list(statement["Resource"]):
            assert statement.get("Condition"), f"{statement.get('Sid')}: '*' resource without a condition"


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_alb_controller_changes_only_what_it_tagged(platform_json: dict[str, Any], stack: str) -> None:
    policy = json.loads(platform_json[stack]["resource"]["aws_iam_policy"]["irsa_alb_controller"]["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    owned = by_sid["ModifyOwnLoadBalancersAndTargetGroups"]
    assert "elasticloadbalancing:DeleteLoadBalancer" in owned["Action"]
    assert owned["Condition"] == {"Null": {"aws:ResourceTag/elbv2.k8s.aws/cluster": "false"}}
    assert by_sid["ManageOwnSecurityGroups"]["Condition"] == owned["Condition"]
    create = by_sid["CreateTaggedLoadBalancersAndTargetGroups"]
    assert create["Condition"] == {"Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": "false"}}
    ingress = by_sid["ManageIngressRulesInClusterVpc"]
    assert ingress["Condition"] == {"ArnEquals": {"ec2:Vpc": "${data.aws_vpc.v1.arn}"}}
    actions = {a for s in policy["Statement"] for a in as_list(s["Action"])}
    assert not {a for a in actions if a.split(":")[0] in {"wafv2", "waf-regional", "shield", "cognito-idp"}}
    resources = {r for s in policy["Statement"] for r in as_list(s["Resource"])}
    assert not any(":loadbalancer/net/" in r for r in resources), "CovaEX uses an ALB only"


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_service_reads_only_its_own_secrets(platform_json: dict[str, Any], stack: str) -> None:
    env = CONFIGS[stack].environment
    (statement,) = json.loads(platform_json[stack]["resource"]["aws_iam_policy"]["irsa_covaex"]["policy"])["Statement"]
    assert statement["Action"] == ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    assert statement["Resource"].endswith(f":secret:covaex/{env}/*")
