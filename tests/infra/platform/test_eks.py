"""EKS control plane, OIDC provider and node group of both environments."""

from __future__ import annotations

import json
from typing import Any

import cdktf
import pytest
from infraforge.platform.config import PLATFORMS, PlatformConfig

CONFIGS = {config.stack_name: config for config in PLATFORMS.values()}
ENV_STACKS = tuple(CONFIGS)


def resources(doc: dict[str, Any], kind: str) -> dict[str, Any]:
    return doc.get("resource", {}).get(kind, {})


def only(doc: dict[str, Any], kind: str) -> dict[str, Any]:
    found = resources(doc, kind)
    assert len(found) == 1, f"expected one {kind}, got {sorted(found)}"
    return next(iter(found.values()))


def subnet_zones(doc: dict[str, Any], refs: list[str]) -> set[str]:
    """Availability zones of the ``data.aws_subnet`` lookups that ``refs`` point at."""
    subnets = doc["data"]["aws_subnet"]
    zones = set()
    for ref in refs:
        assert ref.startswith("${data.aws_subnet.") and ref.endswith(".id}"), ref
        lookup = subnets[ref.removeprefix("${data.aws_subnet.").removesuffix(".id}")]
        assert {"name": "tag:Tier", "values": ["app"]} in lookup["filter"], "must be a private-app subnet"
        zones.add(lookup["availability_zone"])
    return zones


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_cluster_endpoints_logs_encryption_and_upgrade_policy(platform_json: dict[str, Any], stack: str) -> None:
    doc = platform_json[stack]
    config: PlatformConfig = CONFIGS[stack]
    cluster = only(doc, "aws_eks_cluster")
    vpc = cluster["vpc_config"]
    assert vpc["endpoint_private_access"] is True
    assert vpc["endpoint_public_access"] is True
    assert vpc["public_access_cidrs"] == list(config.cluster.public_access_cidrs)
    assert not any(cidr.endswith("/0") for cidr in vpc["public_access_cidrs"])
    assert subnet_zones(doc, vpc["subnet_ids"]) == {"ap-northeast-2a", "ap-northeast-2c"}
    assert cluster["enabled_cluster_log_types"] == list(config.cluster.log_types)
    assert cluster["encryption_config"]["resources"] == ["secrets"]
    key_ref = cluster["encryption_config"]["provider"]["key_arn"]
    key_name = key_ref.removeprefix("${aws_kms_key.").removesuffix(".arn}")
    assert resources(doc, "aws_kms_key")[key_name]["enable_key_rotation"] is True
    assert cluster["upgrade_policy"] == {"support_type": "STANDARD"}
    assert cluster["version"] == config.cluster.kubernetes_version
    assert cluster["access_config"]["authentication_mode"] == "API"


def test_prod_cluster_refuses_deletion(platform_json: dict[str, Any]) -> None:
    assert only(platform_json["platform-v2-prod"], "aws_eks_cluster")["deletion_protection"] is True


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_control_plane_logs_are_kept_and_encrypted(platform_text: dict[str, str], stack: str) -> None:
    config = CONFIGS[stack]
    assert cdktf.Testing.to_have_resource_with_properties(
        platform_text[stack],
        "aws_cloudwatch_log_group",
        {
            "name": f"/aws/eks/{config.cluster.name}/cluster",
            "retention_in_days": config.cluster.log_retention_days,
        },
    )
    log_group = only(json.loads(platform_text[stack]), "aws_cloudwatch_log_group")
    assert log_group["kms_key_id"].startswith("${aws_kms_key.")


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_node_group_spans_both_azs_with_env_sizing(platform_json: dict[str, Any], stack: str) -> None:
    doc = platform_json[stack]
    sizing = CONFIGS[stack].node_group
    group = only(doc, "aws_eks_node_group")
    assert subnet_zones(doc, group["subnet_ids"]) == {"ap-northeast-2a", "ap-northeast-2c"}
    assert group["scaling_config"] == {
        "min_size": sizing.min_size,
        "desired_size": sizing.desired_size,
        "max_size": sizing.max_size,
    }
    assert group["instance_types"] == list(sizing.instance_types)
    assert group["capacity_type"] == sizing.capacity_type
    assert group["cluster_name"] == "${aws_eks_cluster.main.name}"
    assert "remote_access" not in group, "no SSH into nodes: SSM or kubectl debug instead"


def test_prod_nodes_are_on_demand_and_bigger_than_dev(platform_json: dict[str, Any]) -> None:
    prod = only(platform_json["platform-v2-prod"], "aws_eks_node_group")
    dev = only(platform_json["platform-v2-dev"], "aws_eks_node_group")
    assert prod["capacity_type"] == "ON_DEMAND"
    assert prod["scaling_config"]["min_size"] >= 3 > dev["scaling_config"]["min_size"]


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_nodes_use_imdsv2_hop_limit_one_and_encrypted_root(platform_json: dict[str, Any], stack: str) -> None:
    doc = platform_json[stack]
    template = only(doc, "aws_launch_template")
    assert template["metadata_options"]["http_tokens"] == "required"
    assert template["metadata_options"]["http_put_response_hop_limit"] == 1
    (device,) = template["block_device_mappings"]
    assert device["ebs"]["encrypted"] == "true"
    group = only(doc, "aws_eks_node_group")
    assert group["launch_template"]["id"] == "${aws_launch_template.eks_general.id}"


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_oidc_provider_trusts_the_cluster_issuer_for_sts(platform_text: dict[str, str], stack: str) -> None:
    assert cdktf.Testing.to_have_resource_with_properties(
        platform_text[stack],
        "aws_iam_openid_connect_provider",
        {"url": "${aws_eks_cluster.main.identity[0].oidc[0].issuer}", "client_id_list": ["sts.amazonaws.com"]},
    )


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_network_is_read_from_v1_not_created(platform_json: dict[str, Any], stack: str) -> None:
    doc = platform_json[stack]
    env = CONFIGS[stack].environment
    assert not resources(doc, "aws_vpc") and not resources(doc, "aws_subnet")
    (vpc,) = doc["data"]["aws_vpc"].values()
    assert {"name": "tag:Environment", "values": [env]} in vpc["filter"]
    assert {"name": "tag:Name", "values": [f"covaex-{env}-vpc"]} in vpc["filter"]


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_pods_reach_only_postgres_and_redis_of_v1(platform_json: dict[str, Any], stack: str) -> None:
    doc = platform_json[stack]
    env = CONFIGS[stack].environment
    groups = doc["data"]["aws_security_group"]
    assert {g["name"] for g in groups.values()} == {f"covaex-{env}-db", f"covaex-{env}-cache"}
    rules = resources(doc, "aws_vpc_security_group_ingress_rule")
    ports = {}
    for rule in rules.values():
        assert rule["referenced_security_group_id"] == "${aws_eks_cluster.main.vpc_config[0].cluster_security_group_id}"
        assert "cidr_ipv4" not in rule
        assert rule["from_port"] == rule["to_port"]
        ports[rule["security_group_id"]] = rule["from_port"]
    assert ports == {"${data.aws_security_group.db.id}": 5432, "${data.aws_security_group.cache.id}": 6379}


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_state_backend_tags_and_outputs_follow_v1(platform_json: dict[str, Any], stack: str) -> None:
    doc = platform_json[stack]
    env = CONFIGS[stack].environment
    backend = doc["terraform"]["backend"]["s3"]
    assert backend["key"] == f"platform-v2/{env}/terraform.tfstate"
    # no encrypt=true: with no kms_key_id it would ask S3 for AES256 over the bucket's KMS default
    assert backend["use_lockfile"] is True and "encrypt" not in backend
    tags = only(doc, "aws_eks_cluster")["tags"]
    assert tags == {"Project": "covaex", "Environment": env, "ManagedBy": "cdktf"}
    assert {"cluster_name", "oidc_provider_arn", "service_role_arn", "alb_controller_role_arn"} <= set(doc["output"])
