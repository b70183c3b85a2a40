"""Data tier, Redis: an ElastiCache replication group with a replica in the other AZ.

The primary and one replica sit in different AZs of the data subnets;
automatic failover promotes the replica when the primary's AZ fails, and
Multi-AZ is on. Data is encrypted at rest and in transit (TLS required, so
the service connects with ``rediss://``); only the app tier's security group
may connect. Slow-log entries go to CloudWatch Logs; a daily snapshot is kept
``snapshot_retention_days``.

The cache holds the latest market snapshot and sessions; everything in it
can be rebuilt from the feed and the database, so dev runs the same layout
on smaller nodes rather than dropping the replica.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.elasticache_replication_group import (
    ElasticacheReplicationGroup,
    ElasticacheReplicationGroupLogDeliveryConfiguration,
)
from cdktf_cdktf_provider_aws.elasticache_subnet_group import ElasticacheSubnetGroup
from constructs import Construct

from infraforge.constructs.config import CacheConfig
from infraforge.constructs.network import Network
from infraforge.constructs.security_groups import REDIS_PORT, SecurityGroups


class RedisCache(Construct):
    """Replication group (primary + replica), subnet group, slow-log group.

    Outputs: :attr:`replication_group`, :attr:`primary_endpoint`, :attr:`member_ids`.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        config: CacheConfig,
        network: Network,
        security_groups: SecurityGroups,
        *,
        kms_key_arn: str | None = None,
    ) -> None:
        super().__init__(scope, id_)
        self.config = config
        subnet_group = ElasticacheSubnetGroup(
            self,
            "subnet_group",
            name=f"{config.name}-redis",
            description="CovaEX Redis: private data subnets of both AZs",
            subnet_ids=network.subnet_ids("data"),
        )
        subnet_group.override_logical_id("redis")
        slow_log = CloudwatchLogGroup(
            self,
            "slow_log",
            name=f"/covaex/{config.name}/redis-slow-log",
            retention_in_days=config.log_retention_days,
            kms_key_id=kms_key_arn,
        )
        slow_log.override_logical_id("redis_slow_log")
        self.replication_group_id = f"{config.name}-redis"
        self.replication_group = ElasticacheReplicationGroup(
            self,
            "replication_group",
            replication_group_id=self.replication_group_id,
            description="CovaEX market snapshot and sessions",
            engine="redis",
            engine_version=config.engine_version,
            node_type=config.node_type,
            port=REDIS_PORT,
            num_cache_clusters=len(config.availability_zones),
            preferred_cache_cluster_azs=list(config.availability_zones),
            automatic_failover_enabled=True,
            multi_az_enabled=True,
            subnet_group_name=subnet_group.name,
            security_group_ids=[security_groups.cache.id],
            at_rest_encryption_enabled="true",
            kms_key_id=kms_key_arn,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            auto_minor_version_upgrade="true",
            snapshot_retention_limit=config.snapshot_retention_days,
            snapshot_window=config.snapshot_window,
            maintenance_window=config.maintenance_window,
            apply_immediately=False,
            log_delivery_configuration=[
                ElasticacheReplicationGroupLogDeliveryConfiguration(
                    destination=slow_log.name,
                    destination_type="cloudwatch-logs",
                    log_format="json",
                    log_type="slow-log",
                )
            ],
            tags={"Name": f"{config.name}-redis"},
        )
        self.replication_group.override_logical_id("redis")

    @property
    def primary_endpoint(self) -> str:
        return str(self.replication_group.primary_endpoint_address)

    @property
    def member_ids(self) -> tuple[str, ...]:
        """Cache cluster ids of the members (``<group>-001`` ...), as ElastiCache names them."""
        return tuple(f"{self.replication_group_id}-{i + 1:03d}" for i in range(len(self.config.availability_zones)))
