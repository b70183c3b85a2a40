"""State backend: private, versioned, encrypted bucket; every stack keeps its state there with S3 locking."""

from __future__ import annotations

import json

import pytest
from infraforge.constructs.config import StateBackendConfig
from infraforge.inputs import DEFAULTS

from tests.infra.stack_json import Json, resource


def test_state_bucket_is_private_versioned_and_encrypted(stacks: dict[str, Json]) -> None:
    state = stacks["state"]
    assert resource(state, "aws_s3_bucket.state")["bucket"] == DEFAULTS["state_bucket"]
    versioning = resource(state, "aws_s3_bucket_versioning.state")
    assert versioning["versioning_configuration"]["status"] == "Enabled"
    [rule] = resource(state, "aws_s3_bucket_server_side_encryption_configuration.state")["rule"]
    assert rule["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    block = resource(state, "aws_s3_bucket_public_access_block.state")
    for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
        assert block[flag] is True
    assert resource(state, "aws_s3_bucket_ownership_controls.state")["rule"]["object_ownership"] == (
        "BucketOwnerEnforced"
    )
    policy = json.loads(resource(state, "aws_s3_bucket_policy.state")["policy"])
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    [lifecycle] = resource(state, "aws_s3_bucket_lifecycle_configuration.state")["rule"]
    assert lifecycle["noncurrent_version_expiration"][0]["noncurrent_days"] == 90


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_environment_stacks_use_the_bucket_with_native_locking(env: str, stacks: dict[str, Json]) -> None:
    backend = stacks[f"tobe-v1-{env}"]["terraform"]["backend"]["s3"]
    assert backend["bucket"] == DEFAULTS["state_bucket"]
    assert backend["key"] == f"tobe-v1/{env}/terraform.tfstate"
    assert backend["use_lockfile"] is True


def test_every_backend_leaves_the_state_to_the_buckets_kms_default(stacks: dict[str, Json]) -> None:
    """``encrypt = true`` without ``kms_key_id`` makes Terraform send AES256 with every write (SSE-S3, not KMS)."""
    backends = {
        name: stack["terraform"]["backend"]["s3"]
        for name, stack in stacks.items()
        if "s3" in stack.get("terraform", {}).get("backend", {})
    }
    assert len(backends) == len(stacks) - 1  # every stack but the bootstrap (local state)
    for name, backend in backends.items():
        assert not backend.get("encrypt") or backend.get("kms_key_id"), f"{name}: encrypt=true asks S3 for AES256"
    [rule] = resource(stacks["state"], "aws_s3_bucket_server_side_encryption_configuration.state")["rule"]
    assert rule["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    assert rule["bucket_key_enabled"] is True


def test_state_bucket_refuses_a_write_that_asks_for_another_algorithm(stacks: dict[str, Json]) -> None:
    policy = json.loads(resource(stacks["state"], "aws_s3_bucket_policy.state")["policy"])
    [deny] = [s for s in policy["Statement"] if s["Sid"] == "DenyOtherEncryptionThanKms"]
    assert deny["Effect"] == "Deny" and deny["Action"] == ["s3:PutObject"]
    assert deny["Condition"]["StringNotEqualsIfExists"] == {"s3:x-amz-server-side-encryption": "aws:kms"}


def test_config_refuses_zero_retention() -> None:
    with pytest.raises(ValueError, match="noncurrent_version_days"):
        StateBackendConfig(bucket_name="b", noncurrent_version_days=0)


def test_bootstrap_state_is_local_at_a_machine_independent_path(stacks: dict[str, Json]) -> None:
    path = stacks["state"]["terraform"]["backend"]["local"]["path"]
    assert path == "../../../terraform.state.tfstate"
