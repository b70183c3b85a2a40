"""Cluster add-ons: EKS managed add-ons, then Helm charts, every version pinned.

* EKS managed add-ons (:data:`~infraforge.platform.config.MANAGED_ADDONS`):
  vpc-cni with network-policy enforcement, kube-proxy, coredns and the EBS
  CSI driver (IRSA role with the AWS-managed driver policy), plus the
  encrypted gp3 StorageClass Prometheus' volume is provisioned from.
* Order: the load balancer controller first. Its admission webhook
  (``failurePolicy: Fail``) rejects every Service until its pods are ready,
  so kube-prometheus-stack and Argo CD, whose Services it would reject (and
  ``atomic`` would roll back), install after it.

* AWS Load Balancer Controller in ``kube-system`` under the service account
  ``aws-load-balancer-controller``, which assumes its scoped IRSA role. Region
  and VPC id are passed explicitly because the node's IMDS is out of reach
  for pods (hop limit 1). WAF, WAFv2 and Shield integration is off, which is
  why the IAM policy can leave those services out. The v1 subnets carry no
  ``kubernetes.io/role/elb`` tags; since v2.12.1 the controller then picks
  the subnets whose routes match the scheme (the public ones, with a route
  to the internet gateway, for the internet-facing Ingress), which is why
  the policy includes ``ec2:DescribeRouteTables``.
* kube-prometheus-stack in ``monitoring``: Prometheus selects every
  ServiceMonitor/PrometheusRule in the cluster (the service's own live in
  ``deploy/``), Grafana's sidecar loads dashboards from labelled ConfigMaps in
  every namespace, Grafana gets a generated admin password (never the chart's
  well-known default), retention per environment on a persistent volume, and
  Alertmanager sends to the environment's v1 alarm topic (SNS, signed with
  its own IRSA role), so cluster alerts reach the same people as the v1 alarms.
* Argo CD in ``argocd``: Dex off (no SSO configured yet); the server stays
  ClusterIP and is reached through ``kubectl port-forward``; applications,
  the AppProject and ``argocd-rbac-cm`` are the delivery side's
  (``deploy/argocd/``), so the chart does not render the RBAC ConfigMap.

The Helm and Kubernetes providers talk to the new cluster with a short-lived
token from ``aws eks get-token`` (no kubeconfig, no long-lived credential);
the operator's IP must be inside the cluster's public-access CIDRs. They
cannot plan against a cluster that does not exist yet, so the first apply
runs in two phases (README "Deploy to AWS": :data:`PHASE_ONE_TARGETS`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import yaml
from cdktf import Fn, ITerraformDependable
from cdktf_cdktf_provider_aws.eks_addon import EksAddon
from cdktf_cdktf_provider_helm.provider import HelmProvider, HelmProviderKubernetes, HelmProviderKubernetesExec
from cdktf_cdktf_provider_helm.release import Release, ReleaseSet
from cdktf_cdktf_provider_kubernetes.provider import KubernetesProvider, KubernetesProviderExec
from cdktf_cdktf_provider_kubernetes.storage_class_v1 import StorageClassV1, StorageClassV1Metadata
from constructs import Construct

from infraforge.platform.config import (
    CLUSTER_AUTOSCALER_IMAGE_TAG,
    EBS_CSI_ADDON,
    EKS_HIDDEN_COMPONENTS,
    EKS_HIDDEN_RULE_GROUPS,
    REGION,
    STORAGE_CLASS,
    AddonsConfig,
    HelmChart,
    ServiceAccountRef,
)
from infraforge.platform.eks import EksPlatform

PHASE_ONE_TARGETS = ("aws_eks_node_group", "aws_eks_addon")
"""Resource types whose apply (``-target``) makes the cluster the Helm/Kubernetes providers then talk to."""
# The SNS receivers' topics, computed values, are set by path into these receivers.
ALERTMANAGER_SNS_TOPIC_PATH = "alertmanager.config.receivers[0].sns_configs[0].topic_arn"
ALERTMANAGER_WATCHDOG_TOPIC_PATH = "alertmanager.config.receivers[1].sns_configs[0].topic_arn"
WATCHDOG_REPEAT = "1m"
"""Alertmanager re-sends the always-firing Watchdog this often; the dead-man's alarm waits several periods for it."""

IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
# the same annotation as a Helm ``set`` path: dots inside a key are escaped
IRSA_ANNOTATION_SET_PATH = r"serviceAccount.annotations.eks\.amazonaws\.com/role-arn"


class ClusterAddons(Construct):
    """Helm provider bound to the cluster, and the releases.

    Outputs: ``provider`` and ``releases`` (release name -> ``Release``).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: AddonsConfig,
        eks: EksPlatform,
        vpc_id: str,
        alb_controller_account: ServiceAccountRef,
        alb_controller_role_arn: str,
        ebs_csi_role_arn: str,
        alertmanager_account: ServiceAccountRef,
        alertmanager_role_arn: str,
        alarm_topic_arn: str,
        watchdog_topic_arn: str,
        cluster_autoscaler_account: ServiceAccountRef,
        cluster_autoscaler_role_arn: str,
        depends_on: Sequence[ITerraformDependable] = (),
    ) -> None:
        super().__init__(scope, id_)
        cluster = eks.cluster
        token = {
            "api_version": "client.authentication.k8s.io/v1beta1",
            "command": "aws",
            "args": ["eks", "get-token", "--cluster-name", cluster.name, "--region", REGION],
        }
        endpoint = {
            "host": cluster.endpoint,
            "cluster_ca_certificate": Fn.base64decode(cluster.certificate_authority.get(0).data),
        }
        self.provider = HelmProvider(
            self, "helm", kubernetes=HelmProviderKubernetes(**endpoint, exec=HelmProviderKubernetesExec(**token))
        )
        kubernetes = KubernetesProvider(self, "kubernetes", **endpoint, exec=[KubernetesProviderExec(**token)])

        self.managed: dict[str, EksAddon] = {}
        for addon in config.managed:
            resource = EksAddon(
                self,
                addon.name,
                cluster_name=cluster.name,
                addon_name=addon.name,
                addon_version=addon.version,
                configuration_values=addon.configuration or None,
                service_account_role_arn=ebs_csi_role_arn if addon.name == EBS_CSI_ADDON else None,
                # EKS installs vpc-cni, kube-proxy and coredns itself; the managed add-on takes them over
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="OVERWRITE",
                depends_on=[eks.node_group, *depends_on] if addon.needs_nodes else list(depends_on),
            )
            resource.override_logical_id(addon.name.replace("-", "_"))
            self.managed[addon.name] = resource
        storage_class = StorageClassV1(
            self,
            "storage_class",
            provider=kubernetes,
            metadata=StorageClassV1Metadata(name=STORAGE_CLASS),
            storage_provisioner="ebs.csi.aws.com",
            parameters={"type": "gp3", "encrypted": "true"},
            reclaim_policy="Retain",
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            depends_on=[self.managed[EBS_CSI_ADDON]],
        )
        storage_class.override_logical_id("gp3_encrypted")

        # nodes, networking and DNS must exist before any chart can schedule a pod
        after: list[ITerraformDependable] = [eks.node_group, *self.managed.values(), *depends_on]
        self.releases: dict[str, Release] = {}
        controller = self._release(
            config.alb_controller,
            {
                "region": REGION,
                "replicaCount": config.alb_controller_replicas,
                "serviceAccount": {"create": True, "name": alb_controller_account.name},
                "enableShield": False,
                "enableWaf": False,
                "enableWafv2": False,
            },
            after,
            wired={
                "clusterName": cluster.name,
                "vpcId": vpc_id,
                IRSA_ANNOTATION_SET_PATH: alb_controller_role_arn,
            },
        )
        self._release(
            config.metrics_server,
            # two replicas: the HPA reads metrics.k8s.io through whichever is up during a node drain
            {"replicas": 2, "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1}},
            [*after, controller],
        )
        self._release(
            config.cluster_autoscaler,
            {
                "cloudProvider": "aws",
                "awsRegion": REGION,
                "image": {"tag": CLUSTER_AUTOSCALER_IMAGE_TAG},
                # finds the node group's Auto Scaling group by the two tags EKS puts on managed node groups'
                # groups (k8s.io/cluster-autoscaler/enabled and k8s.io/cluster-autoscaler/<cluster>)
                "autoDiscovery": {
                    "tags": [
                        "k8s.io/cluster-autoscaler/enabled",
                        "k8s.io/cluster-autoscaler/{{ .Values.autoDiscovery.clusterName }}",
                    ]
                },
                "rbac": {"serviceAccount": {"create": True, "name": cluster_autoscaler_account.name}},
                "extraArgs": {
                    # dev's two Spot instance types count as one pool of capacity
                    "balance-similar-node-groups": True,
                    "expander": "least-waste",
                    "skip-nodes-with-local-storage": False,
                },
            },
            [*after, controller],
            wired={
                "autoDiscovery.clusterName": cluster.name,
                r"rbac.serviceAccount.annotations.eks\.amazonaws\.com/role-arn": cluster_autoscaler_role_arn,
            },
        )
        self._release(
            config.external_secrets,
            {
                "installCRDs": True,
                # no role of its own: each SecretStore signs in as the service account it names (IRSA), so the
                # operator reads a namespace's secrets with that namespace's role and nothing else
                "serviceAccount": {"create": True},
            },
            [*after, controller],
        )
        self._release(
            config.kube_prometheus_stack,
            {
                **{component: {"enabled": False} for component in EKS_HIDDEN_COMPONENTS},
                "defaultRules": {"rules": {group: False for group in EKS_HIDDEN_RULE_GROUPS}},
                "prometheus": {
                    "prometheusSpec": {
                        "retention": config.prometheus_retention,
                        # pick up ServiceMonitors/rules from any namespace, not only this release's
                        "serviceMonitorSelectorNilUsesHelmValues": False,
                        "podMonitorSelectorNilUsesHelmValues": False,
                        "ruleSelectorNilUsesHelmValues": False,
                        # samples survive a pod restart or reschedule, so the retention holds
                        "storageSpec": {
                            "volumeClaimTemplate": {
                                "spec": {
                                    "storageClassName": STORAGE_CLASS,
                                    "accessModes": ["ReadWriteOnce"],
                                    "resources": {"requests": {"storage": f"{config.prometheus_storage_gib}Gi"}},
                                }
                            }
                        },
                    }
                },
                "alertmanager": {
                    "serviceAccount": {"name": alertmanager_account.name},
                    "config": {
                        "route": {
                            "receiver": "sns",
                            "group_by": ["alertname", "namespace"],
                            # Watchdog fires forever by design: not a page but the heartbeat of the whole
                            # alerting path, sent to its own topic; a CloudWatch alarm on that topic pages
                            # through the v1 alarm topic when the heartbeat stops (dead-man's switch)
                            "routes": [
                                {
                                    "receiver": "deadmans-switch",
                                    "matchers": ['alertname = "Watchdog"'],
                                    "group_wait": "0s",
                                    "group_interval": WATCHDOG_REPEAT,
                                    "repeat_interval": WATCHDOG_REPEAT,
                                    "continue": False,
                                }
                            ],
                        },
                        "receivers": [
                            {
                                "name": "sns",
                                "sns_configs": [{"sigv4": {"region": REGION}, "send_resolved": True, "topic_arn": ""}],
                            },
                            {
                                "name": "deadmans-switch",
                                "sns_configs": [{"sigv4": {"region": REGION}, "send_resolved": False, "topic_arn": ""}],
                            },
                        ],
                    },
                },
                "grafana": {
                    # empty: the Grafana chart generates a random password into its Secret
                    "adminPassword": "",
                    # the service's dashboard ships as a labelled ConfigMap in covaex-<env>
                    # (deploy/k8s/base), with its folder in the grafana_folder annotation
                    "sidecar": {
                        "dashboards": {
                            "searchNamespace": "ALL",
                            "folderAnnotation": "grafana_folder",
                            "provider": {"foldersFromFilesStructure": True},
                        }
                    },
                },
            },
            [*after, controller, storage_class],
            wired={
                ALERTMANAGER_SNS_TOPIC_PATH: alarm_topic_arn,
                ALERTMANAGER_WATCHDOG_TOPIC_PATH: watchdog_topic_arn,
                r"alertmanager.serviceAccount.annotations.eks\.amazonaws\.com/role-arn": alertmanager_role_arn,
            },
        )
        self._release(
            config.argo_cd,
            {
                "dex": {"enabled": False},
                "server": {"service": {"type": "ClusterIP"}},
                # argocd-rbac-cm (policy.csv, default role) has one owner: deploy/argocd/common
                "configs": {"rbac": {"create": False}},
            },
            [*after, controller],
        )

    def _release(
        self,
        chart: HelmChart,
        values: Mapping[str, object],
        after: Sequence[ITerraformDependable],
        wired: Mapping[str, str] | None = None,
    ) -> Release:
        """One release: ``values`` are literal chart values, ``wired`` the ones Terraform computes.

        Computed values go through ``set`` so the ``values`` document stays
        literal YAML that the generated docs can show as it is.
        """
        release = Release(
            self,
            chart.release,
            provider=self.provider,
            name=chart.release,
            repository=chart.repository,
            chart=chart.chart,
            version=chart.version,
            namespace=chart.namespace,
            create_namespace=chart.namespace != "kube-system",
            values=[yaml.safe_dump(dict(values), sort_keys=False)],
            set=[ReleaseSet(name=key, value=value) for key, value in (wired or {}).items()] or None,
            atomic=True,
            cleanup_on_fail=True,
            max_history=10,
            timeout=900,
            depends_on=list(after),
        )
        release.override_logical_id(chart.release.replace("-", "_"))
        self.releases[chart.release] = release
        return release
