"""Environments as configs: what differs between dev and prod, and nothing else.

Both environments run the same constructs in Seoul (ap-northeast-2) across
AZs 2a and 2c; :func:`environment_config` builds the per-environment
settings. The fixed monthly floor of dev is lower than prod's by design:

* one Graviton NAT instance instead of a NAT gateway per AZ (:mod:`infraforge.constructs.nat_instance`);
* no site-to-site VPN unless asked for (input ``vpn_enabled``);
* a single-AZ, smaller PostgreSQL instance (:mod:`infraforge.constructs.database`);
* smaller cache nodes (the replica in the other AZ is kept in both);
* one app instance at rest instead of two (:mod:`infraforge.constructs.app_tier`).

The docs' cost page prices each floor from the synthesized JSON and a dated,
cited price table (``covaex.docsite.facts.cost``, ``templates/data/prices.yaml``),
so the difference is a number; ``tests/docsite/test_cost.py`` holds it to
these reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

from infraforge.constructs.alb import AlbConfig
from infraforge.constructs.app_secrets import AppSecretsConfig
from infraforge.constructs.app_tier import AppTierConfig
from infraforge.constructs.cache import CacheConfig
from infraforge.constructs.database import DatabaseConfig
from infraforge.constructs.encryption_key import EncryptionKeyConfig
from infraforge.constructs.iam import AppInstanceRoleConfig, CiDeployRoleConfig
from infraforge.constructs.nat_instance import NatInstanceConfig
from infraforge.constructs.network import NetworkConfig
from infraforge.constructs.observability import ObservabilityConfig
from infraforge.constructs.security_groups import SecurityGroupsConfig
from infraforge.constructs.vpn import ONPREM_BGP_ASNS, VpnConfig
from infraforge.inputs import REGION, DeployInputs

AVAILABILITY_ZONES = (f"{REGION}a", f"{REGION}c")
ENVIRONMENTS = ("dev", "prod")
APP_PORT = 8000


@dataclass(frozen=True)
class EnvironmentConfig:
    """Everything one ``tobe-v1-<env>`` stack is built from.

    Attributes:
        environment: ``dev`` or ``prod``.
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


def environment_config(environment: str, inputs: DeployInputs) -> EnvironmentConfig:
    """The settings of ``environment`` (``dev`` or ``prod``)."""
    if environment not in ENVIRONMENTS:
        raise ValueError(f"environment must be one of {ENVIRONMENTS}, got {environment!r}")
    prod = environment == "prod"
    name = f"covaex-{environment}"
    database = DatabaseConfig(
        name=name,
        instance_class="db.t4g.small" if prod else "db.t4g.micro",
        multi_az=prod,
        deletion_protection=prod,
        # dev is destroyed and re-created: no final snapshot of disposable data.
        skip_final_snapshot=not prod,
        backup_retention_days=14 if prod else 7,
        log_retention_days=90 if prod else 30,
    )
    return EnvironmentConfig(
        environment=environment,
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
            # Distinct ranges per environment so both can reach on-prem over the VPN.
            vpc_cidr="10.10.0.0/16" if prod else "10.20.0.0/16",
            availability_zones=AVAILABILITY_ZONES,
            single_nat=not prod,
            flow_log_retention_days=365 if prod else 90,
            # dev: one Graviton NAT instance (~$4/month) instead of a NAT gateway (~$43/month + data).
            nat_instance=None if prod else NatInstanceConfig(instance_type="t4g.nano", ami_id=inputs.app_ami_id),
        ),
        vpn=VpnConfig(
            name=name,
            # prod always has the on-prem link; dev only when asked (input vpn_enabled): ~$36/month saved.
            enabled=prod if inputs.vpn_enabled is None else inputs.vpn_enabled,
            onprem_cidr=inputs.onprem_cidr,
            peer_ip=inputs.vpn_peer_ip,
            bgp_asn=ONPREM_BGP_ASNS[environment],
        ),
        security_groups=SecurityGroupsConfig(name=name, app_port=APP_PORT, allowed_cidrs=inputs.allowed_cidrs),
        database=database,
        cache=CacheConfig(
            name=name,
            node_type="cache.t4g.small" if prod else "cache.t4g.micro",
            availability_zones=AVAILABILITY_ZONES,
            snapshot_retention_days=7 if prod else 1,
        ),
        # dev: deleted at once on destroy, so re-creating dev can create the same secret name.
        app_secrets=AppSecretsConfig(name=f"covaex/{environment}", recovery_window_days=7 if prod else 0),
        app_role=AppInstanceRoleConfig(name=name),
        ci_role=CiDeployRoleConfig(
            name=name,
            environment=environment,
            github_repo=inputs.github_repo,
            state_bucket=inputs.state_bucket,
            state_key_prefix=f"tobe-v1/{environment}",
        ),
        alb=AlbConfig(
            name=name,
            region=REGION,
            certificate_arn=inputs.acm_certificate_arn,
            app_port=APP_PORT,
            deletion_protection=prod,
            logs_force_destroy=not prod,
        ),
        app_tier=AppTierConfig(
            name=name,
            # Graviton: the service is pure Python on arm64 wheels, ~20% cheaper than t3.small.
            instance_type="t4g.small",
            ami_id=inputs.app_ami_id,
            min_size=2 if prod else 1,
            max_size=6 if prod else 2,
            desired_capacity=2 if prod else 1,
            log_retention_days=90 if prod else 30,
            # prod: launch the replacement before terminating (never below desired); dev may dip.
            min_healthy_percentage=100 if prod else 50,
            max_healthy_percentage=200 if prod else 100,
        ),
        observability=ObservabilityConfig(
            name=name,
            app_min_instances=2 if prod else 1,
            alarm_email=inputs.alarm_email,
            require_subscriber=prod,
            subscriber_opt_out=inputs.alarm_opt_out,
        ),
    )
