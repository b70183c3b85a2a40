"""IRSA roles: trust scoped to one service account; permissions without wildcards."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import pytest
from infraforge.platform.config import PLATFORMS

CONFIGS = {config.stack_name: config for config in PLATFORMS.values()}
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


# --- The service role, evaluated against the calls the service makes -----------------
#
# External Secrets reads the pods' secrets as the covaex service account
# (GetSecretValue on the session key and on the RDS-managed database secret);
# Secrets Manager then calls kms:Decrypt on the v1 key on its behalf, with
# kms:ViaService set. The evaluator below is IAM's rule for one
# identity policy: allowed when an Allow statement matches action, resource and
# every condition, and no Deny does.

ACCOUNT = "123456789012"
REGION = "ap-northeast-2"


def concrete(env: str) -> dict[str, str]:
    """Values for the policy's ${...} tokens, as the v1 lookups would resolve them in one account."""
    return {
        "${data.aws_caller_identity.current.account_id}": ACCOUNT,
        "${data.aws_db_instance.v1.master_user_secret[0].secret_arn}": secret_arn(
            "rds!db-5f0e8d2c-1111-4c4c-9a9a-0123456789ab"
        ),
        "${data.aws_kms_key.v1.arn}": key_arn(env),
        "${data.aws_secretsmanager_secret.v1_session_key.arn}": secret_arn(f"covaex/{env}/session-key"),
    }


def secret_arn(name: str) -> str:
    return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-AbCdEf"


def key_arn(env: str) -> str:
    return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{'d' if env == 'dev' else 'p'}0000000-0000-0000-0000-000000000000"


def resolved_policy(doc: dict[str, Any], name: str, env: str) -> list[dict[str, Any]]:
    text = doc["resource"]["aws_iam_policy"][name]["policy"]
    for token, value in concrete(env).items():
        text = text.replace(token, value)
    assert "${" not in text, f"unresolved token in {text}"
    statements: list[dict[str, Any]] = json.loads(text)["Statement"]
    return statements


def _matches(patterns: str | list[str], value: str) -> bool:
    return any(fnmatch.fnmatchcase(value, p) for p in as_list(patterns))


def _conditions_hold(condition: dict[str, dict[str, Any]], context: dict[str, str]) -> bool:
    for operator, pairs in condition.items():
        for key, expected in pairs.items():
            if key not in context:
                return False
            if operator == "StringEquals" and context[key] not in as_list(expected):
                return False
            if operator == "StringLike" and not _matches(expected, context[key]):
                return False
            if operator not in {"StringEquals", "StringLike"}:
                raise AssertionError(f"evaluator does not know {operator}")
    return True


def allowed(statements: list[dict[str, Any]], action: str, resource: str, context: dict[str, str]) -> bool:
    def hits(effect: str) -> bool:
        return any(
            s["Effect"] == effect
            and _matches(s["Action"], action)
            and _matches(s["Resource"], resource)
            and _conditions_hold(s.get("Condition", {}), context)
            for s in statements
        )

    return hits("Allow") and not hits("Deny")


def service_calls(env: str) -> list[tuple[str, str, dict[str, str]]]:
    """(action, resource, request context) of every AWS call reading the pod's secrets makes."""
    via = {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}
    calls = []
    for name in (f"covaex/{env}/session-key", "rds!db-5f0e8d2c-1111-4c4c-9a9a-0123456789ab"):
        calls.append(("secretsmanager:GetSecretValue", secret_arn(name), {}))
        calls.append(("kms:Decrypt", key_arn(env), via))
    return calls


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_service_role_allows_every_call_the_service_makes(platform_json: dict[str, Any], stack: str) -> None:
    env = CONFIGS[stack].environment
    policy = resolved_policy(platform_json[stack], "irsa_covaex", env)
    for action, resource, context in service_calls(env):
        assert allowed(policy, action, resource, context), (action, resource)


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_service_role_allows_nothing_beyond_them(platform_json: dict[str, Any], stack: str) -> None:
    env = CONFIGS[stack].environment
    other = "prod" if env == "dev" else "dev"
    policy = resolved_policy(platform_json[stack], "irsa_covaex", env)
    via = {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}
    denied = [
        ("secretsmanager:GetSecretValue", secret_arn(f"covaex/{other}/session-key"), {}),
        # the prefix is not enough: only the two secrets the pods use (issue 24)
        ("secretsmanager:GetSecretValue", secret_arn(f"covaex/{env}/another-secret"), {}),
        ("secretsmanager:GetSecretValue", secret_arn("rds!db-99999999-2222-4d4d-8b8b-0123456789ab"), {}),
        ("secretsmanager:PutSecretValue", secret_arn(f"covaex/{env}/session-key"), {}),
        ("secretsmanager:ListSecrets", "*", {}),
        # the key only through Secrets Manager, and only this environment's key
        ("kms:Decrypt", key_arn(env), {}),
        ("kms:Decrypt", key_arn(env), {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}),
        ("kms:Decrypt", key_arn(other), via),
        ("kms:Encrypt", key_arn(env), via),
    ]
    for action, resource, context in denied:
        assert not allowed(policy, action, resource, context), (action, resource, context)


def test_the_evaluator_denies_what_the_old_policy_denied() -> None:
    """Control: the policy before issue 13 (prefix only, no KMS) fails the service's calls."""
    old = [
        {
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            "Resource": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:covaex/dev/*",
        }
    ]
    results = [allowed(old, a, r, c) for a, r, c in service_calls("dev")]
    assert results == [True, False, False, False]


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_alertmanager_may_publish_to_the_alarm_and_watchdog_topics_only(
    platform_json: dict[str, Any], stack: str
) -> None:
    statements = json.loads(platform_json[stack]["resource"]["aws_iam_policy"]["irsa_alertmanager"]["policy"])[
        "Statement"
    ]
    publish = next(s for s in statements if s["Action"] == ["sns:Publish"])
    assert publish["Resource"] == ["${data.aws_sns_topic.v1_alarms.arn}", "${aws_sns_topic.watchdog.arn}"]
    kms = next(s for s in statements if s["Action"] != ["sns:Publish"])
    assert kms["Condition"] == {"StringEquals": {"kms:ViaService": f"sns.{REGION}.amazonaws.com"}}
    account = CONFIGS[stack].alertmanager_account
    assert trust(platform_json[stack], "irsa_alertmanager")["Condition"]["StringEquals"][f"{ISSUER}:sub"] == (
        account.subject
    )
