"""Encryption key: rotated CMK whose policy lets CloudWatch publish alarms and Logs use it; used everywhere."""

from __future__ import annotations

import json

import pytest
from infraforge.constructs.config import EncryptionKeyConfig

from tests.infra.stack_json import Json, resource, resources

KEY_ARN = "${aws_kms_key.main.arn}"


def test_key_rotates_and_its_policy_names_the_services(prod: Json) -> None:
    key = resource(prod, "aws_kms_key.main")
    assert key["enable_key_rotation"] is True
    statements = {s["Sid"]: s for s in json.loads(key["policy"])["Statement"]}
    assert statements["CloudWatchAlarmsPublishToTheTopic"]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    logs = statements["CloudWatchLogsForThisEnvironment"]
    assert logs["Principal"] == {"Service": "logs.ap-northeast-2.amazonaws.com"}
    allowed = logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert allowed[0].endswith(":log-group:/covaex/covaex-prod/*")
    assert allowed[1].endswith(":log-group:/aws/rds/instance/covaex-prod-postgres/*")
    assert "kms:*" not in statements["AccountAdministersAndUsesThroughIam"]["Action"]
    assert resource(prod, "aws_kms_alias.main")["name"] == "alias/covaex-prod"


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_everything_encryptable_uses_the_key(env: str, stacks: dict[str, Json]) -> None:
    stack = stacks[f"tobe-v1-{env}"]
    log_groups = resources(stack, "aws_cloudwatch_log_group")
    assert log_groups and all(group["kms_key_id"] == KEY_ARN for group in log_groups.values())
    assert resource(stack, "aws_secretsmanager_secret.session_key")["kms_key_id"] == KEY_ARN
    assert resource(stack, "aws_elasticache_replication_group.redis")["kms_key_id"] == KEY_ARN
    db = resource(stack, "aws_db_instance.postgres")
    assert db["master_user_secret_kms_key_id"] == KEY_ARN
    assert db["performance_insights_kms_key_id"] == KEY_ARN


def test_app_role_may_decrypt_only_through_secrets_manager(prod: Json) -> None:
    policy = json.loads(resource(prod, "aws_iam_role_policy.app_read_secrets")["policy"])
    decrypt = {s["Sid"]: s for s in policy["Statement"]}["DecryptServiceSecrets"]
    assert decrypt["Action"] == ["kms:Decrypt"]
    assert decrypt["Resource"] == [KEY_ARN]
    assert decrypt["Condition"] == {"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}}


def test_config_refuses_a_bad_deletion_window() -> None:
    with pytest.raises(ValueError, match="deletion_window_days"):
        EncryptionKeyConfig(name="t", region="ap-northeast-2", log_group_prefix="/t/", deletion_window_days=3)
