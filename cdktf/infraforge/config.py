"""Environments as configs: what differs between dev and prod, and nothing else.

Both environments run the same constructs in Seoul (ap-northeast-2) across
AZs 2a and 2c; :func:`environment_config` builds the per-environment
settings. The fixed monthly floor of dev is lower than prod's by design:

* one NAT gateway instead of one per AZ (:mod:`infraforge.constructs.network`);
* a single-AZ, smaller PostgreSQL instance (:mod:`infraforge.constructs.database`);
* smaller cache nodes (the replica in the other AZ is kept in both);
* one app instance at rest instead of two (:mod:`infraforge.constructs.app_tier`).

:mod:`infraforge.costs` prices each floor so the difference is a number.
"""

from __future__ import annotations

from dataclasses import dataclass

from infraforge.constructs.network import NetworkConfig
from infraforge.inputs import REGION, DeployInputs

AVAILABILITY_ZONES = (f"{REGION}a", f"{REGION}c")
ENVIRONMENTS = ("dev", "prod")


@dataclass(frozen=True)
class EnvironmentConfig:
    """Everything one ``tobe-v1-<env>`` stack is built from.

    Attributes:
        environment: ``dev`` or ``prod``.
        region: AWS region of every resource.
        inputs: validated deploy-time inputs (certificate, on-prem side, ...).
        network: VPC, subnets, NAT and flow logs.
    """

    environment: str
    region: str
    inputs: DeployInputs
    network: NetworkConfig

    @property
    def name(self) -> str:
        """Resource name prefix, e.g. ``covaex-dev``."""
        return f"covaex-{self.environment}"

    @property
    def stack_name(self) -> str:
        return f"tobe-v1-{self.environment}"


def environment_config(environment: str, inputs: DeployInputs) -> EnvironmentConfig:
    """The settings of ``environment`` (``dev`` or ``prod``)."""
    if environment not in ENVIRONMENTS:
        raise ValueError(f"environment must be one of {ENVIRONMENTS}, got {environment!r}")
    prod = environment == "prod"
    name = f"covaex-{environment}"
    return EnvironmentConfig(
        environment=environment,
        region=REGION,
        inputs=inputs,
        network=NetworkConfig(
            name=name,
            # Distinct ranges per environment so both can reach on-prem over the VPN.
            vpc_cidr="10.10.0.0/16" if prod else "10.20.0.0/16",
            availability_zones=AVAILABILITY_ZONES,
            single_nat=not prod,
            flow_log_retention_days=365 if prod else 90,
        ),
    )
