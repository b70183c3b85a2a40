"""IAM: app instance role (SSM, CloudWatch agent, its secrets) and the GitHub OIDC CI role."""

from __future__ import annotations

import json

from infraforge.inputs import DEFAULTS

from tests.infra.stack_json import Json, resource, resources


def _doc(body: Json, field: str = "policy") -> Json:
    parsed: Json = json.loads(body[field])
    return parsed


def test_app_role_reads_only_the_service_secrets(prod: Json) -> None:
    statement = _doc(resource(prod, "aws_iam_role_policy.app_read_secrets"))["Statement"][0]
    assert statement["Action"] == ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    assert statement["Resource"] == [
        "${aws_db_instance.postgres.master_user_secret[0].secret_arn}",
        "${aws_secretsmanager_secret.session_key.arn}",
    ]
    trust = _doc(resource(prod, "aws_iam_role.app"), "assume_role_policy")["Statement"][0]
    assert trust["Principal"] == {"Service": "ec2.amazonaws.com"}


def test_app_role_reads_only_the_release_it_installs(prod: Json) -> None:
    statements = {s["Sid"]: s for s in _doc(resource(prod, "aws_iam_role_policy.app_read_secrets"))["Statement"]}
    artifact = statements["ReadReleaseArtifact"]
    # Objects of one version only: no ListBucket, no other prefix, no other version.
    assert artifact["Action"] == ["s3:GetObject"]
    bucket, version = DEFAULTS["artifact_bucket"], DEFAULTS["app_version"]
    assert artifact["Resource"] == [f"arn:aws:s3:::{bucket}/covaex/{version}/*"]


def test_app_role_has_ssm_and_cloudwatch_agent(prod: Json) -> None:
    attached = {
        a["policy_arn"]
        for a in resources(prod, "aws_iam_role_policy_attachment").values()
        if a["role"] == "${aws_iam_role.app.name}"
    }
    assert attached == {
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
        "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy",
    }


def test_ci_role_trusts_only_this_repository_and_environment(dev: Json, prod: Json) -> None:
    for env, stack in (("dev", dev), ("prod", prod)):
        [trust] = _doc(resource(stack, "aws_iam_role.ci_deploy"), "assume_role_policy")["Statement"]
        assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert trust["Principal"]["Federated"].endswith(":oidc-provider/token.actions.githubusercontent.com")
        assert trust["Condition"]["StringEquals"] == {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": f"repo:{DEFAULTS['github_repo']}:environment:{env}",
        }


def test_ci_role_may_only_roll_the_app_tier_and_read_its_state(prod: Json) -> None:
    statements = {s["Sid"]: s for s in _doc(resource(prod, "aws_iam_role_policy.ci_deploy"))["Statement"]}
    assert statements["RollAppTier"]["Resource"] == ["${aws_autoscaling_group.app.arn}"]
    assert statements["ReadStackState"]["Resource"] == [f"arn:aws:s3:::{DEFAULTS['state_bucket']}/tobe-v1/prod/*"]
    assert all(a.startswith("autoscaling:Describe") for a in statements["WatchRollout"]["Action"])
    # dev/prod jobs never upload the artifact: the release environment's own role does (state stack).
    assert "PublishReleaseArtifact" not in statements
    assert not [a for s in statements.values() for a in s["Action"] if a.startswith("s3:Put")]


def test_default_app_version_is_the_version_the_release_builds() -> None:
    import tomllib

    from covaex.synth import REPO_ROOT

    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert DEFAULTS["app_version"] == project["version"]


def test_state_stack_holds_the_github_oidc_provider(stacks: dict[str, Json]) -> None:
    provider = resource(stacks["state"], "aws_iam_openid_connect_provider.github")
    assert provider["url"] == "https://token.actions.githubusercontent.com"
    assert provider["client_id_list"] == ["sts.amazonaws.com"]
