"""``tobe-v1-<env>``: the low-cost hybrid foundation of one environment.

Composes the constructs in dependency order; everything that differs
between environments comes from :class:`~infraforge.config.EnvironmentConfig`.
State lives in the bootstrap bucket (stack ``state``) under
``tobe-v1/<env>/terraform.tfstate`` with S3-native locking.
"""

from __future__ import annotations

from cdktf import Aspects, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct

from infraforge.config import EnvironmentConfig
from infraforge.constructs.alb import ApplicationLoadBalancer
from infraforge.constructs.app_secrets import AppSecrets
from infraforge.constructs.app_tier import AppTier
from infraforge.constructs.cache import RedisCache
from infraforge.constructs.database import PostgresDatabase
from infraforge.constructs.encryption_key import EncryptionKey
from infraforge.constructs.iam import AppInstanceRole, CiDeployRole
from infraforge.constructs.network import Network
from infraforge.constructs.observability import Observability
from infraforge.constructs.security_groups import POSTGRES_PORT, REDIS_PORT, SecurityGroups
from infraforge.constructs.state_backend import s3_state_backend
from infraforge.constructs.user_data import ServiceBoot
from infraforge.constructs.vpn import SiteToSiteVpn
from infraforge.tags import CommonTags, common_tags


class TobeV1Stack(TerraformStack):
    """One environment of To-Be v1. Every construct is an attribute, for reuse (platform v2) and tests."""

    def __init__(self, scope: Construct, config: EnvironmentConfig) -> None:
        super().__init__(scope, config.stack_name)
        self.config = config
        tags = common_tags(config.environment)
        AwsProvider(self, "aws", region=config.region)
        s3_state_backend(
            self,
            bucket=config.inputs.state_bucket,
            key=f"{config.state_key_prefix}/terraform.tfstate",
            region=config.region,
        )
        Aspects.of(self).add(CommonTags(tags))
        account = DataAwsCallerIdentity(self, "account")
        account.override_logical_id("current")

        self.encryption_key = EncryptionKey(
            self, "encryption_key", config.encryption_key, account_id=account.account_id
        )
        key_arn = self.encryption_key.arn
        self.network = Network(self, "network", config.network, kms_key_arn=key_arn)
        self.vpn = SiteToSiteVpn(self, "vpn", config.vpn, self.network)
        self.security_groups = SecurityGroups(self, "security_groups", config.security_groups, self.network)
        self.database = PostgresDatabase(
            self, "database", config.database, self.network, self.security_groups, kms_key_arn=key_arn
        )
        self.cache = RedisCache(self, "cache", config.cache, self.network, self.security_groups, kms_key_arn=key_arn)
        self.app_secrets = AppSecrets(self, "app_secrets", config.app_secrets, kms_key_arn=key_arn)
        self.app_role = AppInstanceRole(
            self,
            "app_role",
            config.app_role,
            secret_arns=[self.database.master_secret_arn, self.app_secrets.session_key.arn],
            secrets_kms_key_arn=key_arn,
            artifact_arn=f"arn:aws:s3:::{config.inputs.artifact_bucket}/covaex/{config.inputs.app_version}/*",
        )
        self.alb = ApplicationLoadBalancer(
            self, "alb", config.alb, self.network, self.security_groups, account_id=account.account_id
        )
        boot = ServiceBoot(
            environment=config.service_posture,
            region=config.region,
            artifact_bucket=config.inputs.artifact_bucket,
            app_version=config.inputs.app_version,
            app_port=config.security_groups.app_port,
            workers=config.app_tier.workers,
            db_host=self.database.address,
            db_port=POSTGRES_PORT,
            db_name=config.database.database_name,
            db_secret_arn=self.database.master_secret_arn,
            session_secret_arn=self.app_secrets.session_key.arn,
            redis_host=self.cache.primary_endpoint,
            redis_port=REDIS_PORT,
        )
        self.app_tier = AppTier(
            self,
            "app_tier",
            config.app_tier,
            network=self.network,
            security_groups=self.security_groups,
            alb=self.alb,
            role=self.app_role,
            boot=boot,
            instance_tags=tags,
            kms_key_arn=key_arn,
        )
        self.ci_role = CiDeployRole(
            self,
            "ci_role",
            config.ci_role,
            account_id=account.account_id,
            autoscaling_group_arn=self.app_tier.group.arn,
        )
        self.observability = Observability(
            self,
            "observability",
            config.observability,
            alb=self.alb,
            app_tier=self.app_tier,
            database=self.database,
            cache=self.cache,
            vpn=self.vpn,
            kms_key_arn=key_arn,
        )

        # name -> (value, description): the description is what the reference page shows, as terraform-docs does
        outputs = {
            "vpc_id": (self.network.vpc.id, "the VPC that Platform v2 finds by its tags and runs inside"),
            "alb_dns_name": (self.alb.lb.dns_name, "the ALB's DNS name: the CNAME target of the public hostname"),
            "app_asg_name": (self.app_tier.group.name, "the app tier's Auto Scaling group (CI's instance refresh)"),
            "postgres_address": (self.database.address, "the RDS PostgreSQL endpoint's host name"),
            "postgres_secret_arn": (
                self.database.master_secret_arn,
                "the RDS-managed master password in Secrets Manager (rotated by RDS)",
            ),
            "redis_primary_endpoint": (
                self.cache.primary_endpoint,
                "ElastiCache's primary endpoint (follows failover)",
            ),
            "session_key_secret_arn": (self.app_secrets.session_key.arn, "the app's session signing key secret"),
            "ci_deploy_role_arn": (self.ci_role.role.arn, "the role GitHub Actions assumes by OIDC to deploy"),
            "alarm_topic_arn": (self.observability.topic.arn, "the SNS topic the CloudWatch alarms notify"),
        }
        if self.vpn.connection is not None:
            outputs["vpn_connection_id"] = (self.vpn.connection.id, "the site-to-site VPN connection (two tunnels)")
        if self.vpn.second_connection is not None:
            outputs["vpn_second_connection_id"] = (
                self.vpn.second_connection.id,
                "the VPN connection to the second on-prem device",
            )
        for name, (value, description) in outputs.items():
            TerraformOutput(self, name, value=value, description=description)
