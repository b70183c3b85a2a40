"""The ECR repository of the CovaEX service image.

IMMUTABLE tags (a tag names one image forever, so a ``git revert`` of a tag
bump is an exact rollback), scan on push, encryption with a customer key,
and a lifecycle policy that keeps release images (``v*``) longest, recent
build images (``sha-*``) next, and drops untagged leftovers after a week.
See :class:`infraforge.platform.config.EcrConfig` for the tag convention.

:class:`ImagePushRole` is the role the release workflow
(``.github/workflows/release.yml``) assumes through GitHub's OIDC provider
(created by the ``state`` stack): only jobs of this repository running in
the GitHub environment ``release`` may assume it, and it may push to and
read this one repository, nothing else.
"""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.ecr_lifecycle_policy import EcrLifecyclePolicy
from cdktf_cdktf_provider_aws.ecr_repository import (
    EcrRepository,
    EcrRepositoryEncryptionConfiguration,
    EcrRepositoryImageScanningConfiguration,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from infraforge.constructs.config import GITHUB_OIDC_HOST, RELEASE_ENVIRONMENT
from infraforge.constructs.iam import github_trust_policy, policy_document
from infraforge.platform.config import PUSH_ACTIONS, REGION, EcrConfig

__all__ = ["ImagePushRole", "ImageRepository", "lifecycle_policy"]


class ImageRepository(Construct):
    """Outputs: ``repository`` (``.repository_url``, ``.arn``) and ``lifecycle``."""

    def __init__(self, scope: Construct, id_: str, *, config: EcrConfig, kms_key_arn: str) -> None:
        super().__init__(scope, id_)
        self.repository = EcrRepository(
            self,
            "repository",
            name=config.name,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=EcrRepositoryImageScanningConfiguration(scan_on_push=True),
            encryption_configuration=[EcrRepositoryEncryptionConfiguration(encryption_type="KMS", kms_key=kms_key_arn)],
            # images are release history: never delete a repository that still holds some
            force_delete=False,
        )
        self.repository.override_logical_id(config.name)
        self.lifecycle = EcrLifecyclePolicy(
            self, "lifecycle", repository=self.repository.name, policy=json.dumps(lifecycle_policy(config))
        )
        self.lifecycle.override_logical_id(config.name)


class ImagePushRole(Construct):
    """GitHub Actions role that pushes images to one repository. Output: ``role``."""

    def __init__(
        self, scope: Construct, id_: str, *, repository: EcrRepository, account_id: str, github_repo: str
    ) -> None:
        super().__init__(scope, id_)
        self.role = IamRole(
            self,
            "role",
            name=f"{repository.name}-ci-image-push",
            description=f"GitHub Actions of {github_repo} ({RELEASE_ENVIRONMENT}): push images to ECR",
            max_session_duration=3600,
            assume_role_policy=github_trust_policy(
                f"arn:aws:iam::{account_id}:oidc-provider/{GITHUB_OIDC_HOST}",
                f"repo:{github_repo}:environment:{RELEASE_ENVIRONMENT}",
            ),
        )
        self.role.override_logical_id("ci_image_push")
        policy = IamRolePolicy(
            self,
            "policy",
            name="push-images",
            role=self.role.id,
            policy=policy_document(
                {
                    # registry login; AWS offers no resource-level scoping for it
                    "Sid": "RegistryLogin",
                    "Effect": "Allow",
                    "Action": "ecr:GetAuthorizationToken",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:RequestedRegion": REGION}},
                },
                {
                    "Sid": "PushAndReadThisRepository",
                    "Effect": "Allow",
                    "Action": list(PUSH_ACTIONS),
                    "Resource": repository.arn,
                },
            ),
        )
        policy.override_logical_id("ci_image_push")


def lifecycle_policy(config: EcrConfig) -> dict[str, object]:
    """ECR lifecycle rules (lower priority number is evaluated first)."""
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": "drop untagged images (failed or superseded pushes)",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": config.untagged_expiry_days,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"keep the last {config.keep_release_images} release images (v<semver>)",
                "selection": {
                    "tagStatus": "tagged",
                    "tagPrefixList": ["v"],
                    "countType": "imageCountMoreThan",
                    "countNumber": config.keep_release_images,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 3,
                "description": f"keep the last {config.keep_build_images} build images (sha-<git sha>)",
                "selection": {
                    "tagStatus": "tagged",
                    "tagPrefixList": ["sha-"],
                    "countType": "imageCountMoreThan",
                    "countNumber": config.keep_build_images,
                },
                "action": {"type": "expire"},
            },
        ]
    }
