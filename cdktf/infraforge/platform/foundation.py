"""Read what the v1 foundation of the same environment owns and the pods use (never create or modify it).

The CovaEX pods read two secrets, both from ``tobe-v1-<env>``: the session
key (``covaex/<env>/session-key``) and the database master secret, which RDS
creates and names itself (``rds!db-<uuid>``). Both are encrypted with the
environment's v1 KMS key, and so is the alarm topic Alertmanager publishes
to; the pods also connect to the v1 database and Redis, whose endpoints are
looked up here too. A platform stack looks them up by the names v1 gives them
(:mod:`infraforge.config`), like :mod:`infraforge.platform.network` looks up
the VPC, so it synthesizes on its own and deploys against what v1 applied.
"""

from __future__ import annotations

from cdktf import Token
from cdktf_cdktf_provider_aws.data_aws_db_instance import DataAwsDbInstance
from cdktf_cdktf_provider_aws.data_aws_elasticache_replication_group import DataAwsElasticacheReplicationGroup
from cdktf_cdktf_provider_aws.data_aws_kms_key import DataAwsKmsKey
from cdktf_cdktf_provider_aws.data_aws_secretsmanager_secret import DataAwsSecretsmanagerSecret
from cdktf_cdktf_provider_aws.data_aws_sns_topic import DataAwsSnsTopic
from constructs import Construct


class V1Foundation(Construct):
    """The v1 key, database, cache, session secret and alarm topic of ``<project>-<env>``.

    Outputs: ``key_arn``, ``database_secret_arn``, ``session_secret_arn``, ``alarm_topic_arn``, ``database`` and
    ``cache`` (their endpoints).
    """

    def __init__(self, scope: Construct, id_: str, *, name: str, secrets_prefix: str) -> None:
        super().__init__(scope, id_)
        # the names infraforge.constructs (encryption_key, database, observability) give them
        self._key = DataAwsKmsKey(self, "key", key_id=f"alias/{name}")
        self._key.override_logical_id("v1")
        self._database = DataAwsDbInstance(self, "database", db_instance_identifier=f"{name}-postgres")
        self._database.override_logical_id("v1")
        self._topic = DataAwsSnsTopic(self, "topic", name=f"{name}-alarms")
        self._topic.override_logical_id("v1_alarms")
        # infraforge.constructs.app_secrets names it <prefix>/session-key
        self._session = DataAwsSecretsmanagerSecret(self, "session", name=f"{secrets_prefix}/session-key")
        self._session.override_logical_id("v1_session_key")
        # infraforge.constructs.cache names the group <name>-redis
        self.cache = DataAwsElasticacheReplicationGroup(self, "cache", replication_group_id=f"{name}-redis")
        self.cache.override_logical_id("v1")

    @property
    def database(self) -> DataAwsDbInstance:
        return self._database

    @property
    def session_secret_arn(self) -> str:
        return str(self._session.arn)

    @property
    def database_port(self) -> str:
        return Token.as_string(self._database.port)

    @property
    def key_arn(self) -> str:
        return str(self._key.arn)

    @property
    def database_secret_arn(self) -> str:
        return str(self._database.master_user_secret.get(0).secret_arn)

    @property
    def alarm_topic_arn(self) -> str:
        return str(self._topic.arn)
