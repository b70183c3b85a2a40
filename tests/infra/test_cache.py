"""Redis: replication group with a replica in the other AZ, failover, encryption in transit and at rest."""

from __future__ import annotations

import pytest
from infraforge.constructs.config import CacheConfig

from tests.infra.stack_json import Json, resource


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_replica_in_the_other_az_with_failover(env: str, stacks: dict[str, Json]) -> None:
    redis = resource(stacks[f"tobe-v1-{env}"], "aws_elasticache_replication_group.redis")
    assert redis["num_cache_clusters"] == 2
    assert redis["preferred_cache_cluster_azs"] == ["ap-northeast-2a", "ap-northeast-2c"]
    assert redis["automatic_failover_enabled"] is True
    assert redis["multi_az_enabled"] is True


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_encrypted_in_transit_and_at_rest(env: str, stacks: dict[str, Json]) -> None:
    redis = resource(stacks[f"tobe-v1-{env}"], "aws_elasticache_replication_group.redis")
    assert redis["transit_encryption_enabled"] is True
    assert redis["transit_encryption_mode"] == "required"
    assert redis["at_rest_encryption_enabled"] == "true"
    assert redis["snapshot_retention_limit"] >= 1
    assert redis["subnet_group_name"] == "${aws_elasticache_subnet_group.redis.name}"


def test_replica_must_be_in_another_az() -> None:
    with pytest.raises(ValueError, match="another AZ"):
        CacheConfig(name="t", node_type="cache.t4g.micro", availability_zones=("ap-northeast-2a",) * 2)
