"""IAM: least-privilege roles for the app instances and for CI, and GitHub's OIDC provider.

No statement grants ``*`` or a whole service (``s3:*``); every action is
named and, where the service supports it, scoped to the one resource it is
for (``tests/infra/test_policies.py`` enforces this over every stack).

* :class:`GithubOidcProvider` (bootstrap stack ``state``): the account's
  trust in ``token.actions.githubusercontent.com``.
* :class:`AppInstanceRole`: the EC2 role of the app tier, SSM Session
  Manager (no SSH), the CloudWatch agent, and read access to exactly the
  secrets the service needs at boot.
* :class:`CiDeployRole`: assumable only by GitHub Actions workflows of the
  configured repository running in the matching GitHub environment; it may
  roll the app tier (instance refresh) and read the stack's state, nothing
  else. Infrastructure changes are applied by an operator, not by CI.
* :class:`ArtifactPublishRole` (bootstrap stack ``state``, beside the artifact
  bucket): assumable only by jobs in the GitHub environment ``release``, the
  one the release workflow's ``artifact`` job runs in; it may put objects
  under ``covaex/`` of the artifact bucket, nothing else.

Which GitHub variable holds which role's ARN: :data:`~infraforge.constructs.config.GITHUB_ROLE_VARIABLES`
(``tests/deploy/test_ci_roles.py`` evaluates every AWS call of every
workflow job against the role its variable names).
"""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.iam_instance_profile import IamInstanceProfile
from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from infraforge.constructs.config import (
    ARTIFACT_PREFIX,
    GITHUB_OIDC_HOST,
    RELEASE_ENVIRONMENT,
    AppInstanceRoleConfig,
    CiDeployRoleConfig,
)


class GithubOidcProvider(Construct):
    """The account's OIDC identity provider for GitHub Actions. Output: :attr:`provider`."""

    def __init__(self, scope: Construct, id_: str) -> None:
        super().__init__(scope, id_)
        self.provider = IamOpenidConnectProvider(
            self,
            "provider",
            url=f"https://{GITHUB_OIDC_HOST}",
            client_id_list=["sts.amazonaws.com"],
        )
        self.provider.override_logical_id("github")


def policy_document(*statements: dict[str, object]) -> str:
    """An IAM policy document (JSON) from ``statements``."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust_policy(principal: dict[str, object], action: str, condition: dict[str, object] | None = None) -> str:
    """An assume-role (trust) policy letting ``principal`` perform ``action``."""
    statement: dict[str, object] = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        statement["Condition"] = condition
    return policy_document(statement)


def github_trust_policy(provider_arn: str, subject: str) -> str:
    """Trust policy for GitHub Actions through the account's OIDC provider: this audience and this ``sub`` only
    (``repo:<owner>/<name>:environment:<env>``), so only that repository's jobs in that environment assume it."""
    return trust_policy(
        {"Federated": provider_arn},
        "sts:AssumeRoleWithWebIdentity",
        {"StringEquals": {f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com", f"{GITHUB_OIDC_HOST}:sub": subject}},
    )


def service_trust_policy(service: str) -> str:
    """Trust policy for an AWS service principal, e.g. ``ec2.amazonaws.com``."""
    return trust_policy({"Service": service}, "sts:AssumeRole")


class AppInstanceRole(Construct):
    """EC2 role + instance profile of the app tier. Outputs: :attr:`role`, :attr:`instance_profile`.

    ``secret_arns`` are the only secrets the instances may read (the RDS
    managed master secret and the session signing key); ``artifact_arn`` the
    only objects (the one release version they install).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        config: AppInstanceRoleConfig,
        *,
        secret_arns: list[str],
        artifact_arn: str,
        secrets_kms_key_arn: str | None = None,
    ) -> None:
        super().__init__(scope, id_)
        self.config = config
        self.role = IamRole(
            self,
            "role",
            name=f"{config.name}-app",
            description="CovaEX app instances: SSM, CloudWatch agent, read of the service's secrets",
            assume_role_policy=service_trust_policy("ec2.amazonaws.com"),
        )
        self.role.override_logical_id("app")
        for index, arn in enumerate(config.managed_policy_arns):
            attachment = IamRolePolicyAttachment(self, f"managed_{index}", role=self.role.name, policy_arn=arn)
            attachment.override_logical_id(f"app_{arn.rsplit('/', 1)[-1].lower()}")
        statements: list[dict[str, object]] = [
            {
                "Sid": "ReadServiceSecrets",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                "Resource": secret_arns,
            },
            {
                # GetObject of known names only: no ListBucket, no other version, no other prefix.
                "Sid": "ReadReleaseArtifact",
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": [artifact_arn],
            },
        ]
        if secrets_kms_key_arn is not None:
            statements.append(
                {
                    # The secrets are encrypted with the environment key; decrypt only through Secrets Manager.
                    "Sid": "DecryptServiceSecrets",
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt"],
                    "Resource": [secrets_kms_key_arn],
                    "Condition": {"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}},
                }
            )
        secrets = IamRolePolicy(
            self, "read_secrets", name="read-service-secrets", role=self.role.id, policy=policy_document(*statements)
        )
        secrets.override_logical_id("app_read_secrets")
        self.instance_profile = IamInstanceProfile(self, "profile", name=f"{config.name}-app", role=self.role.name)
        self.instance_profile.override_logical_id("app")


class CiDeployRole(Construct):
    """Role for GitHub Actions (OIDC): publish a release, roll the app tier, read the state. Output: :attr:`role`."""

    def __init__(
        self, scope: Construct, id_: str, config: CiDeployRoleConfig, *, account_id: str, autoscaling_group_arn: str
    ) -> None:
        super().__init__(scope, id_)
        self.config = config
        # The provider itself belongs to the bootstrap stack ``state`` (one per account).
        provider_arn = f"arn:aws:iam::{account_id}:oidc-provider/{GITHUB_OIDC_HOST}"
        self.role = IamRole(
            self,
            "role",
            name=f"{config.name}-ci-deploy",
            description=f"GitHub Actions of {config.github_repo} ({config.environment}): app rollouts only",
            max_session_duration=config.max_session_seconds,
            assume_role_policy=github_trust_policy(provider_arn, config.subject),
        )
        self.role.override_logical_id("ci_deploy")
        bucket_arn = f"arn:aws:s3:::{config.state_bucket}"
        policy = IamRolePolicy(
            self,
            "policy",
            name="app-rollout",
            role=self.role.id,
            policy=policy_document(
                {
                    "Sid": "RollAppTier",
                    "Effect": "Allow",
                    "Action": ["autoscaling:StartInstanceRefresh", "autoscaling:CancelInstanceRefresh"],
                    "Resource": [autoscaling_group_arn],
                },
                {
                    # Describe calls do not support resource-level permissions.
                    "Sid": "WatchRollout",
                    "Effect": "Allow",
                    "Action": ["autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeInstanceRefreshes"],
                    "Resource": ["*"],
                },
                {
                    "Sid": "ReadStackState",
                    "Effect": "Allow",
                    "Action": ["s3:GetObject"],
                    "Resource": [f"{bucket_arn}/{config.state_key_prefix}/*"],
                },
                {
                    "Sid": "ListStackState",
                    "Effect": "Allow",
                    "Action": ["s3:ListBucket"],
                    "Resource": [bucket_arn],
                    "Condition": {"StringLike": {"s3:prefix": [f"{config.state_key_prefix}/*"]}},
                },
            ),
        )
        policy.override_logical_id("ci_deploy")


class ArtifactPublishRole(Construct):
    """GitHub Actions role of the release workflow's ``artifact`` job. Output: :attr:`role`."""

    def __init__(
        self, scope: Construct, id_: str, *, provider_arn: str, github_repo: str, artifact_bucket: str
    ) -> None:
        super().__init__(scope, id_)
        self.role = IamRole(
            self,
            "role",
            name="covaex-ci-artifact-publish",
            description=f"GitHub Actions of {github_repo} ({RELEASE_ENVIRONMENT}): publish release artifacts",
            max_session_duration=3600,
            assume_role_policy=github_trust_policy(
                provider_arn, f"repo:{github_repo}:environment:{RELEASE_ENVIRONMENT}"
            ),
        )
        self.role.override_logical_id("ci_artifact_publish")
        policy = IamRolePolicy(
            self,
            "policy",
            name="publish-release-artifact",
            role=self.role.id,
            policy=policy_document(
                {
                    # Put only (multipart uploads included): no list, read back or delete of what instances install.
                    "Sid": "PublishReleaseArtifact",
                    "Effect": "Allow",
                    "Action": ["s3:PutObject"],
                    "Resource": [f"arn:aws:s3:::{artifact_bucket}/{ARTIFACT_PREFIX}*"],
                },
            ),
        )
        policy.override_logical_id("ci_artifact_publish")
