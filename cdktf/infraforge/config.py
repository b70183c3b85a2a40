"""To-Be v1's configs: an environment's profile and inputs turned into construct settings.

Every environment runs the same constructs in Seoul (ap-northeast-2) across
AZs 2a and 2c; :func:`environment_config` builds the settings of one from its
profile (:mod:`infraforge.environments`, the one table of what differs, which
Platform v2 reads too) and its deploy-time inputs. The fixed monthly floor of
dev is lower than prod's by design:

* one Graviton NAT instance instead of a NAT gateway per AZ (:mod:`infraforge.constructs.nat_instance`);
* no site-to-site VPN unless asked for (input ``vpn_enabled``);
* a single-AZ, smaller PostgreSQL instance (:mod:`infraforge.constructs.database`);
* smaller cache nodes (the replica in the other AZ is kept in both);
* one app instance at rest instead of two (:mod:`infraforge.constructs.app_tier`).

The docs' cost page prices each floor from the synthesized JSON and a dated,
cited price table (``covaex.analysis.cost``, ``templates/data/prices.yaml``),
so the difference is a number; ``tests/docsite/test_cost.py`` holds it to
these reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

from infraforge.constructs.config import (
    AlbConfig,
    AppInstanceRoleConfig,
    AppSecretsConfig,
    AppTierConfig,
    CacheConfig,
    CiDeployRoleConfig,
    DatabaseConfig,
    EncryptionKeyConfig,
    NatInstanceConfig,
    NetworkConfig,
    ObservabilityConfig,
    SecurityGroupsConfig,
    VpnConfig,
)
from infraforge.environments import PROFILES, EnvironmentProfile, profile
from infraforge.inputs import REGION, DeployInputs

AVAILABILITY_ZONES = (f"{REGION}a", f"{REGION}c")
ENVIRONMENTS = tuple(PROFILES)
"""Every environment's name, from the one table of profiles (:mod:`infraforge.environments`)."""
APP_PORT = 8000


@dataclass(frozen=True)
class EnvironmentConfig:
    """Everything one ``tobe-v1-<env>`` stack is built from.

    Attributes:
        environment: the profile's name (``dev``, ``prod``).
        service_posture: the app's ``COVAEX_ENV`` (``dev`` or ``prod``; a ``staging`` runs as ``prod``).
        region: AWS region of every resource.
        inputs: validated deploy-time inputs (certificate, on-prem side, ...).
        encryption_key: the environment's KMS key (topic, logs, secrets, Redis).
        network: VPC, subnets, NAT and flow logs.
        vpn: the site-to-site link to on-prem.
        security_groups: the tier groups.
        database / cache: the data tier.
        app_secrets / app_role / ci_role: secrets and IAM.
        alb / app_tier: the entry and the instances.
        observability: alarms and their topic.
    """

    environment: str
    service_posture: str
    region: str
    inputs: DeployInputs
    encryption_key: EncryptionKeyConfig
    network: NetworkConfig
    vpn: VpnConfig
    security_groups: SecurityGroupsConfig
    database: DatabaseConfig
    cache: CacheConfig
    app_secrets: AppSecretsConfig
    app_role: AppInstanceRoleConfig
    ci_role: CiDeployRoleConfig
    alb: AlbConfig
    app_tier: AppTierConfig
    observability: ObservabilityConfig

    @property
    def name(self) -> str:
        """Resource name prefix, e.g. ``covaex-dev``."""
        return f"covaex-{self.environment}"

    @property
    def stack_name(self) -> str:
        return f"tobe-v1-{self.environment}"

    @property
    def state_key_prefix(self) -> str:
        """Prefix of this stack's state inside the state bucket."""
        return f"tobe-v1/{self.environment}"


def environment_config(environment: str | EnvironmentProfile, inputs: DeployInputs) -> EnvironmentConfig:
    """The settings of ``environment``: a name in :data:`~infraforge.environments.PROFILES` or a profile.

    Every value that differs between environments comes from the profile; what
    is the same everywhere (region, AZs, port, instance type) is written here.
    """
    env = profile(environment) if isinstance(environment, str) else environment
    name = f"covaex-{env.name}"
    database = DatabaseConfig(
        name=name,
        instance_class=env.db_instance_class,
        multi_az=env.db_multi_az,
        deletion_protection=env.deletion_protection,
        skip_final_snapshot=env.disposable_data,
        backup_retention_days=env.db_backup_retention_days,
        log_retention_days=env.db_log_retention_days,
    )
    return EnvironmentConfig(
        environment=env.name,
        service_posture=env.service_posture,
        region=REGION,
        inputs=inputs,
        encryption_key=EncryptionKeyConfig(
            name=name,
            region=REGION,
            log_group_prefix=f"/covaex/{name}/",
            more_log_group_prefixes=(database.log_group_prefix,),
        ),
        network=NetworkConfig(
            name=name,
            vpc_cidr=env.vpc_cidr,
            availability_zones=AVAILABILITY_ZONES,
            single_nat=env.single_nat,
            flow_log_retention_days=env.flow_log_retention_days,
            flow_log_traffic_type=env.flow_log_traffic_type,
            flow_log_aggregation_seconds=env.flow_log_aggregation_seconds,
            nat_instance=(
                None
                if env.nat_instance_type is None
                else NatInstanceConfig(instance_type=env.nat_instance_type, ami_id=inputs.app_ami_id)
            ),
        ),
        vpn=VpnConfig(
            name=name,
            enabled=env.vpn_by_default if inputs.vpn_enabled is None else inputs.vpn_enabled,
            onprem_cidr=inputs.onprem_cidr,
            peer_ip=inputs.vpn_peer_ip,
            bgp_asn=env.onprem_bgp_asn,
            # one on-prem device in every environment; infraforge.variants prices a second one
            second_peer_ip=None,
        ),
        security_groups=SecurityGroupsConfig(name=name, app_port=APP_PORT, allowed_cidrs=inputs.allowed_cidrs),
        database=database,
        cache=CacheConfig(
            name=name,
            node_type=env.cache_node_type,
            availability_zones=AVAILABILITY_ZONES,
            snapshot_retention_days=env.cache_snapshot_retention_days,
        ),
        app_secrets=AppSecretsConfig(name=f"covaex/{env.name}", recovery_window_days=0 if env.disposable_data else 7),
        app_role=AppInstanceRoleConfig(name=name),
        ci_role=CiDeployRoleConfig(
            name=name,
            environment=env.name,
            github_repo=inputs.github_repo,
            state_bucket=inputs.state_bucket,
            state_key_prefix=f"tobe-v1/{env.name}",
        ),
        alb=AlbConfig(
            name=name,
            region=REGION,
            certificate_arn=inputs.acm_certificate_arn,
            app_port=APP_PORT,
            deletion_protection=env.deletion_protection,
            logs_force_destroy=env.disposable_data,
        ),
        app_tier=AppTierConfig(
            name=name,
            # Graviton: the service is pure Python on arm64 wheels, ~20% cheaper than t3.small. A burstable
            # type: the scaling target is its CPU baseline (infraforge.instance_types), never above it.
            instance_type="t4g.small",
            ami_id=inputs.app_ami_id,
            min_size=env.app_min_size,
            max_size=env.app_max_size,
            desired_capacity=env.app_desired_capacity,
            log_retention_days=env.app_log_retention_days,
            min_healthy_percentage=env.app_min_healthy_percentage,
            max_healthy_percentage=env.app_max_healthy_percentage,
        ),
        observability=ObservabilityConfig(
            name=name,
            app_min_instances=env.app_min_size,
            alarm_email=inputs.alarm_email,
            require_subscriber=env.require_alarm_subscriber,
            subscriber_opt_out=inputs.alarm_opt_out,
        ),
    )
