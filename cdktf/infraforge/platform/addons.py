"""Cluster add-ons through the CDKTF Helm provider, every chart version pinned.

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
  well-known default), retention per environment.
* Argo CD in ``argocd``: Dex off (no SSO configured yet); the server stays
  ClusterIP and is reached through ``kubectl port-forward``; applications,
  the AppProject and ``argocd-rbac-cm`` are the delivery side's
  (``deploy/argocd/``), so the chart does not render the RBAC ConfigMap.

The Helm provider talks to the new cluster with a short-lived token from
``aws eks get-token`` (no kubeconfig, no long-lived credential); the
operator's IP must be inside the cluster's public-access CIDRs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import yaml
from cdktf import Fn, ITerraformDependable
from cdktf_cdktf_provider_helm.provider import HelmProvider, HelmProviderKubernetes, HelmProviderKubernetesExec
from cdktf_cdktf_provider_helm.release import Release, ReleaseSet
from constructs import Construct

from infraforge.platform.config import REGION, AddonsConfig, HelmChart, ServiceAccountRef
from infraforge.platform.eks import EksPlatform

IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
# the same annotation as a Helm ``set`` path: dots inside a key are escaped
IRSA_ANNOTATION_SET_PATH = r"serviceAccount.annotations.eks\.amazonaws\.com/role-arn"


class ClusterAddons(Construct):
    """Helm provider bound to the cluster, and the three releases.

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
        depends_on: Sequence[ITerraformDependable] = (),
    ) -> None:
        super().__init__(scope, id_)
        cluster = eks.cluster
        self.provider = HelmProvider(
            self,
            "helm",
            kubernetes=HelmProviderKubernetes(
                host=cluster.endpoint,
                cluster_ca_certificate=Fn.base64decode(cluster.certificate_authority.get(0).data),
                exec=HelmProviderKubernetesExec(
                    api_version="client.authentication.k8s.io/v1beta1",
                    command="aws",
                    args=["eks", "get-token", "--cluster-name", cluster.name, "--region", REGION],
                ),
            ),
        )
        # nodes must exist before any chart can schedule a pod
        after = [eks.node_group, *depends_on]
        self.releases: dict[str, Release] = {}
        self._release(
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
            config.kube_prometheus_stack,
            {
                "prometheus": {
                    "prometheusSpec": {
                        "retention": config.prometheus_retention,
                        # pick up ServiceMonitors/rules from any namespace, not only this release's
                        "serviceMonitorSelectorNilUsesHelmValues": False,
                        "podMonitorSelectorNilUsesHelmValues": False,
                        "ruleSelectorNilUsesHelmValues": False,
                    }
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
            after,
        )
        self._release(
            config.argo_cd,
            {
                "dex": {"enabled": False},
                "server": {"service": {"type": "ClusterIP"}},
                # argocd-rbac-cm (policy.csv, default role) has one owner: deploy/argocd/common
                "configs": {"rbac": {"create": False}},
            },
            after,
        )

    def _release(
        self,
        chart: HelmChart,
        values: Mapping[str, object],
        after: Sequence[ITerraformDependable],
        wired: Mapping[str, str] | None = None,
    ) -> None:
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
