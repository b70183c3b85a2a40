"""The environment profiles: the one table of what differs between environments.

Every stack family reads this table: To-Be v1 (:func:`infraforge.config.environment_config`
turns a profile and its deploy-time inputs into the ``tobe-v1-<env>`` config) and
Platform v2 (:func:`infraforge.platform.config.platform_config` turns it into the
``platform-v2-<env>`` config). The app (:mod:`infraforge.app`) builds one stack of each
family per entry of :data:`PROFILES`, so there is no second list of environments.

**Adding an environment** (e.g. ``staging``): one :class:`EnvironmentProfile` entry in
:data:`PROFILES`, plus its inputs (``INFRAFORGE_STAGING_*`` variables or the cdktf
context, see :mod:`infraforge.inputs`) and, for the GitOps delivery, its
``deploy/k8s/overlays/<env>`` and ``deploy/argocd/<env>/application.yaml``.
``tests/infra/test_environments.py`` synthesizes an environment that exists only as a
fixture profile, to keep that true.

**Adding a per-environment setting** (say ``force_destroy`` of dev's buckets): add a
field to :class:`EnvironmentProfile` under the concern it belongs to, with a docstring
saying why environments differ; give it a value in every profile (fields have no
default on purpose, so a profile that forgets one fails to import); read it where
:mod:`infraforge.config` or :mod:`infraforge.platform.config` builds that concern's
construct config. ``tests/infra/test_environments.py`` changes every field of a profile
in turn and fails if the built configs do not change with it (a field nothing reads).

The profiles hold plain values only (no construct imports), so the docs and tests can
read them without loading CDKTF.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PROJECT = "covaex"
"""The ``Project`` tag of every resource and the prefix of its name (``covaex-<environment>``)."""


@dataclass(frozen=True, kw_only=True)
class EnvironmentProfile:
    """What one environment is, as data. Grouped by the construct each value configures."""

    name: str
    """``Environment`` tag, the stacks' suffix (``tobe-v1-<name>``) and the resource prefix ``covaex-<name>``."""

    # --- network (To-Be v1) ---
    vpc_cidr: str
    """The VPC range; distinct per environment so every environment can reach on-prem over the VPN."""
    single_nat: bool
    """One NAT for both AZs (cheaper, one egress SPOF) instead of one NAT gateway per AZ."""
    nat_instance_type: str | None
    """A Graviton NAT instance of this type replaces the NAT gateways (needs ``single_nat``); None: NAT gateways."""
    flow_log_retention_days: int
    """Retention of the VPC flow logs."""
    flow_log_traffic_type: str
    """``ALL`` (every flow: the record an incident review needs) or ``REJECT`` (refused traffic only, a small
    fraction of the volume). The cost model prices the volume from this and the interval."""
    flow_log_aggregation_seconds: int
    """60 or 600: a long-lived connection (DB pools, Redis, WebSockets) writes one record per interval, so 60
    writes ten times the records of 600 for the same traffic."""

    # --- site-to-site VPN ---
    vpn_by_default: bool
    """Build the VPN when the input ``vpn_enabled`` is unset (an unused link costs ~$36/month)."""
    onprem_bgp_asn: int
    """Private ASN (RFC 6996) naming the on-prem device; one per environment so customer gateways never collide."""

    # --- database (RDS PostgreSQL) ---
    db_instance_class: str
    db_multi_az: bool
    """A standby in the other AZ (prod) or a single-AZ instance."""
    db_backup_retention_days: int
    db_log_retention_days: int

    # --- cache (ElastiCache Redis; the replica in the other AZ is kept in every environment) ---
    cache_node_type: str
    cache_snapshot_retention_days: int

    # --- app tier (Auto Scaling group behind the ALB) ---
    app_min_size: int
    app_desired_capacity: int
    app_max_size: int
    app_log_retention_days: int
    app_min_healthy_percentage: int
    """Instance refresh floor: 100 launches the replacement before terminating (never below desired)."""
    app_max_healthy_percentage: int

    service_posture: Literal["dev", "prod"]
    """The app's ``COVAEX_ENV`` on the instances: the service knows two postures (``prod``: HSTS and
    ``Secure`` session cookies behind the HTTPS ALB), so an environment between them (``staging``) names one."""

    # --- protection and alarms ---
    deletion_protection: bool
    """Refuse deletes of the database, the ALB and the EKS cluster until switched off."""
    disposable_data: bool
    """The environment is destroyed and re-created: destroy empties the ALB-log bucket (force_destroy), takes
    no final database snapshot, and deletes the session secret at once (no recovery window), so the next
    apply can create the same names again."""
    require_alarm_subscriber: bool
    """Refuse an alarm topic nobody reads unless the operator opts out (input ``alarm_opt_out``)."""

    # --- Platform v2 (EKS): sizing rationale on infraforge.platform.config.NodeGroupConfig ---
    node_instance_types: tuple[str, ...]
    node_capacity_type: str
    """``ON_DEMAND`` or ``SPOT``."""
    node_min_size: int
    node_desired_size: int
    node_max_size: int
    eks_log_types: tuple[str, ...]
    """Control-plane log types EKS ships (a subset of ``platform.config.CONTROL_PLANE_LOG_TYPES``); each is billed
    by the GB ingested, so dev keeps the ones that explain an access problem and prod adds the API server's."""
    eks_log_retention_days: int
    """Retention of the control-plane logs (audit logs answer "who changed what"); the cost model prices the
    stored volume from it."""
    eks_admin_roles: tuple[str, ...]
    """IAM role names (``path/name`` without ``role/``) given cluster-admin through EKS access entries, besides
    the identity that applies the stack: the people who operate the cluster after it exists. Each role must
    exist in the account before the apply."""
    prometheus_retention: str
    prometheus_storage_gib: int


DEV = EnvironmentProfile(
    name="dev",
    vpc_cidr="10.20.0.0/16",
    single_nat=True,
    # one Graviton NAT instance (~$4/month) instead of a NAT gateway (~$43/month + data)
    nat_instance_type="t4g.nano",
    flow_log_retention_days=30,
    # dev: the refused traffic only (what a security-group mistake shows), in 10-minute windows
    flow_log_traffic_type="REJECT",
    flow_log_aggregation_seconds=600,
    # dev has the on-prem link only when asked (input vpn_enabled): ~$36/month saved
    vpn_by_default=False,
    onprem_bgp_asn=65001,
    db_instance_class="db.t4g.micro",
    db_multi_az=False,
    db_backup_retention_days=7,
    db_log_retention_days=30,
    cache_node_type="cache.t4g.micro",
    cache_snapshot_retention_days=1,
    app_min_size=1,
    app_desired_capacity=1,
    app_max_size=2,
    app_log_retention_days=30,
    # dev may dip below desired during an instance refresh
    app_min_healthy_percentage=50,
    app_max_healthy_percentage=100,
    service_posture="dev",
    deletion_protection=False,
    disposable_data=True,
    require_alarm_subscriber=False,
    # burstable Spot in two pools: dev idles most of the day, a shortage in one pool does not empty the group
    node_instance_types=("t3.large", "t3a.large"),
    node_capacity_type="SPOT",
    node_min_size=2,
    node_desired_size=2,
    node_max_size=3,
    # who reached the API and what changed, for a month: dev's incidents are found the same week
    eks_log_types=("audit", "authenticator"),
    eks_log_retention_days=30,
    eks_admin_roles=("covaex-platform-admin",),
    prometheus_retention="3d",
    prometheus_storage_gib=10,
)

PROD = EnvironmentProfile(
    name="prod",
    vpc_cidr="10.10.0.0/16",
    single_nat=False,
    nat_instance_type=None,
    flow_log_retention_days=365,
    # prod: every flow for a year (incident review, audit); 10-minute windows, not 1-minute ones
    flow_log_traffic_type="ALL",
    flow_log_aggregation_seconds=600,
    vpn_by_default=True,
    onprem_bgp_asn=65000,
    db_instance_class="db.t4g.small",
    db_multi_az=True,
    db_backup_retention_days=14,
    db_log_retention_days=90,
    cache_node_type="cache.t4g.small",
    cache_snapshot_retention_days=7,
    app_min_size=2,
    app_desired_capacity=2,
    app_max_size=6,
    app_log_retention_days=90,
    app_min_healthy_percentage=100,
    app_max_healthy_percentage=200,
    service_posture="prod",
    deletion_protection=True,
    disposable_data=False,
    require_alarm_subscriber=True,
    node_instance_types=("m6i.large",),
    node_capacity_type="ON_DEMAND",
    node_min_size=3,
    node_desired_size=3,
    node_max_size=6,
    # controllerManager and scheduler logs describe EKS's own managed components: turned on for an incident only
    eks_log_types=("api", "audit", "authenticator"),
    eks_log_retention_days=365,
    eks_admin_roles=("covaex-platform-admin",),
    prometheus_retention="15d",
    prometheus_storage_gib=50,
)

PROFILES: dict[str, EnvironmentProfile] = {profile.name: profile for profile in (DEV, PROD)}
"""Every environment, in synth order. Add an environment here (see the module docstring)."""


def profile(environment: str) -> EnvironmentProfile:
    """The profile of ``environment``; a ValueError naming the known ones otherwise."""
    try:
        return PROFILES[environment]
    except KeyError:
        raise ValueError(f"environment must be one of {tuple(PROFILES)}, got {environment!r}") from None
