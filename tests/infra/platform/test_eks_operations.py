"""Issue 24, EKS at v1's standard: secrets, scaling, monitoring fit for EKS, named admins, logs per environment.

Each test reads the synthesized ``platform-v2-<env>`` JSON (or the cost model over it) and fails on the
stacks before the issue: no metrics-server or autoscaler, control-plane scrapes EKS cannot serve, Watchdog
routed nowhere, only the creator on the API, every log type kept a year in dev too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from infraforge.environments import PROFILES
from infraforge.gitops_site import PLATFORM_OUTPUTS
from infraforge.platform.config import (
    ADMIN_POLICY_ARN,
    CLUSTER_AUTOSCALER_CHART,
    CLUSTER_AUTOSCALER_IMAGE_TAG,
    EKS_HIDDEN_COMPONENTS,
    EXTERNAL_SECRETS_CHART,
    METRICS_SERVER_CHART,
    PLATFORMS,
    ClusterConfig,
)

from covaex.analysis.cost import monthly_cost
from covaex.topology.tfjson import load_stack

CONFIGS = {config.stack_name: config for config in PLATFORMS.values()}
ENV_STACKS = tuple(CONFIGS)
PRICES = Path(__file__).resolve().parents[3] / "templates" / "data" / "prices.yaml"


def releases(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in doc["resource"]["helm_release"].values()}


def values_of(release: dict[str, Any]) -> dict[str, Any]:
    (text,) = release["values"]
    values: dict[str, Any] = yaml.safe_load(text)
    return values


def wired(release: dict[str, Any]) -> dict[str, str]:
    return {s["name"]: s["value"] for s in release.get("set") or []}


# --- 2. metrics-server and the Cluster Autoscaler -------------------------------------


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_metrics_server_and_cluster_autoscaler_are_pinned_releases(platform_json: dict[str, Any], stack: str) -> None:
    found = releases(platform_json[stack])
    for chart in (METRICS_SERVER_CHART, CLUSTER_AUTOSCALER_CHART):
        release = found[chart.release]
        assert re.fullmatch(r"\d+\.\d+\.\d+", release["version"]) and release["version"] == chart.version
        assert (release["repository"], release["namespace"]) == (chart.repository, "kube-system")
        assert "helm_release.aws_load_balancer_controller" in release["depends_on"]
    # the autoscaler's minor is the cluster's
    cluster_version = platform_json[stack]["resource"]["aws_eks_cluster"]["main"]["version"]
    assert CLUSTER_AUTOSCALER_IMAGE_TAG.startswith(f"v{cluster_version}.")
    assert values_of(found["cluster-autoscaler"])["image"]["tag"] == CLUSTER_AUTOSCALER_IMAGE_TAG


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_cluster_autoscaler_discovers_and_resizes_only_this_clusters_groups(
    platform_json: dict[str, Any], stack: str
) -> None:
    doc = platform_json[stack]
    config = CONFIGS[stack]
    release = releases(doc)["cluster-autoscaler"]
    values = values_of(release)
    assert values["cloudProvider"] == "aws" and values["awsRegion"] == "ap-northeast-2"
    # the two tags EKS puts on a managed node group's Auto Scaling group
    assert values["autoDiscovery"]["tags"] == [
        "k8s.io/cluster-autoscaler/enabled",
        "k8s.io/cluster-autoscaler/{{ .Values.autoDiscovery.clusterName }}",
    ]
    assert wired(release) == {
        "autoDiscovery.clusterName": "${aws_eks_cluster.main.name}",
        r"rbac.serviceAccount.annotations.eks\.amazonaws\.com/role-arn": "${aws_iam_role.irsa_cluster_autoscaler.arn}",
    }
    assert values["rbac"]["serviceAccount"]["name"] == config.cluster_autoscaler_account.name
    (trust,) = json.loads(doc["resource"]["aws_iam_role"]["irsa_cluster_autoscaler"]["assume_role_policy"])["Statement"]
    assert trust["Condition"]["StringEquals"]["${local.oidc_issuer_host}:sub"] == (
        "system:serviceaccount:kube-system:cluster-autoscaler"
    )
    policy = json.loads(doc["resource"]["aws_iam_policy"]["irsa_cluster_autoscaler"]["policy"])["Statement"]
    writes = [s for s in policy if any(not a.split(":")[1].startswith(("Describe", "Get")) for a in s["Action"])]
    (resize,) = writes
    assert set(resize["Action"]) == {
        "autoscaling:SetDesiredCapacity",
        "autoscaling:TerminateInstanceInAutoScalingGroup",
    }
    assert resize["Condition"]["StringEquals"] == {
        f"aws:ResourceTag/k8s.io/cluster-autoscaler/{config.cluster.name}": "owned",
        "aws:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true",
    }
    assert resize["Resource"].endswith(f":autoScalingGroupName/eks-{config.node_group.name}-*")
    # the group's max is the ceiling the autoscaler may reach; desired is left to it after creation
    group = doc["resource"]["aws_eks_node_group"][config.node_group.name]
    assert group["scaling_config"]["max_size"] > group["scaling_config"]["min_size"]
    assert group["lifecycle"]["ignore_changes"] == ["scaling_config[0].desired_size"]


# --- 3. kube-prometheus-stack for EKS; Watchdog to a dead-man's switch ----------------


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_no_scrape_or_alert_for_control_plane_parts_eks_hides(platform_json: dict[str, Any], stack: str) -> None:
    values = values_of(releases(platform_json[stack])["kube-prometheus-stack"])
    assert set(EKS_HIDDEN_COMPONENTS) == {"kubeScheduler", "kubeControllerManager", "kubeEtcd", "kubeProxy"}
    for component in EKS_HIDDEN_COMPONENTS:
        assert values[component] == {"enabled": False}, component
    rules = values["defaultRules"]["rules"]
    for group in ("etcd", "kubeControllerManager", "kubeProxy", "kubeSchedulerAlerting", "kubeSchedulerRecording"):
        assert rules[group] is False, group


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_watchdog_goes_to_a_dead_mans_switch_not_to_the_alarm_topic(platform_json: dict[str, Any], stack: str) -> None:
    doc = platform_json[stack]
    release = releases(doc)["kube-prometheus-stack"]
    config = values_of(release)["alertmanager"]["config"]
    (watchdog,) = [r for r in config["route"]["routes"] if r["matchers"] == ['alertname = "Watchdog"']]
    assert watchdog["receiver"] == "deadmans-switch" != config["route"]["receiver"]
    receivers = [r["name"] for r in config["receivers"]]
    index = receivers.index("deadmans-switch")
    topics = wired(release)
    assert topics[f"alertmanager.config.receivers[{index}].sns_configs[0].topic_arn"] == "${aws_sns_topic.watchdog.arn}"
    assert topics[f"alertmanager.config.receivers[{receivers.index('sns')}].sns_configs[0].topic_arn"] == (
        "${data.aws_sns_topic.v1_alarms.arn}"
    )
    topic = doc["resource"]["aws_sns_topic"]["watchdog"]
    assert topic["name"] == CONFIGS[stack].watchdog_topic_name
    assert topic["kms_master_key_id"] == "${data.aws_kms_key.v1.arn}"
    # silence is the failure: the alarm pages through the v1 topic when no heartbeat arrives
    alarm = doc["resource"]["aws_cloudwatch_metric_alarm"]["watchdog_silent"]
    assert (alarm["namespace"], alarm["metric_name"]) == ("AWS/SNS", "NumberOfMessagesPublished")
    assert alarm["dimensions"] == {"TopicName": "${aws_sns_topic.watchdog.name}"}
    assert alarm["treat_missing_data"] == "breaching"
    assert alarm["comparison_operator"] == "LessThanThreshold" and alarm["threshold"] == 1
    assert alarm["alarm_actions"] == ["${data.aws_sns_topic.v1_alarms.arn}"]
    # Alertmanager re-sends Watchdog more often than one alarm period
    repeat = int(watchdog["repeat_interval"].removesuffix("m")) * 60
    assert repeat < alarm["period"]
    publish = next(
        s
        for s in json.loads(doc["resource"]["aws_iam_policy"]["irsa_alertmanager"]["policy"])["Statement"]
        if s["Action"] == ["sns:Publish"]
    )
    assert "${aws_sns_topic.watchdog.arn}" in publish["Resource"]


# --- 4. access entries for the profile's admin roles -----------------------------------


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_profile_admin_roles_get_cluster_admin_access_entries(platform_json: dict[str, Any], stack: str) -> None:
    doc = platform_json[stack]
    roles = PROFILES[CONFIGS[stack].environment].eks_admin_roles
    assert roles, "the creator alone must not be the only identity on the API"
    entries = doc["resource"]["aws_eks_access_entry"]
    principals = {e["principal_arn"] for e in entries.values()}
    assert principals == {f"arn:aws:iam::${{data.aws_caller_identity.current.account_id}}:role/{r}" for r in roles}
    associations = doc["resource"]["aws_eks_access_policy_association"].values()
    assert {a["policy_arn"] for a in associations} == {ADMIN_POLICY_ARN}
    assert all(a["access_scope"] == {"type": "cluster"} for a in associations)
    assert all(a["cluster_name"] == "${aws_eks_cluster.main.name}" for a in associations)
    assert {a["principal_arn"] for a in associations} == {
        f"${{aws_eks_access_entry.{address}.principal_arn}}" for address in entries
    }


@pytest.mark.parametrize("role", ["arn:aws:iam::111122223333:role/ops", "role/ops", "", "bad role", "x" * 65], ids=repr)
def test_an_admin_role_that_is_not_a_role_name_is_refused(role: str) -> None:
    with pytest.raises(ValueError, match="is not an IAM role name"):
        ClusterConfig(name="covaex-test", admin_roles=(role,))


# --- 6. control-plane logs sized per environment, priced from the same settings ------------


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_control_plane_logs_follow_the_profile(platform_json: dict[str, Any], stack: str) -> None:
    doc = platform_json[stack]
    env = PROFILES[CONFIGS[stack].environment]
    assert doc["resource"]["aws_eks_cluster"]["main"]["enabled_cluster_log_types"] == list(env.eks_log_types)
    (group,) = doc["resource"]["aws_cloudwatch_log_group"].values()
    assert group["retention_in_days"] == env.eks_log_retention_days


def test_dev_ships_fewer_logs_for_less_time_than_prod() -> None:
    dev, prod = PROFILES["dev"], PROFILES["prod"]
    assert set(dev.eks_log_types) < set(prod.eks_log_types)
    assert dev.eks_log_retention_days < prod.eks_log_retention_days
    assert "audit" in dev.eks_log_types, "who changed what is answerable in every environment"


@pytest.mark.parametrize("types", [(), ("api", "api"), ("kubelet",)], ids=repr)
def test_log_types_outside_eks_are_refused(types: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="log types must be"):
        ClusterConfig(name="covaex-test", log_types=types)


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_cost_model_prices_the_logs_the_stack_ships(platform_paths: dict[str, Path], stack: str) -> None:
    prices = yaml.safe_load(PRICES.read_text(encoding="utf-8"))
    env = PROFILES[CONFIGS[stack].environment]
    cost = monthly_cost(load_stack(stack, platform_paths[stack]), prices)
    (line,) = [line for line in cost.lines if line.kind == "eks-logs"]
    logs = prices["eks_control_plane_logs"]
    gb = sum(logs["assumed_gb_month"][t] for t in env.eks_log_types)
    expected = gb * logs["ingestion_gb_price"] + gb * env.eks_log_retention_days / 30 * logs["storage_gb_month_price"]
    assert line.monthly == pytest.approx(expected, abs=0.01)
    assert f"kept {env.eks_log_retention_days} days" in line.item
    assert all(t in line.item for t in env.eks_log_types)
    assert logs["note"] in cost.assumptions


# --- 1. pod secrets from Secrets Manager, rotation followed ----------------------------


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_external_secrets_is_installed_pinned_and_holds_no_role(platform_json: dict[str, Any], stack: str) -> None:
    release = releases(platform_json[stack])[EXTERNAL_SECRETS_CHART.release]
    assert (release["chart"], release["repository"], release["version"]) == (
        EXTERNAL_SECRETS_CHART.chart,
        EXTERNAL_SECRETS_CHART.repository,
        EXTERNAL_SECRETS_CHART.version,
    )
    assert re.fullmatch(r"\d+\.\d+\.\d+", release["version"])
    assert values_of(release)["installCRDs"] is True
    # the operator signs in as each SecretStore's service account, never with a role of its own
    assert not release.get("set"), "no IRSA annotation on the operator's account"
    assert "helm_release.aws_load_balancer_controller" in release["depends_on"]


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_the_service_role_reads_exactly_the_two_secrets_the_pods_use(platform_json: dict[str, Any], stack: str) -> None:
    doc = platform_json[stack]
    statements = json.loads(doc["resource"]["aws_iam_policy"]["irsa_covaex"]["policy"])["Statement"]
    (read,) = [s for s in statements if any(a.startswith("secretsmanager:") for a in s["Action"])]
    assert read["Resource"] == [
        "${data.aws_secretsmanager_secret.v1_session_key.arn}",
        "${data.aws_db_instance.v1.master_user_secret[0].secret_arn}",
    ]
    env = CONFIGS[stack].environment
    assert doc["data"]["aws_secretsmanager_secret"]["v1_session_key"]["name"] == f"covaex/{env}/session-key"


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_the_stack_outputs_everything_the_bootstrap_reads(platform_json: dict[str, Any], stack: str) -> None:
    outputs = platform_json[stack]["output"]
    assert set(PLATFORM_OUTPUTS) <= set(outputs)
    assert outputs["database_secret_arn"]["value"] == "${data.aws_db_instance.v1.master_user_secret[0].secret_arn}"
    assert outputs["session_secret_arn"]["value"] == "${data.aws_secretsmanager_secret.v1_session_key.arn}"
    assert outputs["redis_host"]["value"] == "${data.aws_elasticache_replication_group.v1.primary_endpoint_address}"
    env = CONFIGS[stack].environment
    group = platform_json[stack]["data"]["aws_elasticache_replication_group"]["v1"]
    assert group["replication_group_id"] == f"covaex-{env}-redis"
