"""Security-group tiers: who may talk to whom, one rule resource per edge.

=========  ==========================  =====================================
group      ingress                     egress
=========  ==========================  =====================================
alb        allowed CIDRs on 80 and 443  app on the app port
app        alb on the app port         db 5432, cache 6379, 443 anywhere
db         app on 5432                 none
cache      app on 6379                 none
=========  ==========================  =====================================

Rules are separate ``aws_vpc_security_group_ingress_rule`` /
``egress_rule`` resources that name the peer group (never a CIDR inside the
VPC), so the generated SG matrix is computed from the JSON. The app tier's
only internet egress is HTTPS (AWS APIs, Binance, package mirrors) through
the NAT; the data tier has no egress at all. Only 80 and 443 are ever opened
to the internet.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from infraforge.constructs.config import SecurityGroupsConfig
from infraforge.constructs.network import Network

POSTGRES_PORT = 5432
REDIS_PORT = 6379
INTERNET_PORTS = (("http", 80), ("https", 443))


class SecurityGroups(Construct):
    """The four tier groups and their rules. Outputs: :attr:`alb`, :attr:`app`, :attr:`db`, :attr:`cache`."""

    def __init__(self, scope: Construct, id_: str, config: SecurityGroupsConfig, network: Network) -> None:
        super().__init__(scope, id_)
        self.config = config
        self._vpc_id = network.vpc.id
        self.alb = self._group("alb", "Application load balancer: HTTP/HTTPS from the allowed ranges")
        self.app = self._group("app", "App instances: service port from the ALB only")
        self.db = self._group("db", "PostgreSQL: from the app tier only")
        self.cache = self._group("cache", "Redis: from the app tier only")

        for index, cidr in enumerate(config.allowed_cidrs):
            for label, port in INTERNET_PORTS:
                rule = VpcSecurityGroupIngressRule(
                    self,
                    f"alb_{label}_{index}",
                    security_group_id=self.alb.id,
                    cidr_ipv4=cidr,
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    description=f"{label.upper()} from {cidr}",
                )
                rule.override_logical_id(f"alb_{label}_{index}")
        self._edge(self.alb, self.app, config.app_port, "service port")
        self._edge(self.app, self.db, POSTGRES_PORT, "PostgreSQL")
        self._edge(self.app, self.cache, REDIS_PORT, "Redis (TLS)")
        https_out = VpcSecurityGroupEgressRule(
            self,
            "app_https_out",
            security_group_id=self.app.id,
            cidr_ipv4="0.0.0.0/0",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="HTTPS out via NAT: AWS APIs (SSM, Secrets Manager, CloudWatch), Binance, packages",
        )
        https_out.override_logical_id("app_https_out")

    def _group(self, tier: str, description: str) -> SecurityGroup:
        group = SecurityGroup(
            self,
            tier,
            name=f"{self.config.name}-{tier}",
            description=description,
            vpc_id=self._vpc_id,
            tags={"Name": f"{self.config.name}-{tier}"},
        )
        group.override_logical_id(tier)
        return group

    def _edge(self, source: SecurityGroup, target: SecurityGroup, port: int, what: str) -> None:
        """Allow ``source`` -> ``target`` on ``port``: egress on the source, ingress on the target.

        Rule ids read as the edge: ``alb_to_app`` (egress) and ``app_from_alb`` (ingress).
        """
        src, dst = source.friendly_unique_id, target.friendly_unique_id
        egress_id, ingress_id = f"{src}_to_{dst}", f"{dst}_from_{src}"
        egress = VpcSecurityGroupEgressRule(
            self,
            egress_id,
            security_group_id=source.id,
            referenced_security_group_id=target.id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=f"{what} to {target.friendly_unique_id}",
        )
        egress.override_logical_id(egress_id)
        ingress = VpcSecurityGroupIngressRule(
            self,
            ingress_id,
            security_group_id=target.id,
            referenced_security_group_id=source.id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=f"{what} from {source.friendly_unique_id}",
        )
        ingress.override_logical_id(ingress_id)
