"""Customer-managed KMS keys for Platform v2 (EKS secrets, control-plane logs, ECR).

Unlike the v1 environment key (:mod:`infraforge.constructs.encryption_key`,
one key per environment for alarms, logs, secrets and Redis), a platform key
says what it protects and admits CloudWatch Logs only when it encrypts log
groups, so one construct serves both the EKS key and the ECR key.

The key policy reuses the v1 key's action lists (one place says what a key
policy may grant): the account root may administer and use the key (which is
what lets IAM policies grant access), and CloudWatch Logs may use it only for
the log groups named in the policy. There is no ``kms:*``; rotation is always on.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from infraforge.constructs.encryption_key import ACCOUNT_KEY_ACTIONS, SERVICE_USE_ACTIONS
from infraforge.constructs.iam import policy_document
from infraforge.platform.config import REGION, KeyConfig


class PlatformKey(Construct):
    """A rotating customer-managed key with an explicit key policy.

    Outputs: ``key`` (``.arn``, ``.key_id``) and ``alias``.
    """

    def __init__(self, scope: Construct, id_: str, *, config: KeyConfig, account_id: str) -> None:
        super().__init__(scope, id_)
        address = config.name.replace("-", "_")
        self.key = KmsKey(
            self,
            "key",
            description=config.description,
            enable_key_rotation=True,
            deletion_window_in_days=config.deletion_window_days,
            policy=policy_document(*key_policy_statements(config, account_id)),
        )
        self.key.override_logical_id(address)
        self.alias = KmsAlias(self, "alias", name=f"alias/{config.name}", target_key_id=self.key.key_id)
        self.alias.override_logical_id(address)


def key_policy_statements(config: KeyConfig, account_id: str) -> list[dict[str, object]]:
    """The key policy's statements (``Resource: *`` in a key policy means this key)."""
    statements: list[dict[str, object]] = [
        {
            "Sid": "AccountAdministersAndUsesKeyThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": list(ACCOUNT_KEY_ACTIONS),
            "Resource": "*",
        }
    ]
    if config.log_group_prefixes:
        statements.append(
            {
                "Sid": "CloudWatchLogsEncryptsNamedLogGroups",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{REGION}.amazonaws.com"},
                "Action": list(SERVICE_USE_ACTIONS),
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": [
                            f"arn:aws:logs:{REGION}:{account_id}:log-group:{prefix}*"
                            for prefix in config.log_group_prefixes
                        ]
                    }
                },
            }
        )
    return statements
