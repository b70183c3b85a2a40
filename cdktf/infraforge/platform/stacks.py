"""The Platform v2 stacks: ``platform-v2-dev``, ``platform-v2-prod`` and ``platform-v2-registry``.

``platform-v2-<env>`` is one EKS environment in the v1 network of the same
environment (read, not owned: see :mod:`infraforge.platform.network`):
KMS key, cluster, node group, OIDC provider, the IRSA roles of the AWS Load
Balancer Controller and of the CovaEX service account, and the Helm add-ons.

``platform-v2-registry`` holds the one ECR repository ``covaex``. Dev and
prod share it on purpose: CI builds an image once and promotes the very same
immutable tag from the dev overlay to the prod overlay, so prod runs bytes
that dev has run. Keeping it out of the environment stacks also means
destroying a dev cluster can never touch release images.

Deploy order: ``state`` -> ``tobe-v1-<env>`` -> ``platform-v2-registry`` ->
``platform-v2-<env>``. The public API endpoint accepts only the CIDRs in
``INFRAFORGE_EKS_PUBLIC_CIDRS`` (comma-separated; default: a documentation
range that matches nobody).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from cdktf import App, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from constructs import Construct

from infraforge.platform.addons import ClusterAddons
from infraforge.platform.alb_controller_policy import alb_controller_statements
from infraforge.platform.config import ECR, PLATFORM_DEV, PLATFORM_PROD, REGION, EcrConfig, PlatformConfig
from infraforge.platform.ecr import ImageRepository
from infraforge.platform.eks import EksPlatform, cluster_log_group_name
from infraforge.platform.iam import IrsaRole
from infraforge.platform.kms import KeyConfig, PlatformKey
from infraforge.platform.network import ExistingNetwork

PUBLIC_CIDRS_ENV = "INFRAFORGE_EKS_PUBLIC_CIDRS"
REGISTRY_STACK = "platform-v2-registry"


def platform_tags(project: str, environment: str) -> dict[str, str]:
    """Tags every resource of a platform stack carries (provider default tags)."""
    return {"Project": project, "Environment": environment, "ManagedBy": "cdktf", "Component": "platform-v2"}


def _aws_provider(scope: Construct, tags: Mapping[str, str]) -> AwsProvider:
    return AwsProvider(scope, "aws", region=REGION, default_tags=[AwsProviderDefaultTags(tags=dict(tags))])


def service_statements(config: PlatformConfig, account_id: str) -> list[dict[str, object]]:
    """What the CovaEX pods may do in AWS: read their own secrets, nothing else.

    Convention: secrets meant for the service live under ``covaex/<env>/``.
    """
    prefix = f"{config.project}/{config.environment}/"
    return [
        {
            "Sid": "ReadOwnSecrets",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            "Resource": f"arn:aws:secretsmanager:{REGION}:{account_id}:secret:{prefix}*",
        }
    ]


class PlatformStack(TerraformStack):
    """One EKS environment (``platform-v2-<env>``)."""

    def __init__(self, scope: Construct, config: PlatformConfig) -> None:
        super().__init__(scope, config.stack_name)
        self.config = config
        _aws_provider(self, platform_tags(config.project, config.environment))
        account_id = str(DataAwsCallerIdentity(self, "current").account_id)
        name = config.cluster.name

        self.key = PlatformKey(
            self,
            "kms",
            config=KeyConfig(
                name=f"{name}-eks",
                description=f"EKS {name}: Kubernetes Secrets envelope encryption and control-plane logs",
                log_group_prefixes=(cluster_log_group_name(name),),
            ),
            account_id=account_id,
        )
        self.network = ExistingNetwork(self, "network", lookup=config.network)
        self.eks = EksPlatform(
            self,
            "eks",
            cluster=config.cluster,
            node_group=config.node_group,
            network=self.network,
            secrets_key_arn=self.key.key.arn,
            logs_key_arn=self.key.key.arn,
        )
        irsa = {"oidc_provider_arn": self.eks.oidc_provider.arn, "oidc_issuer_host": self.eks.oidc_issuer_host}
        self.alb_controller_role = IrsaRole(
            self,
            "irsa_alb_controller",
            name=f"{name}-aws-load-balancer-controller",
            account=config.alb_controller_account,
            statements=alb_controller_statements(account_id, self.network.vpc_arn),
            **irsa,
        )
        self.service_role = IrsaRole(
            self,
            "irsa_covaex",
            # the name deploy/k8s/overlays/<env>/serviceaccount.yaml annotates
            name=f"{name}-service",
            account=config.service_account,
            statements=service_statements(config, account_id),
            **irsa,
        )
        self.addons = ClusterAddons(
            self,
            "addons",
            config=config.addons,
            eks=self.eks,
            vpc_id=self.network.vpc_id,
            alb_controller_account=config.alb_controller_account,
            alb_controller_role_arn=self.alb_controller_role.role.arn,
            depends_on=[self.alb_controller_role.attachment],
        )
        outputs = {
            "cluster_name": self.eks.cluster.name,
            "cluster_endpoint": self.eks.cluster.endpoint,
            "oidc_provider_arn": self.eks.oidc_provider.arn,
            # goes into the covaex ServiceAccount's eks.amazonaws.com/role-arn annotation (deploy/)
            "service_role_arn": self.service_role.role.arn,
            "alb_controller_role_arn": self.alb_controller_role.role.arn,
        }
        for key, value in outputs.items():
            TerraformOutput(self, key, value=value)


class RegistryStack(TerraformStack):
    """The shared image registry (``platform-v2-registry``)."""

    def __init__(self, scope: Construct, config: EcrConfig, *, project: str = "covaex") -> None:
        super().__init__(scope, REGISTRY_STACK)
        _aws_provider(self, platform_tags(project, "shared"))
        account_id = str(DataAwsCallerIdentity(self, "current").account_id)
        self.key = PlatformKey(
            self,
            "kms",
            config=KeyConfig(name=f"{config.name}-ecr", description=f"ECR repository {config.name}: image layers"),
            account_id=account_id,
        )
        self.images = ImageRepository(self, "ecr", config=config, kms_key_arn=self.key.key.arn)
        TerraformOutput(self, "repository_url", value=self.images.repository.repository_url)


def public_access_cidrs_from_env() -> tuple[str, ...] | None:
    """Operator/CI CIDRs for the public API endpoint, if given at deploy time."""
    raw = os.environ.get(PUBLIC_CIDRS_ENV, "")
    cidrs = tuple(part.strip() for part in raw.split(",") if part.strip())
    return cidrs or None


def add_platform_stacks(app: App) -> list[TerraformStack]:
    """Register every Platform v2 stack on ``app`` (the one line ``app.py`` calls)."""
    cidrs = public_access_cidrs_from_env()
    configs = [PLATFORM_DEV, PLATFORM_PROD]
    if cidrs:
        configs = [config.with_public_access_cidrs(cidrs) for config in configs]
    stacks: list[TerraformStack] = [RegistryStack(app, ECR)]
    stacks.extend(PlatformStack(app, config) for config in configs)
    return stacks
