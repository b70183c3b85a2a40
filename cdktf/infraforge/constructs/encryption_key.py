"""Encryption key: one customer-managed KMS key per environment, for what AWS-managed keys cannot do.

The key encrypts the alarm topic, the CloudWatch log groups, the service
secrets (the RDS-managed master secret and the session key), the Redis
data at rest and RDS Performance Insights. A customer-managed key is needed
for one thing above all: CloudWatch alarms cannot publish to an SNS topic
encrypted with the AWS-managed ``aws/sns`` key, because that key's policy
cannot be changed to let ``cloudwatch.amazonaws.com`` use it.

The key policy names its actions (no ``kms:*``): account administrators may
manage and use the key through IAM policies; CloudWatch Logs may use it for
this environment's log groups only; CloudWatch may use it to publish alarms.
Rotation is yearly and automatic; a deleted key waits ``deletion_window_days``.
It costs US$ 1 a month.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from infraforge.constructs.config import EncryptionKeyConfig
from infraforge.constructs.iam import policy_document

# What the account (through IAM policies) may do with the key: administration and use, named.
ACCOUNT_KEY_ACTIONS = (
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:RotateKeyOnDemand",
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
)
SERVICE_USE_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey")


class EncryptionKey(Construct):
    """The environment's KMS key and alias. Outputs: :attr:`key` (use ``key.arn``)."""

    def __init__(self, scope: Construct, id_: str, config: EncryptionKeyConfig, *, account_id: str) -> None:
        super().__init__(scope, id_)
        self.config = config
        log_groups = [
            f"arn:aws:logs:{config.region}:{account_id}:log-group:{prefix}*"
            for prefix in (config.log_group_prefix, *config.more_log_group_prefixes)
        ]
        self.key = KmsKey(
            self,
            "key",
            description=f"{config.name}: alarms topic, log groups, service secrets, Redis, Performance Insights",
            enable_key_rotation=True,
            deletion_window_in_days=config.deletion_window_days,
            policy=policy_document(
                {
                    "Sid": "AccountAdministersAndUsesThroughIam",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                    "Action": list(ACCOUNT_KEY_ACTIONS),
                    "Resource": "*",
                },
                {
                    "Sid": "CloudWatchLogsForThisEnvironment",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{config.region}.amazonaws.com"},
                    "Action": list(SERVICE_USE_ACTIONS),
                    "Resource": "*",
                    "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
                },
                {
                    "Sid": "CloudWatchAlarmsPublishToTheTopic",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                },
            ),
            tags={"Name": config.name},
        )
        self.key.override_logical_id("main")
        alias = KmsAlias(self, "alias", name=f"alias/{config.name}", target_key_id=self.key.key_id)
        alias.override_logical_id("main")

    @property
    def arn(self) -> str:
        return str(self.key.arn)
