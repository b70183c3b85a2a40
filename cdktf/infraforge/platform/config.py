"""Configuration of Platform v2 (EKS, add-ons, ECR): one frozen dataclass per concern.

Environments are values of :class:`PlatformConfig` built by :func:`platform_config`
from the environment profiles (:mod:`infraforge.environments`, the table To-Be v1
reads too), never copies of construct code. Every field is documented
where it is declared; the node-group sizing rationale lives on
:class:`NodeGroupConfig` because that is where an operator changes it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from infraforge.config import AVAILABILITY_ZONES
from infraforge.environments import PROFILES, PROJECT, EnvironmentProfile, profile
from infraforge.inputs import REGION

__all__ = ["AVAILABILITY_ZONES", "REGION"]

CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
"""Every EKS control-plane log type; each profile ships a subset (``eks_log_types``), priced by the cost model."""

ADMIN_POLICY_ARN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
"""The EKS access policy the profile's admin roles get, cluster-wide."""
_ROLE_NAME = re.compile(r"^([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$")

ADMIN_CIDR_PLACEHOLDER = "203.0.113.0/24"
"""RFC 5737 documentation range: a safe default that matches no real client.

The real operator/CI egress ranges are a deploy-time input
(``INFRAFORGE_<ENV>_EKS_PUBLIC_CIDRS`` or ``INFRAFORGE_EKS_PUBLIC_CIDRS``,
comma-separated; see :func:`public_access_cidrs`), so nothing
site-specific is committed and a forgotten setting locks the public endpoint
instead of opening it.
"""


@dataclass(frozen=True)
class NetworkLookup:
    """How a platform stack finds the v1 network it runs in.

    The v1 foundation stack (``tobe-v1-<env>``) owns the VPC and subnets; the
    platform stack only *reads* them with data sources filtered by the v1 tags.
    That keeps one owner per resource (no second VPC, no cross-stack state
    coupling), lets ``platform-v2-<env>`` synthesize on its own, and makes the
    deploy order explicit: apply ``tobe-v1-<env>`` first.
    """

    environment: str
    """Value of the v1 ``Environment`` tag (``dev`` or ``prod``)."""
    project: str = PROJECT
    """Value of the v1 ``Project`` tag."""
    tier_tag: str = "Tier"
    """Tag key the v1 network puts on every subnet to say which tier it belongs to."""
    app_tier: str = "app"
    """Tier tag value of the private application subnets (the EKS nodes and control-plane ENIs go there)."""


@dataclass(frozen=True)
class NodeGroupConfig:
    """One EKS managed node group spread over the private-app subnets of both AZs.

    Sizing rationale (what has to fit on the nodes, requests rounded up):

    * add-ons: kube-prometheus-stack (Prometheus ~1 GiB, Grafana, Alertmanager,
      operator, kube-state-metrics, one node-exporter per node) ~2 GiB; Argo CD
      (controller, repo-server, server, redis, applicationset) ~1.5 GiB; the
      AWS Load Balancer Controller (2 replicas) ~0.2 GiB; CoreDNS and the VPC
      CNI/kube-proxy daemons ~0.5 GiB;
    * the CovaEX service: 256-512 MiB per replica (Sanic workers plus the
      in-memory market snapshot), 2 replicas in dev, 3 in prod.

    That is ~5 GiB in dev and ~6 GiB in prod before headroom, so a 2-vCPU /
    8-GiB instance class (``*.large``, 35 pods per node with the VPC CNI) is the
    smallest that leaves room for a rolling update (maxSurge) and for one node
    being replaced. The sizes are each profile's ``node_*`` values
    (:mod:`infraforge.environments`):

    * **dev**: ``t3.large``/``t3a.large`` on Spot, min 2 / desired 2 / max 3.
      Two nodes so each AZ has one and the add-ons fit; burstable and Spot
      because dev idles most of the day; two instance types so a Spot
      shortage in one pool does not empty the group.
    * **prod**: ``m6i.large`` On-Demand, min 3 / desired 3 / max 6. Non-burstable
      so a busy market hour is not throttled by CPU credits; three nodes so
      losing one AZ (1 or 2 nodes) leaves capacity for the PDB-protected
      replicas while the group re-balances; max 6 doubles capacity for
      load spikes and for the surge of a node-group upgrade.
    """

    name: str
    """Node-group name, unique within the cluster."""
    instance_types: tuple[str, ...]
    """EC2 instance types; several only make sense for Spot."""
    capacity_type: str
    """``ON_DEMAND`` or ``SPOT``."""
    min_size: int
    """Lower bound of the group (never below one node per AZ)."""
    desired_size: int
    """Initial size; afterwards whoever scales the group owns it (Terraform ignores later changes)."""
    max_size: int
    """Upper bound, caps cost: the ceiling the Cluster Autoscaler (or an operator) may scale to."""
    disk_size_gib: int = 50
    """Root volume (encrypted gp3): container images plus emptyDir of Prometheus."""
    max_unavailable: int = 1
    """Nodes replaced at a time during an AMI or version upgrade."""

    def __post_init__(self) -> None:
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError(f"node group {self.name}: need min <= desired <= max")
        if self.min_size < len(AVAILABILITY_ZONES):
            raise ValueError(f"node group {self.name}: min_size must keep one node per AZ")


@dataclass(frozen=True)
class ClusterConfig:
    """The EKS control plane."""

    name: str
    """Cluster name; also the ``elbv2.k8s.aws/cluster`` tag value the ALB controller writes."""
    kubernetes_version: str = "1.35"
    """Pinned minor version; upgrades are a reviewed change of this line.

    1.35 is in EKS standard support until 2027-03-27 (1.34's ends 2026-12-02).
    With the STANDARD upgrade policy EKS upgrades a cluster itself when its
    version leaves standard support instead of billing extended support, so
    this line must move before that date, in a reviewed change.
    """
    public_access_cidrs: tuple[str, ...] = (ADMIN_CIDR_PLACEHOLDER,)
    """CIDRs allowed to reach the public API endpoint (operators and CI only).

    The private endpoint is always on, so nodes and in-VPC tooling never use
    the public one.
    """
    log_types: tuple[str, ...] = CONTROL_PLANE_LOG_TYPES
    """Control-plane log types shipped to CloudWatch (the profile's ``eks_log_types``)."""
    log_retention_days: int = 365
    """Retention of ``/aws/eks/<name>/cluster`` (audit logs answer "who changed what")."""
    deletion_protection: bool = False
    """Refuse ``DeleteCluster`` until switched off (prod)."""
    admin_roles: tuple[str, ...] = ()
    """IAM role names (``path/name``) given cluster-admin by access entries (the profile's ``eks_admin_roles``)."""

    def __post_init__(self) -> None:
        unknown = [t for t in self.log_types if t not in CONTROL_PLANE_LOG_TYPES]
        if unknown or not self.log_types or len(set(self.log_types)) != len(self.log_types):
            raise ValueError(
                f"cluster {self.name}: log types must be distinct, non-empty and among {CONTROL_PLANE_LOG_TYPES}, "
                f"got {self.log_types}"
            )
        for role in self.admin_roles:
            if role.startswith(("arn:", "role/", "/")) or not _ROLE_NAME.match(role):
                raise ValueError(f"cluster {self.name}: admin role {role!r} is not an IAM role name such as ops-admin")
        if not self.public_access_cidrs:
            raise ValueError("public_access_cidrs must not be empty: use the private endpoint plus a bastion instead")
        for cidr in self.public_access_cidrs:
            try:
                network = ipaddress.ip_network(cidr, strict=True)
            except ValueError as exc:
                raise ValueError(f"public_access_cidrs: {cidr!r} is not a CIDR such as 198.51.100.7/32") from exc
            if network.prefixlen == 0:
                raise ValueError("the public endpoint must not be open to the whole internet")


@dataclass(frozen=True)
class HelmChart:
    """A pinned Helm chart (``version`` is exact: no ranges, no ``latest``)."""

    release: str
    """Helm release name."""
    chart: str
    """Chart name in the repository."""
    repository: str
    """Chart repository URL."""
    version: str
    """Exact chart version."""
    namespace: str
    """Namespace the release installs into."""


ALB_CONTROLLER_CHART = HelmChart(
    release="aws-load-balancer-controller",
    chart="aws-load-balancer-controller",
    repository="https://aws.github.io/eks-charts",
    # chart 1.15.0 ships controller v2.15.0; its IAM needs are those of the
    # published iam_policy.json of that generation (see alb_controller_policy.py).
    version="1.15.0",
    namespace="kube-system",
)
KUBE_PROMETHEUS_STACK_CHART = HelmChart(
    release="kube-prometheus-stack",
    chart="kube-prometheus-stack",
    repository="https://prometheus-community.github.io/helm-charts",
    version="81.6.2",
    namespace="monitoring",
)
EKS_HIDDEN_COMPONENTS = ("kubeScheduler", "kubeControllerManager", "kubeEtcd", "kubeProxy")
"""kube-prometheus-stack scrapes EKS cannot serve: the scheduler, controller manager and etcd are AWS's (no
endpoint in the cluster) and EKS's kube-proxy binds its metrics to 127.0.0.1, so their targets never come up and
KubeSchedulerDown, KubeControllerManagerDown, etcd's and KubeProxyDown would fire forever."""
EKS_HIDDEN_RULE_GROUPS = (
    "etcd",
    "kubeControllerManager",
    "kubeProxy",
    "kubeSchedulerAlerting",
    "kubeSchedulerRecording",
)
"""The chart's default rule groups on those components (``defaultRules.rules``), off for the same reason."""
ARGO_CD_CHART = HelmChart(
    release="argo-cd",
    chart="argo-cd",
    repository="https://argoproj.github.io/argo-helm",
    version="9.5.4",
    namespace="argocd",
)

METRICS_SERVER_CHART = HelmChart(
    release="metrics-server",
    chart="metrics-server",
    repository="https://kubernetes-sigs.github.io/metrics-server/",
    # chart 3.13.0 ships metrics-server v0.8.0: the resource metrics API the service's HPA reads
    version="3.13.0",
    namespace="kube-system",
)
CLUSTER_AUTOSCALER_CHART = HelmChart(
    release="cluster-autoscaler",
    chart="cluster-autoscaler",
    repository="https://kubernetes.github.io/autoscaler",
    version="9.56.0",
    namespace="kube-system",
)
CLUSTER_AUTOSCALER_IMAGE_TAG = "v1.35.0"
"""The autoscaler's minor follows the cluster's (``ClusterConfig.kubernetes_version``), as its project asks."""
EXTERNAL_SECRETS_CHART = HelmChart(
    release="external-secrets",
    chart="external-secrets",
    repository="https://charts.external-secrets.io",
    version="1.3.2",
    namespace="external-secrets",
)
SECRET_REFRESH_INTERVAL = "5m"  # noqa: S105  # pragma: allowlist secret
"""How often External Secrets re-reads the pods' secrets from Secrets Manager (``deploy/k8s/base/externalsecret.yaml``
holds the same value, tests/deploy checks it): after an RDS rotation a pod refused by PostgreSQL restarts with the old
password for at most this long (kubelet's back-off grows to 5 minutes too), then starts with the rotated one."""


@dataclass(frozen=True)
class ManagedAddon:
    """An EKS managed add-on pinned to a version EKS publishes for ``ClusterConfig.kubernetes_version``.

    Upgrades are a reviewed change of ``version`` (``aws eks describe-addon-versions
    --kubernetes-version <v> --addon-name <name>`` lists the valid ones).
    """

    name: str
    version: str
    configuration: str = ""
    """JSON configuration values (the add-on's schema), empty for the defaults."""
    needs_nodes: bool = False
    """Its pods are a Deployment that cannot become ACTIVE before nodes exist."""


# Valid for Kubernetes 1.35 (the versions EKS lists for a 1.35 cluster, pinned).
MANAGED_ADDONS = (
    # enableNetworkPolicy: the CNI's node agent enforces NetworkPolicy, so the
    # service's default-deny policy (deploy/k8s/base/networkpolicy.yaml) applies.
    ManagedAddon("vpc-cni", "v1.21.1-eksbuild.3", configuration='{"enableNetworkPolicy": "true"}'),
    ManagedAddon("kube-proxy", "v1.35.0-eksbuild.2"),
    ManagedAddon("coredns", "v1.13.2-eksbuild.1", needs_nodes=True),
    # Prometheus keeps its TSDB on an EBS volume (AddonsConfig.prometheus_storage).
    ManagedAddon("aws-ebs-csi-driver", "v1.59.0-eksbuild.1", needs_nodes=True),
)
EBS_CSI_ADDON = "aws-ebs-csi-driver"
STORAGE_CLASS = "gp3-encrypted"
"""The StorageClass the platform stack creates for EBS volumes (gp3, encrypted)."""


@dataclass(frozen=True)
class AddonsConfig:
    """Cluster add-ons installed by the Helm provider."""

    alb_controller: HelmChart = ALB_CONTROLLER_CHART
    """AWS Load Balancer Controller: turns the service's Ingress into an ALB."""
    kube_prometheus_stack: HelmChart = KUBE_PROMETHEUS_STACK_CHART
    """Prometheus, Alertmanager and Grafana (EPIC 4)."""
    argo_cd: HelmChart = ARGO_CD_CHART
    """Argo CD, which syncs ``deploy/`` overlays into the cluster (EPIC 6)."""
    metrics_server: HelmChart = METRICS_SERVER_CHART
    """The resource metrics API (``metrics.k8s.io``): without it the service's HPA never scales."""
    cluster_autoscaler: HelmChart = CLUSTER_AUTOSCALER_CHART
    """Scales the node group between its min and max when pods cannot be scheduled or nodes idle."""
    external_secrets: HelmChart = EXTERNAL_SECRETS_CHART
    """External Secrets Operator: syncs the pods' Secret from Secrets Manager every ``SECRET_REFRESH_INTERVAL``."""
    managed: tuple[ManagedAddon, ...] = MANAGED_ADDONS
    """EKS managed add-ons, installed before the Helm releases."""
    prometheus_retention: str = "15d"
    """How long Prometheus keeps samples."""
    prometheus_storage_gib: int = 20
    """Prometheus' persistent volume, sized for ``prometheus_retention`` (a pod restart keeps the samples)."""
    alb_controller_replicas: int = 2
    """Controller replicas (leader election: one active, one warm standby)."""


@dataclass(frozen=True)
class ServiceAccountRef:
    """A Kubernetes service account that gets an IAM role through IRSA."""

    namespace: str
    name: str

    @property
    def subject(self) -> str:
        """The ``sub`` claim of the projected token EKS issues for this account."""
        return f"system:serviceaccount:{self.namespace}:{self.name}"


@dataclass(frozen=True)
class KeyConfig:
    """One customer-managed key of Platform v2 (:class:`~infraforge.platform.kms.PlatformKey`)."""

    name: str
    """Used for the alias ``alias/<name>`` and the resource address."""
    description: str
    """What the key protects (shown in the console)."""
    log_group_prefixes: tuple[str, ...] = ()
    """CloudWatch log-group name prefixes allowed to encrypt with the key."""
    deletion_window_days: int = 30
    """Waiting period before a scheduled deletion becomes final (maximum)."""


@dataclass(frozen=True)
class EcrConfig:
    """The image repository of the CovaEX service (shared by dev and prod).

    Tag convention (EPIC 3): every build is pushed as ``sha-<git sha>``; a
    release additionally as ``v<semver>``. Tags are IMMUTABLE, so a tag names
    one image forever and a rollback (``git revert`` of the tag bump) returns
    exactly the old bits; ``latest`` is never pushed or deployed.
    """

    name: str = "covaex"
    """Repository name, as referenced by ``deploy/`` and the CI workflow."""
    keep_release_images: int = 30
    """``v*`` images kept (each is a possible rollback target)."""
    keep_build_images: int = 50
    """``sha-*`` images kept (recent builds, dev deploys)."""
    untagged_expiry_days: int = 7
    """Untagged layers (failed or superseded pushes) are removed after this many days."""


@dataclass(frozen=True)
class PlatformConfig:
    """Everything one ``platform-v2-<env>`` stack needs."""

    environment: str
    """``dev`` or ``prod``."""
    cluster: ClusterConfig
    node_group: NodeGroupConfig
    network: NetworkLookup
    addons: AddonsConfig = field(default_factory=AddonsConfig)
    project: str = PROJECT
    """Project tag and name prefix."""

    @property
    def stack_name(self) -> str:
        return f"platform-v2-{self.environment}"

    @property
    def service_account(self) -> ServiceAccountRef:
        """The CovaEX service's account: ``covaex`` in ``covaex-<env>`` (matches ``deploy/``)."""
        return ServiceAccountRef(namespace=f"{self.project}-{self.environment}", name=self.project)

    @property
    def alb_controller_account(self) -> ServiceAccountRef:
        return ServiceAccountRef(namespace=self.addons.alb_controller.namespace, name="aws-load-balancer-controller")

    @property
    def ebs_csi_account(self) -> ServiceAccountRef:
        """The EBS CSI controller's account (fixed by the add-on)."""
        return ServiceAccountRef(namespace="kube-system", name="ebs-csi-controller-sa")

    @property
    def cluster_autoscaler_account(self) -> ServiceAccountRef:
        """The Cluster Autoscaler's account (named in its chart values)."""
        return ServiceAccountRef(namespace=self.addons.cluster_autoscaler.namespace, name="cluster-autoscaler")

    @property
    def watchdog_topic_name(self) -> str:
        """The SNS topic Alertmanager sends Watchdog to: the dead-man's switch CloudWatch watches."""
        return f"{self.cluster.name}-watchdog"

    @property
    def alertmanager_account(self) -> ServiceAccountRef:
        """Alertmanager's account as kube-prometheus-stack names it (``<release>-alertmanager``)."""
        chart = self.addons.kube_prometheus_stack
        return ServiceAccountRef(namespace=chart.namespace, name=f"{chart.release}-alertmanager")

    def with_public_access_cidrs(self, cidrs: tuple[str, ...]) -> PlatformConfig:
        """The same config with the deploy-time operator CIDRs (see ``ADMIN_CIDR_PLACEHOLDER``)."""
        return replace(self, cluster=replace(self.cluster, public_access_cidrs=cidrs))


def platform_config(environment: str | EnvironmentProfile) -> PlatformConfig:
    """The ``platform-v2-<env>`` config of a profile (or a name in :data:`~infraforge.environments.PROFILES`)."""
    env = profile(environment) if isinstance(environment, str) else environment
    return PlatformConfig(
        environment=env.name,
        cluster=ClusterConfig(
            name=f"{PROJECT}-{env.name}",
            log_types=env.eks_log_types,
            log_retention_days=env.eks_log_retention_days,
            deletion_protection=env.deletion_protection,
            admin_roles=env.eks_admin_roles,
        ),
        node_group=NodeGroupConfig(
            name="general",
            instance_types=env.node_instance_types,
            capacity_type=env.node_capacity_type,
            min_size=env.node_min_size,
            desired_size=env.node_desired_size,
            max_size=env.node_max_size,
        ),
        network=NetworkLookup(environment=env.name),
        addons=AddonsConfig(
            prometheus_retention=env.prometheus_retention, prometheus_storage_gib=env.prometheus_storage_gib
        ),
    )


PLATFORMS: dict[str, PlatformConfig] = {name: platform_config(env) for name, env in PROFILES.items()}
"""Every environment's Platform v2 config, from the one table of profiles."""
PLATFORM_DEV = PLATFORMS["dev"]
PLATFORM_PROD = PLATFORMS["prod"]

ECR = EcrConfig()
PUSH_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:CompleteLayerUpload",
    "ecr:DescribeImages",
    "ecr:GetDownloadUrlForLayer",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
)
"""What CI's image-push role may do on the repository (:class:`~infraforge.platform.ecr.ImagePushRole`)."""

PUBLIC_CIDRS_INPUT = "eks_public_cidrs"
"""The deploy-time input of the public API endpoint's CIDRs, read like the v1 inputs (:mod:`infraforge.inputs`)."""


def public_access_cidrs(
    environment: str, environ: Mapping[str, str], context: Callable[[str], Any] | None = None
) -> tuple[str, ...] | None:
    """Operator/CI CIDRs for the public API endpoint, if given at deploy time; None keeps the placeholder.

    Read like the v1 inputs (:mod:`infraforge.inputs`): ``INFRAFORGE_<ENV>_EKS_PUBLIC_CIDRS``, then
    ``INFRAFORGE_EKS_PUBLIC_CIDRS``, then the cdktf context key ``<env>.eks_public_cidrs`` /
    ``eks_public_cidrs``, comma-separated (default: :data:`ADMIN_CIDR_PLACEHOLDER`, which matches nobody,
    so the cluster is reachable only from inside the VPC).
    """
    raw = ""
    for var in (
        f"INFRAFORGE_{environment.upper()}_{PUBLIC_CIDRS_INPUT.upper()}",
        f"INFRAFORGE_{PUBLIC_CIDRS_INPUT.upper()}",
    ):
        raw = raw or environ.get(var, "")
    if not raw and context is not None:
        for key in (f"{environment}.{PUBLIC_CIDRS_INPUT}", PUBLIC_CIDRS_INPUT):
            value = context(key)
            raw = raw or ("" if value is None else str(value))
    cidrs = tuple(part.strip() for part in raw.split(",") if part.strip())
    return cidrs or None
