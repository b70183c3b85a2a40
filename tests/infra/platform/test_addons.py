"""Helm add-ons: present, pinned to exact chart versions, wired to the cluster and IRSA."""

from __future__ import annotations

import json
import re
from typing import Any

import cdktf
import pytest
import yaml
from infraforge.platform.config import ALB_CONTROLLER_CHART, ARGO_CD_CHART, KUBE_PROMETHEUS_STACK_CHART

ENV_STACKS = ("platform-v2-dev", "platform-v2-prod")
CHARTS = (ALB_CONTROLLER_CHART, KUBE_PROMETHEUS_STACK_CHART, ARGO_CD_CHART)
EXACT_VERSION = re.compile(r"^\d+\.\d+\.\d+$")


def releases(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in doc["resource"]["helm_release"].values()}


@pytest.mark.parametrize("stack", ENV_STACKS)
@pytest.mark.parametrize("chart", CHARTS, ids=lambda c: c.release)
def test_release_present_and_pinned(platform_text: dict[str, str], stack: str, chart: Any) -> None:
    assert EXACT_VERSION.match(chart.version), "a chart version is exact, never a range"
    assert cdktf.Testing.to_have_resource_with_properties(
        platform_text[stack],
        "helm_release",
        {
            "name": chart.release,
            "chart": chart.chart,
            "repository": chart.repository,
            "version": chart.version,
            "namespace": chart.namespace,
            "atomic": True,
        },
    )


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_releases_wait_for_nodes(platform_json: dict[str, Any], stack: str) -> None:
    for release in releases(platform_json[stack]).values():
        assert "aws_eks_node_group.general" in release["depends_on"]


def values_of(release: dict[str, Any]) -> dict[str, Any]:
    (values_text,) = release["values"]
    assert "${" not in values_text, "computed values go through set, the values document stays literal"
    values: dict[str, Any] = yaml.safe_load(values_text)
    return values


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_alb_controller_uses_its_irsa_role(platform_json: dict[str, Any], stack: str) -> None:
    release = releases(platform_json[stack])["aws-load-balancer-controller"]
    values = values_of(release)
    assert values["serviceAccount"] == {"create": True, "name": "aws-load-balancer-controller"}
    sets = {s["name"]: s["value"] for s in release["set"]}
    assert sets == {
        "clusterName": "${aws_eks_cluster.main.name}",
        # pods cannot reach IMDS (hop limit 1), so the VPC (and region) must be given
        "vpcId": "${data.aws_vpc.v1.id}",
        r"serviceAccount.annotations.eks\.amazonaws\.com/role-arn": "${aws_iam_role.irsa_alb_controller.arn}",
    }
    assert values["region"] == "ap-northeast-2"
    assert values["enableWafv2"] is False and values["enableShield"] is False
    assert "aws_iam_role_policy_attachment.irsa_alb_controller" in release["depends_on"]


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_monitoring_picks_up_the_service_and_has_no_default_password(platform_json: dict[str, Any], stack: str) -> None:
    values = values_of(releases(platform_json[stack])["kube-prometheus-stack"])
    assert values["grafana"]["adminPassword"] == ""
    assert values["prometheus"]["prometheusSpec"]["serviceMonitorSelectorNilUsesHelmValues"] is False
    # deploy/ ships the service dashboard as a ConfigMap in covaex-<env>, not in monitoring
    assert values["grafana"]["sidecar"]["dashboards"]["searchNamespace"] == "ALL"


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_helm_provider_authenticates_with_short_lived_eks_token(platform_json: dict[str, Any], stack: str) -> None:
    (helm,) = platform_json[stack]["provider"]["helm"]
    kube = helm["kubernetes"]
    assert kube["host"] == "${aws_eks_cluster.main.endpoint}"
    assert kube["exec"]["command"] == "aws"
    assert kube["exec"]["args"][:2] == ["eks", "get-token"]
    assert "token" not in kube and "config_path" not in kube


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_argo_cd_leaves_rbac_to_deploy(platform_json: dict[str, Any], stack: str) -> None:
    values = values_of(releases(platform_json[stack])["argo-cd"])
    assert values["configs"]["rbac"] == {"create": False}, "deploy/argocd/common owns argocd-rbac-cm"
    assert values["dex"] == {"enabled": False}


# --- issue 13: order, managed add-ons, persistence, alert delivery ---------------------


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_charts_install_after_the_load_balancer_controller(platform_json: dict[str, Any], stack: str) -> None:
    # Its webhook (failurePolicy: Fail) rejects every Service until the controller is ready.
    for name in ("kube-prometheus-stack", "argo-cd"):
        depends = releases(platform_json[stack])[name]["depends_on"]
        assert "helm_release.aws_load_balancer_controller" in depends, name


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_managed_addons_are_pinned_for_the_cluster_version(platform_json: dict[str, Any], stack: str) -> None:
    doc = platform_json[stack]
    addons = {a["addon_name"]: a for a in doc["resource"]["aws_eks_addon"].values()}
    assert set(addons) == {"vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver"}
    for addon in addons.values():
        assert re.fullmatch(r"v\d+\.\d+\.\d+-eksbuild\.\d+", addon["addon_version"]), addon
        assert addon["cluster_name"] == "${aws_eks_cluster.main.name}"
    # kube-proxy follows the control plane's minor version exactly
    cluster_version = doc["resource"]["aws_eks_cluster"]["main"]["version"]
    assert addons["kube-proxy"]["addon_version"].startswith(f"v{cluster_version}.")
    # without it, the default-deny NetworkPolicy in deploy/ is stored but never enforced
    assert json.loads(addons["vpc-cni"]["configuration_values"]) == {"enableNetworkPolicy": "true"}
    assert addons["aws-ebs-csi-driver"]["service_account_role_arn"] == "${aws_iam_role.irsa_ebs_csi.arn}"
    for needs_nodes in ("coredns", "aws-ebs-csi-driver"):
        assert "aws_eks_node_group.general" in addons[needs_nodes]["depends_on"]
    attachments = doc["resource"]["aws_iam_role_policy_attachment"]
    assert any(
        a["policy_arn"].endswith("service-role/AmazonEBSCSIDriverPolicy")
        and a["role"] == "${aws_iam_role.irsa_ebs_csi.name}"
        for a in attachments.values()
    )


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_prometheus_keeps_its_samples_on_an_encrypted_volume(platform_json: dict[str, Any], stack: str) -> None:
    doc = platform_json[stack]
    release = releases(doc)["kube-prometheus-stack"]
    claim = values_of(release)["prometheus"]["prometheusSpec"]["storageSpec"]["volumeClaimTemplate"]["spec"]
    (storage_class,) = doc["resource"]["kubernetes_storage_class_v1"].values()
    assert claim["storageClassName"] == storage_class["metadata"]["name"]
    assert claim["resources"]["requests"]["storage"].endswith("Gi")
    assert storage_class["storage_provisioner"] == "ebs.csi.aws.com"
    assert storage_class["parameters"] == {"type": "gp3", "encrypted": "true"}
    assert "kubernetes_storage_class_v1.gp3_encrypted" in release["depends_on"]


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_alertmanager_sends_to_the_v1_alarm_topic(platform_json: dict[str, Any], stack: str) -> None:
    release = releases(platform_json[stack])["kube-prometheus-stack"]
    config = values_of(release)["alertmanager"]["config"]
    receivers = {r["name"]: r for r in config["receivers"]}
    assert config["route"]["receiver"] == "sns"
    (sns,) = receivers["sns"]["sns_configs"]
    assert sns["sigv4"] == {"region": "ap-northeast-2"} and sns["send_resolved"] is True
    wired = {s["name"]: s["value"] for s in release["set"]}
    assert wired["alertmanager.config.receivers[0].sns_configs[0].topic_arn"] == "${data.aws_sns_topic.v1_alarms.arn}"
    assert config["receivers"][0]["name"] == "sns", "the set path above points at this receiver"
    assert wired[r"alertmanager.serviceAccount.annotations.eks\.amazonaws\.com/role-arn"] == (
        "${aws_iam_role.irsa_alertmanager.arn}"
    )
