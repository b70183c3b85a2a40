"""The shared ECR repository: immutable tags, scan on push, KMS, lifecycle."""

from __future__ import annotations

import json
from typing import Any

import cdktf
from infraforge.platform.config import ECR

STACK = "platform-v2-registry"


def test_repository_is_immutable_scanned_and_kms_encrypted(platform_text: dict[str, str]) -> None:
    assert cdktf.Testing.to_have_resource_with_properties(
        platform_text[STACK],
        "aws_ecr_repository",
        {
            "name": "covaex",
            "image_tag_mutability": "IMMUTABLE",
            "image_scanning_configuration": {"scan_on_push": True},
            "force_delete": False,
        },
    )
    doc = json.loads(platform_text[STACK])
    (repository,) = doc["resource"]["aws_ecr_repository"].values()
    (encryption,) = repository["encryption_configuration"]
    assert encryption["encryption_type"] == "KMS"
    key = encryption["kms_key"].removeprefix("${aws_kms_key.").removesuffix(".arn}")
    assert doc["resource"]["aws_kms_key"][key]["enable_key_rotation"] is True


def test_lifecycle_keeps_releases_and_expires_untagged(platform_json: dict[str, Any]) -> None:
    (lifecycle,) = platform_json[STACK]["resource"]["aws_ecr_lifecycle_policy"].values()
    assert lifecycle["repository"] == "${aws_ecr_repository.covaex.name}"
    rules = {r["rulePriority"]: r["selection"] for r in json.loads(lifecycle["policy"])["rules"]}
    assert rules[1] == {
        "tagStatus": "untagged",
        "countType": "sinceImagePushed",
        "countUnit": "days",
        "countNumber": ECR.untagged_expiry_days,
    }
    # release images are matched before build images, so a v* image is never expired by the sha-* rule
    assert rules[2]["tagPrefixList"] == ["v"] and rules[2]["countNumber"] == ECR.keep_release_images
    assert rules[3]["tagPrefixList"] == ["sha-"] and rules[3]["countNumber"] == ECR.keep_build_images


def test_environment_stacks_do_not_own_the_registry(platform_json: dict[str, Any]) -> None:
    for stack in ("platform-v2-dev", "platform-v2-prod"):
        assert "aws_ecr_repository" not in platform_json[stack]["resource"]


def test_key_policies_grant_no_service_wide_wildcard(platform_json: dict[str, Any]) -> None:
    for doc in platform_json.values():
        for key in doc["resource"]["aws_kms_key"].values():
            for statement in json.loads(key["policy"])["Statement"]:
                assert statement["Principal"] != "*" and statement["Principal"] != {"AWS": "*"}
                actions = statement["Action"]
                assert "kms:*" not in actions and "*" not in actions


def test_ci_pushes_to_this_repository_only_from_the_release_environment(platform_json: dict[str, Any]) -> None:
    doc = platform_json[STACK]
    role = doc["resource"]["aws_iam_role"]["ci_image_push"]
    (trust,) = json.loads(role["assume_role_policy"])["Statement"]
    assert trust["Principal"]["Federated"].endswith(":oidc-provider/token.actions.githubusercontent.com")
    assert trust["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            # the image job of .github/workflows/release.yml runs in the GitHub environment "release"
            "token.actions.githubusercontent.com:sub": "repo:covaex/infraforge:environment:release",
        }
    }
    statements = {
        s["Sid"]: s for s in json.loads(doc["resource"]["aws_iam_role_policy"]["ci_image_push"]["policy"])["Statement"]
    }
    assert statements["PushAndReadThisRepository"]["Resource"] == "${aws_ecr_repository.covaex.arn}"
    assert "ecr:PutImage" in statements["PushAndReadThisRepository"]["Action"]
    login = statements["RegistryLogin"]
    assert login["Action"] == "ecr:GetAuthorizationToken" and login["Condition"]
    assert "ci_image_push_role_arn" in doc["output"]
