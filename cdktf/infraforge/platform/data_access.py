"""Let the EKS pods reach the v1 data tier (PostgreSQL and Redis), nothing more.

v1 allows its PostgreSQL and Redis security groups to be reached from the
v1 app tier only. On EKS the app runs in pods, and with the VPC CNI a pod's
traffic leaves through the node's ENIs, which carry the cluster security
group EKS creates. So this stack adds one ingress rule per data service on
the v1 groups (found by their v1 names), each from that cluster group and
on that service's port only.

The rules are separate ``aws_vpc_security_group_ingress_rule`` resources,
as in v1, so the v1 stack (which manages its groups without inline rules)
and this one never overwrite each other's rules.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.data_aws_security_group import DataAwsSecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from infraforge.constructs.security_groups import POSTGRES_PORT, REDIS_PORT
from infraforge.platform.network import ExistingNetwork

DATA_SERVICES = (("db", POSTGRES_PORT, "PostgreSQL"), ("cache", REDIS_PORT, "Redis (TLS)"))
"""v1 security-group tier suffix, port and what listens there."""


class PodDataAccess(Construct):
    """Ingress rules ``<v1 db/cache group> <- EKS cluster group`` on 5432/6379.

    Outputs: ``groups`` (tier -> looked-up group) and ``rules`` (tier -> rule).
    """

    def __init__(
        self, scope: Construct, id_: str, *, name: str, network: ExistingNetwork, cluster_security_group_id: str
    ) -> None:
        super().__init__(scope, id_)
        self.groups: dict[str, DataAwsSecurityGroup] = {}
        self.rules: dict[str, VpcSecurityGroupIngressRule] = {}
        for tier, port, what in DATA_SERVICES:
            group = DataAwsSecurityGroup(self, f"{tier}_group", vpc_id=network.vpc_id, name=f"{name}-{tier}")
            group.override_logical_id(tier)
            rule = VpcSecurityGroupIngressRule(
                self,
                f"{tier}_from_eks",
                security_group_id=group.id,
                referenced_security_group_id=cluster_security_group_id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description=f"{what} from EKS pods (cluster security group)",
            )
            rule.override_logical_id(f"{tier}_from_eks")
            self.groups[tier] = group
            self.rules[tier] = rule
