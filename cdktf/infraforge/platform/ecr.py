"""The ECR repository of the CovaEX service image.

IMMUTABLE tags (a tag names one image forever, so a ``git revert`` of a tag
bump is an exact rollback), scan on push, encryption with a customer key,
and a lifecycle policy that keeps release images (``v*``) longest, recent
build images (``sha-*``) next, and drops untagged leftovers after a week.
See :class:`infraforge.platform.config.EcrConfig` for the tag convention.
"""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.ecr_lifecycle_policy import EcrLifecyclePolicy
from cdktf_cdktf_provider_aws.ecr_repository import (
    EcrRepository,
    EcrRepositoryEncryptionConfiguration,
    EcrRepositoryImageScanningConfiguration,
)
from constructs import Construct

from infraforge.platform.config import EcrConfig


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
