"""The settings of every To-Be v1 construct: frozen dataclasses, checked when they are built.

Each construct module (``network``, ``database``, ...) builds AWS resources
from its config here; :mod:`infraforge.config` builds every config of an
environment from its profile and inputs. The settings live apart from the
constructs so that reading and checking them needs no AWS provider:
importing ``cdktf_cdktf_provider_aws`` (all 2,214 of its modules) takes about
20 s, so ``python -m infraforge`` refuses a bad input or config before it
imports a construct, and the tests that read a config or a fixed value (the
CIDR plan, the runbook slugs, the ALB's internal paths) import none.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from infraforge.inputs import InputError
from infraforge.instance_types import burstable


# -- encryption key (infraforge.constructs.encryption_key)
@dataclass(frozen=True)
class EncryptionKeyConfig:
    """Settings of :class:`~infraforge.constructs.encryption_key.EncryptionKey`.

    Attributes:
        name: alias of the key (``alias/<name>``) and prefix of its description.
        region: region of the log groups allowed to use the key.
        log_group_prefix: only log groups whose name starts with this may use the key.
        more_log_group_prefixes: further prefixes fixed by AWS services (RDS exports to ``/aws/rds/...``).
        deletion_window_days: waiting period before a scheduled deletion (7-30).
    """

    name: str
    region: str
    log_group_prefix: str
    deletion_window_days: int = 30
    more_log_group_prefixes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 7 <= self.deletion_window_days <= 30:
            raise ValueError(f"deletion_window_days must be between 7 and 30, got {self.deletion_window_days}")


# -- NAT instance (infraforge.constructs.nat_instance)
@dataclass(frozen=True)
class NatInstanceConfig:
    """Settings of :class:`~infraforge.constructs.nat_instance.NatInstance`.

    Attributes:
        instance_type: a Graviton type (the AMI is arm64).
        ami_id: the pinned Amazon Linux 2023 arm64 AMI (input ``app_ami_id``).
    """

    instance_type: str
    ami_id: str

    def __post_init__(self) -> None:
        family = self.instance_type.split(".", 1)[0]  # t4g, m7g, c7gn: Graviton families carry a "g"
        if "g" not in family[1:]:
            raise ValueError(f"the NAT instance runs the arm64 AMI: use a Graviton type, got {self.instance_type}")


# -- network (infraforge.constructs.network)
TIERS = ("public", "app", "data")
# New bits each tier's subnets take from the VPC /16 and the index of the first one.
_TIER_LAYOUT: dict[str, tuple[int, int]] = {
    "public": (8, 0),  # /24s: x.x.0.0, x.x.1.0
    "data": (8, 8),  # /24s: x.x.8.0, x.x.9.0
    "app": (4, 1),  # /20s: x.x.16.0, x.x.32.0
}


def az_suffix(availability_zone: str) -> str:
    """``ap-northeast-2a`` -> ``a``: the suffix of per-AZ resource names."""
    return availability_zone[-1]


def plan_subnets(vpc_cidr: str, zone_count: int) -> dict[str, tuple[str, ...]]:
    """The written CIDR plan: tier -> one subnet CIDR per AZ, carved from ``vpc_cidr`` (a /16)."""
    vpc = ipaddress.ip_network(vpc_cidr)
    if vpc.prefixlen != 16:
        raise ValueError(f"the CIDR plan expects a /16 VPC, got {vpc_cidr}")
    plan: dict[str, tuple[str, ...]] = {}
    for tier, (new_bits, first) in _TIER_LAYOUT.items():
        subnets = list(vpc.subnets(prefixlen_diff=new_bits))
        plan[tier] = tuple(str(subnets[first + i]) for i in range(zone_count))
    return plan


@dataclass(frozen=True)
class NetworkConfig:
    """Settings of :class:`~infraforge.constructs.network.Network`.

    Attributes:
        name: name prefix of the resources, e.g. ``covaex-dev``.
        vpc_cidr: the VPC's /16; the subnets follow :func:`plan_subnets`.
        availability_zones: exactly two AZs of the region, e.g. ``ap-northeast-2a``, ``ap-northeast-2c``.
        single_nat: one NAT gateway for both AZs (dev, cheaper) instead of one per AZ (prod).
        flow_log_retention_days: how long VPC flow logs are kept in CloudWatch Logs.
        flow_log_traffic_type: ``ALL``, ``ACCEPT`` or ``REJECT``.
        flow_log_aggregation_seconds: 60 or 600 (the longest window a flow is aggregated in before a record).
        nat_instance: egress through one NAT instance instead of NAT gateways (dev); needs ``single_nat``.
    """

    name: str
    vpc_cidr: str
    availability_zones: tuple[str, ...]
    single_nat: bool
    flow_log_retention_days: int = 90
    flow_log_traffic_type: str = "ALL"
    flow_log_aggregation_seconds: int = 600
    nat_instance: NatInstanceConfig | None = None

    def __post_init__(self) -> None:
        if len(self.availability_zones) != 2:
            raise ValueError(f"the network spans exactly two AZs, got {self.availability_zones}")
        suffixes = [az_suffix(az) for az in self.availability_zones]
        if len(set(suffixes)) != len(suffixes):
            raise ValueError(f"availability zones must differ, got {self.availability_zones}")
        try:
            ipaddress.ip_network(self.vpc_cidr)
        except ValueError as exc:
            raise ValueError(f"vpc_cidr is not a valid network: {exc}") from exc
        plan_subnets(self.vpc_cidr, len(self.availability_zones))
        if self.flow_log_traffic_type not in ("ALL", "ACCEPT", "REJECT"):
            raise ValueError(f"flow_log_traffic_type must be ALL, ACCEPT or REJECT, got {self.flow_log_traffic_type}")
        if self.flow_log_aggregation_seconds not in (60, 600):
            raise ValueError(f"flow_log_aggregation_seconds must be 60 or 600, got {self.flow_log_aggregation_seconds}")
        if self.nat_instance is not None and not self.single_nat:
            raise ValueError("a NAT instance is one machine: it needs single_nat=True (one egress for both AZs)")

    @property
    def subnet_plan(self) -> dict[str, tuple[str, ...]]:
        return plan_subnets(self.vpc_cidr, len(self.availability_zones))


# -- site-to-site VPN (infraforge.constructs.vpn)
@dataclass(frozen=True)
class VpnConfig:
    """Settings of :class:`~infraforge.constructs.vpn.SiteToSiteVpn`.

    Attributes:
        name: name prefix of the resources.
        enabled: build the VPN at all.
        onprem_cidr: the on-prem network routed through the tunnels; must not overlap the VPC.
        peer_ip: public IPv4 address of the on-prem VPN device.
        bgp_asn: ASN of the on-prem device (required by AWS even with static routing), unique per environment.
        second_peer_ip: public IPv4 address of a second on-prem VPN device (None: one device only).
    """

    name: str
    enabled: bool
    onprem_cidr: str
    peer_ip: str
    bgp_asn: int
    second_peer_ip: str | None

    def check_against(self, vpc_cidr: str) -> None:
        """Refuse an on-prem range that overlaps the VPC (routes would be ambiguous), and a "second" device that is
        the first one."""
        if self.enabled and ipaddress.ip_network(self.onprem_cidr).overlaps(ipaddress.ip_network(vpc_cidr)):
            raise ValueError(f"on-prem CIDR {self.onprem_cidr} overlaps the VPC {vpc_cidr}")
        if self.second_peer_ip is not None and self.second_peer_ip == self.peer_ip:
            raise ValueError(f"the second on-prem VPN device has the first one's address {self.peer_ip}")


# -- security groups (infraforge.constructs.security_groups)
@dataclass(frozen=True)
class SecurityGroupsConfig:
    """Settings of :class:`~infraforge.constructs.security_groups.SecurityGroups`.

    Attributes:
        name: name prefix of the groups.
        app_port: port the service listens on (``covaex serve --port``).
        allowed_cidrs: IPv4 ranges allowed to reach the ALB on 80/443.
    """

    name: str
    app_port: int
    allowed_cidrs: tuple[str, ...]

    def __post_init__(self) -> None:
        if not 1024 <= self.app_port <= 65535:
            raise ValueError(f"app_port must be an unprivileged port, got {self.app_port}")
        if not self.allowed_cidrs:
            raise ValueError("allowed_cidrs must name at least one range")


# -- database (infraforge.constructs.database)
MIN_BACKUP_RETENTION_DAYS = 7


@dataclass(frozen=True)
class DatabaseConfig:
    """Settings of :class:`~infraforge.constructs.database.PostgresDatabase`.

    Attributes:
        name: name prefix of the resources.
        instance_class: RDS instance class.
        multi_az: synchronous standby in the second AZ with automatic failover.
        engine_version: PostgreSQL major version (also picks the parameter-group family).
        allocated_storage_gb / max_allocated_storage_gb: gp3 storage and its autoscaling ceiling.
        backup_retention_days: days of automated backups (at least 7).
        backup_window / maintenance_window: UTC windows (night in Korea), must not overlap.
        deletion_protection: refuse deletion of the instance.
        skip_final_snapshot: ``destroy`` keeps no final snapshot (dev: its data is disposable); otherwise the
            final snapshot is named with the instance's creation time, so a re-created instance's second
            ``destroy`` never collides with the first one's snapshot.
        database_name / master_username: the database the service uses and its owner.
        slow_statement_ms: statements slower than this are logged.
        log_retention_days: retention of the exported log groups (RDS would create them never expiring).
    """

    name: str
    instance_class: str
    multi_az: bool
    deletion_protection: bool
    skip_final_snapshot: bool = False
    backup_retention_days: int = MIN_BACKUP_RETENTION_DAYS
    engine_version: str = "16"
    allocated_storage_gb: int = 20
    max_allocated_storage_gb: int = 100
    backup_window: str = "17:00-18:00"
    maintenance_window: str = "sun:18:30-sun:19:30"
    database_name: str = "covaex"
    master_username: str = "covaex"
    slow_statement_ms: int = 500
    monitoring_interval_seconds: int = 60
    log_retention_days: int = 30

    def __post_init__(self) -> None:
        if self.backup_retention_days < MIN_BACKUP_RETENTION_DAYS:
            raise ValueError(f"backup_retention_days must be >= {MIN_BACKUP_RETENTION_DAYS}")
        if self.max_allocated_storage_gb < self.allocated_storage_gb:
            raise ValueError("max_allocated_storage_gb must be >= allocated_storage_gb")

    @property
    def identifier(self) -> str:
        return f"{self.name}-postgres"

    @property
    def log_group_prefix(self) -> str:
        """Prefix of the exported log groups (the KMS key lets CloudWatch Logs use it for these)."""
        return f"/aws/rds/instance/{self.identifier}/"

    @property
    def parameter_group_family(self) -> str:
        return f"postgres{self.engine_version.split('.')[0]}"


# -- cache (infraforge.constructs.cache)
@dataclass(frozen=True)
class CacheConfig:
    """Settings of :class:`~infraforge.constructs.cache.RedisCache`.

    Attributes:
        name: name prefix of the resources.
        node_type: ElastiCache node type.
        availability_zones: AZ of the primary, then of the replica (must differ).
        engine_version: Redis version.
        snapshot_retention_days: daily snapshots kept (0 disables them).
        snapshot_window / maintenance_window: UTC windows (night in Korea).
        log_retention_days: retention of the slow-log group.
    """

    name: str
    node_type: str
    availability_zones: tuple[str, ...]
    engine_version: str = "7.1"
    snapshot_retention_days: int = 1
    snapshot_window: str = "16:00-17:00"
    maintenance_window: str = "sun:19:30-sun:20:30"
    log_retention_days: int = 30

    def __post_init__(self) -> None:
        if len(set(self.availability_zones)) < 2:
            raise ValueError("the replica must sit in another AZ than the primary")

    @property
    def replica_count(self) -> int:
        return len(self.availability_zones) - 1


# -- app secrets (infraforge.constructs.app_secrets)
@dataclass(frozen=True)
class AppSecretsConfig:
    """Settings of :class:`~infraforge.constructs.app_secrets.AppSecrets`.

    Attributes:
        name: prefix of the secret names (``<name>/session-key``).
        recovery_window_days: how long a deleted secret can be restored; 0 deletes it at once (dev), so a
            re-created environment can create the same name again.
    """

    name: str
    recovery_window_days: int = 7


# -- IAM (infraforge.constructs.iam)
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
RELEASE_ENVIRONMENT = "release"
"""GitHub environment of the release workflow's jobs (their OIDC ``sub`` names it)."""
ARTIFACT_PREFIX = "covaex/"
"""Key prefix of the release artifacts in the artifact bucket (``covaex/<version>/``)."""
GITHUB_ROLE_VARIABLES = {
    "AWS_DEPLOY_ROLE_ARN": ("platform-v2-registry", "ci_image_push_role_arn"),
    "AWS_ARTIFACT_ROLE_ARN": ("state", "ci_artifact_role_arn"),
}
"""GitHub environment variable (``release``) -> the (stack, output) whose value it holds."""

# AWS-managed policies the app instances need: Session Manager instead of SSH,
# and the CloudWatch agent for logs and memory/disk metrics.
APP_MANAGED_POLICIES = (
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy",
)


@dataclass(frozen=True)
class AppInstanceRoleConfig:
    """Settings of :class:`~infraforge.constructs.iam.AppInstanceRole`.

    Attributes:
        name: name prefix of the role and instance profile.
        managed_policy_arns: AWS-managed policies attached (SSM core, CloudWatch agent).
    """

    name: str
    managed_policy_arns: tuple[str, ...] = APP_MANAGED_POLICIES


@dataclass(frozen=True)
class CiDeployRoleConfig:
    """Settings of :class:`~infraforge.constructs.iam.CiDeployRole`.

    Attributes:
        name: name prefix of the role.
        environment: the GitHub environment (``dev``/``prod``) whose jobs may assume the role.
        github_repo: ``owner/name`` of the only repository trusted.
        state_bucket: bucket of the Terraform state, readable for the stack's outputs.
        state_key_prefix: the stack's prefix inside that bucket.
        max_session_seconds: lifetime of a CI session.
    """

    name: str
    environment: str
    github_repo: str
    state_bucket: str
    state_key_prefix: str
    max_session_seconds: int = 3600

    @property
    def subject(self) -> str:
        """The OIDC ``sub`` claim a job must present: this repository, this GitHub environment."""
        return f"repo:{self.github_repo}:environment:{self.environment}"


# -- ALB (infraforge.constructs.alb)
# The ELB log-delivery account of ap-northeast-2 (regions older than 2022 use an account, not a service principal).
ELB_LOG_DELIVERY_ACCOUNTS = {"ap-northeast-2": "600734575887"}
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
# Operator endpoints the internet must not reach: /metrics (host, PID, counters) and
# /readyz (dependency state). Prometheus and the target-group checks reach the
# instances directly inside the VPC, never through the listener.
INTERNAL_PATHS = ("/metrics", "/metrics/*", "/readyz")


@dataclass(frozen=True)
class AlbConfig:
    """Settings of :class:`~infraforge.constructs.alb.ApplicationLoadBalancer`.

    Attributes:
        name: name prefix of the resources.
        region: region of the ALB (picks the log-delivery account).
        certificate_arn: ACM certificate of the HTTPS listener.
        app_port: port of the service on the instances.
        health_check_path: liveness endpoint checked on every target (and by the ASG, through the ALB).
        idle_timeout_seconds: how long a quiet connection (a WebSocket) stays open.
        stickiness_seconds: load-balancer cookie lifetime.
        deregistration_delay_seconds: drain time for open connections during rollouts.
        deletion_protection: refuse ``terraform destroy`` of the ALB.
        logs_force_destroy: ``destroy`` empties the versioned access-log bucket (dev: its logs are disposable).
        access_log_retention_days: how long access logs are kept.
        ssl_policy: the HTTPS listener's TLS policy.
    """

    name: str
    region: str
    certificate_arn: str
    app_port: int
    deletion_protection: bool
    logs_force_destroy: bool = False
    health_check_path: str = "/healthz"
    idle_timeout_seconds: int = 3600
    stickiness_seconds: int = 3600
    deregistration_delay_seconds: int = 120
    access_log_retention_days: int = 90
    ssl_policy: str = TLS_POLICY

    def __post_init__(self) -> None:
        if self.region not in ELB_LOG_DELIVERY_ACCOUNTS:
            raise ValueError(f"no ELB log-delivery account known for region {self.region}")
        if not 1 <= self.idle_timeout_seconds <= 4000:
            raise ValueError("idle_timeout_seconds must be between 1 and 4000 (the ALB limit)")
        if not self.health_check_path.startswith("/"):
            raise ValueError(f"health_check_path must be a path, got {self.health_check_path!r}")


# -- app tier (infraforge.constructs.app_tier)
# Where an operator looks up the current Amazon Linux 2023 arm64 AMI to pin
# (README "Deploy to AWS"); never read at plan time, where each AWS release
# would silently turn the next apply into a rolling refresh of prod.
AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"


@dataclass(frozen=True)
class AppTierConfig:
    """Settings of :class:`~infraforge.constructs.app_tier.AppTier`.

    Attributes:
        name: name prefix of the resources.
        instance_type: EC2 instance type (Graviton: the image is arm64).
        ami_id: the pinned AMI (input ``app_ami_id``).
        min_size / max_size / desired_capacity: Auto Scaling bounds and start size.
        cpu_target_percent: average CPU the scaling policy aims for; None: a burstable type's CPU baseline
            (:mod:`infraforge.instance_types`), else 50. A burstable type refuses a target above its baseline
            (the surplus credits of unlimited mode would cost more than the instance).
        root_volume_gb: size of the encrypted root volume.
        health_check_grace_seconds: time a new instance gets before ELB checks count (boot + install).
        workers: service worker processes per instance (one per vCPU of the instance type).
        min_healthy_percentage: capacity kept in service during an instance refresh.
        max_healthy_percentage: capacity allowed during a refresh; above 100 it launches before terminating.
        instance_warmup_seconds: the group's default warm-up (scaling metrics and refreshes wait for it).
        log_retention_days: retention of the service's log group.
    """

    name: str
    instance_type: str
    ami_id: str
    min_size: int
    max_size: int
    desired_capacity: int
    cpu_target_percent: float | None = None
    root_volume_gb: int = 20
    health_check_grace_seconds: int = 300
    workers: int = 2
    min_healthy_percentage: int = 50
    max_healthy_percentage: int = 100
    instance_warmup_seconds: int = 300
    log_retention_days: int = 30

    def __post_init__(self) -> None:
        if not 0 <= self.min_size <= self.desired_capacity <= self.max_size:
            raise ValueError(
                f"need 0 <= min_size <= desired_capacity <= max_size, got "
                f"{self.min_size}/{self.desired_capacity}/{self.max_size}"
            )
        burst = burstable(self.instance_type)
        if self.cpu_target_percent is None:
            object.__setattr__(self, "cpu_target_percent", float(burst.baseline_percent if burst else 50))
        target = float(self.cpu_target_percent or 0)
        if not 10 <= target <= 90:
            raise ValueError(f"cpu_target_percent must be between 10 and 90, got {target:g}")
        if burst is not None and target > burst.baseline_percent:
            raise ValueError(
                f"cpu_target_percent {target:g} is above the {burst.baseline_percent}% CPU baseline of "
                f"{self.instance_type}: the group would run on paid surplus credits; target at most the baseline "
                "or use a fixed-performance type"
            )
        if (
            not 100 <= self.max_healthy_percentage <= 200
            or self.max_healthy_percentage - self.min_healthy_percentage > 100
        ):
            # the AWS rule for instance refresh preferences
            raise ValueError("need 100 <= max_healthy_percentage <= 200 and max - min healthy percentage <= 100")

    @property
    def log_group_name(self) -> str:
        return f"/covaex/{self.name}/app"

    @property
    def agent_config_parameter(self) -> str:
        # The prefix is what CloudWatchAgentServerPolicy lets the agent read.
        return f"AmazonCloudWatch-{self.name}-app"


# -- observability (infraforge.constructs.observability)
RUNBOOK_SLUGS = (
    "alb-5xx",
    "alb-target-latency",
    "alb-unhealthy-hosts",
    "app-not-ready",
    "asg-capacity",
    "rds-cpu",
    "rds-free-storage",
    "rds-connections",
    "redis-memory",
    "vpn-tunnel",
)
# Slugs whose alarms exist only where the resource does (the VPN is optional in dev).
OPTIONAL_SLUGS = ("vpn-tunnel",)


@dataclass(frozen=True)
class AlarmThresholds:
    """Alarm thresholds, per environment.

    Attributes:
        alb_5xx_per_5min: 5xx answers generated by the ALB itself (no healthy target, timeouts) in 5 minutes.
        target_latency_p95_seconds: p95 target response time.
        rds_cpu_percent: average CPU of the database.
        rds_free_storage_gib: free storage floor.
        rds_connections: connection count ceiling (below the instance class's max_connections).
        redis_memory_percent: used share of a cache node's memory.
    """

    alb_5xx_per_5min: int = 10
    target_latency_p95_seconds: float = 1.0
    rds_cpu_percent: int = 80
    rds_free_storage_gib: int = 2
    rds_connections: int = 80
    redis_memory_percent: int = 80


@dataclass(frozen=True)
class ObservabilityConfig:
    """Settings of :class:`~infraforge.constructs.observability.Observability`.

    Attributes:
        name: name prefix of the topic and alarms.
        alarm_email: address subscribed to the topic (empty: subscribe later, e.g. chat integration).
        require_subscriber: refuse a topic nobody reads (prod) unless ``subscriber_opt_out``.
        subscriber_opt_out: the operator's explicit "alarms go nowhere for now" (input ``alarm_opt_out``).
        thresholds: the alarm thresholds.
        app_min_instances: in-service instances below which ``asg-capacity`` fires.
    """

    name: str
    app_min_instances: int
    alarm_email: str = ""
    require_subscriber: bool = False
    subscriber_opt_out: bool = False
    thresholds: AlarmThresholds = field(default_factory=AlarmThresholds)

    def __post_init__(self) -> None:
        if self.require_subscriber and not self.alarm_email and not self.subscriber_opt_out:
            env = self.name.removeprefix("covaex-").upper()
            raise InputError(
                f"{self.name}: alarms would reach nobody; set INFRAFORGE_{env}_ALARM_EMAIL to an address, "
                f"or INFRAFORGE_{env}_ALARM_OPT_OUT=true to deploy without a subscriber on purpose"
            )


# -- state backend (infraforge.constructs.state_backend)
@dataclass(frozen=True)
class StateBackendConfig:
    """Settings of :class:`~infraforge.constructs.state_backend.StateBackend`.

    Attributes:
        bucket_name: globally unique bucket name (input ``state_bucket``).
        noncurrent_version_days: how long superseded state versions are kept for rollback.
    """

    bucket_name: str
    noncurrent_version_days: int = 90

    def __post_init__(self) -> None:
        if self.noncurrent_version_days < 1:
            raise ValueError("noncurrent_version_days must be at least 1")
