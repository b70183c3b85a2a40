"""The Platform v2 stacks: ``platform-v2-dev``, ``platform-v2-prod`` and ``platform-v2-registry``.

``platform-v2-<env>`` is one EKS environment in the v1 network of the same
environment (read, not owned: see :mod:`infraforge.platform.network`):
KMS key, cluster, node group, OIDC provider, the IRSA roles of the AWS Load
Balancer Controller and of the CovaEX service account, the Helm add-ons, and
the two rules that let pods reach the v1 PostgreSQL and Redis
(:mod:`infraforge.platform.data_access`).

``platform-v2-registry`` holds the one ECR repository ``covaex`` (and the
role CI pushes images with). Dev and
prod share it on purpose: CI builds an image once and promotes the very same
immutable tag from the dev overlay to the prod overlay, so prod runs bytes
that dev has run. Keeping it out of the environment stacks also means
destroying a dev cluster can never touch release images.

Like the v1 stacks, each keeps its state in the bootstrap bucket (stack
``state``, S3-native locking) under ``platform-v2/<env>/terraform.tfstate``
and gets the common tags from :class:`infraforge.tags.CommonTags`.

Deploy order: ``state`` -> ``tobe-v1-<env>`` -> ``platform-v2-registry`` ->
``platform-v2-<env>``. Deploy-time input, read with every other input before any
stack is built (:mod:`infraforge.app`): the CIDRs allowed on the public API endpoint
(:func:`infraforge.platform.config.public_access_cidrs`; default: a documentation
range that matches nobody, so the cluster is reachable only from inside the VPC).
"""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import App, Aspects, TerraformOutput, TerraformStack, Token
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct

from infraforge.constructs.state_backend import s3_state_backend
from infraforge.inputs import DeployInputs
from infraforge.platform.addons import ClusterAddons
from infraforge.platform.alb_controller_policy import alb_controller_statements
from infraforge.platform.config import ECR, REGION, EcrConfig, KeyConfig, PlatformConfig
from infraforge.platform.data_access import PodDataAccess
from infraforge.platform.ecr import ImagePushRole, ImageRepository
from infraforge.platform.eks import EksPlatform, cluster_log_group_name
from infraforge.platform.foundation import V1Foundation
from infraforge.platform.iam import IrsaRole
from infraforge.platform.kms import PlatformKey
from infraforge.platform.network import ExistingNetwork
from infraforge.platform.watchdog import DeadMansSwitch
from infraforge.tags import CommonTags, common_tags

EBS_CSI_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
REGISTRY_STACK = "platform-v2-registry"


def _foundation(stack: TerraformStack, environment: str, state_key: str, inputs: DeployInputs) -> str:
    """Provider, state backend and common tags, as every InfraForge stack has them; returns the account id."""
    AwsProvider(stack, "aws", region=REGION)
    s3_state_backend(stack, bucket=inputs.state_bucket, key=f"{state_key}/terraform.tfstate", region=REGION)
    # Only the common set: the aspect also fills the ``tags`` filter of the
    # v1 lookups (data sources), which must stay what the v1 resources carry.
    Aspects.of(stack).add(CommonTags(common_tags(environment)))
    return str(DataAwsCallerIdentity(stack, "current").account_id)


def cluster_autoscaler_statements(config: PlatformConfig, account_id: str) -> list[dict[str, object]]:
    """What the Cluster Autoscaler may do: read groups and types, resize only this cluster's node groups.

    The two writes are limited to the groups EKS creates for this cluster's managed node groups
    (``eks-<node group>-*``) that carry the ``k8s.io/cluster-autoscaler/<cluster>`` tag EKS puts on them;
    the reads cannot be scoped (describe calls take no resource).
    """
    cluster = config.cluster.name
    return [
        {
            "Sid": "ResizeOwnNodeGroups",
            "Effect": "Allow",
            "Action": ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
            "Resource": (
                f"arn:aws:autoscaling:{REGION}:{account_id}:autoScalingGroup:*:"
                f"autoScalingGroupName/eks-{config.node_group.name}-*"
            ),
            "Condition": {
                "StringEquals": {
                    f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster}": "owned",
                    "aws:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true",
                }
            },
        },
        {
            "Sid": "ReadGroupsAndTypes",
            "Effect": "Allow",
            "Action": [
                "autoscaling:DescribeAutoScalingGroups",
                "autoscaling:DescribeAutoScalingInstances",
                "autoscaling:DescribeLaunchConfigurations",
                "autoscaling:DescribeScalingActivities",
                "autoscaling:DescribeTags",
                "ec2:DescribeImages",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplateVersions",
                "ec2:GetInstanceTypesFromInstanceRequirements",
            ],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": REGION}},
        },
        {
            "Sid": "ReadOwnNodeGroups",
            "Effect": "Allow",
            "Action": ["eks:DescribeNodegroup"],
            "Resource": f"arn:aws:eks:{REGION}:{account_id}:nodegroup/{cluster}/*/*",
        },
    ]


def service_statements(v1: V1Foundation) -> list[dict[str, object]]:
    """What the CovaEX service account may do in AWS: read exactly the two secrets its pods use.

    External Secrets signs in as this account (the ``SecretStore`` in ``deploy/k8s/base`` names it) and
    syncs the session key (:mod:`infraforge.constructs.app_secrets`) and the database secret RDS manages
    and rotates into the Secret the pods read. Both ARNs are looked up, so no other secret of the
    environment (nor one created later under the same prefix) is readable. Reading a secret encrypted
    with a customer key also needs ``kms:Decrypt`` on that key, granted only through Secrets Manager
    (``kms:ViaService``), so the role can never decrypt anything directly.
    ``tests/infra/platform/test_irsa.py`` evaluates this policy against the calls the sync makes.
    """
    return [
        {
            "Sid": "ReadOwnSecrets",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            "Resource": [v1.session_secret_arn, v1.database_secret_arn],
        },
        {
            "Sid": "DecryptOwnSecrets",
            "Effect": "Allow",
            "Action": ["kms:Decrypt"],
            "Resource": v1.key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}},
        },
    ]


def alertmanager_statements(v1: V1Foundation, watchdog_topic_arn: str) -> list[dict[str, object]]:
    """Alertmanager publishes to the environment's v1 alarm topic and to the Watchdog topic, both under the v1 key."""
    return [
        {
            "Sid": "PublishAlarms",
            "Effect": "Allow",
            "Action": ["sns:Publish"],
            "Resource": [v1.alarm_topic_arn, watchdog_topic_arn],
        },
        {
            "Sid": "EncryptForTheTopic",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
            "Resource": v1.key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": f"sns.{REGION}.amazonaws.com"}},
        },
    ]


class PlatformStack(TerraformStack):
    """One EKS environment (``platform-v2-<env>``)."""

    def __init__(self, scope: Construct, config: PlatformConfig, inputs: DeployInputs) -> None:
        super().__init__(scope, config.stack_name)
        self.config = config
        account_id = _foundation(self, config.environment, f"platform-v2/{config.environment}", inputs)
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
        self.v1 = V1Foundation(
            self,
            "v1",
            name=f"{config.project}-{config.environment}",
            secrets_prefix=f"{config.project}/{config.environment}",
        )
        self.eks = EksPlatform(
            self,
            "eks",
            cluster=config.cluster,
            node_group=config.node_group,
            network=self.network,
            secrets_key_arn=self.key.key.arn,
            logs_key_arn=self.key.key.arn,
            account_id=account_id,
        )
        self.data_access = PodDataAccess(
            self,
            "data_access",
            name=f"{config.project}-{config.environment}",
            network=self.network,
            cluster_security_group_id=self.eks.cluster.vpc_config.cluster_security_group_id,
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
            statements=service_statements(self.v1),
            **irsa,
        )
        self.ebs_csi_role = IrsaRole(
            self,
            "irsa_ebs_csi",
            name=f"{name}-ebs-csi-driver",
            account=config.ebs_csi_account,
            managed_policy_arns=(EBS_CSI_POLICY_ARN,),
            **irsa,
        )
        self.watchdog = DeadMansSwitch(
            self,
            "watchdog",
            topic_name=config.watchdog_topic_name,
            kms_key_arn=self.v1.key_arn,
            alarm_topic_arn=self.v1.alarm_topic_arn,
        )
        self.alertmanager_role = IrsaRole(
            self,
            "irsa_alertmanager",
            name=f"{name}-alertmanager",
            account=config.alertmanager_account,
            statements=alertmanager_statements(self.v1, self.watchdog.topic.arn),
            **irsa,
        )
        self.cluster_autoscaler_role = IrsaRole(
            self,
            "irsa_cluster_autoscaler",
            name=f"{name}-cluster-autoscaler",
            account=config.cluster_autoscaler_account,
            statements=cluster_autoscaler_statements(config, account_id),
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
            ebs_csi_role_arn=self.ebs_csi_role.role.arn,
            alertmanager_account=config.alertmanager_account,
            alertmanager_role_arn=self.alertmanager_role.role.arn,
            alarm_topic_arn=self.v1.alarm_topic_arn,
            watchdog_topic_arn=self.watchdog.topic.arn,
            cluster_autoscaler_account=config.cluster_autoscaler_account,
            cluster_autoscaler_role_arn=self.cluster_autoscaler_role.role.arn,
            depends_on=[
                *self.alb_controller_role.attachments,
                *self.ebs_csi_role.attachments,
                *self.alertmanager_role.attachments,
                *self.cluster_autoscaler_role.attachments,
            ],
        )
        # name -> (value, description): the description is what the reference page shows, as terraform-docs does
        outputs = {
            "cluster_name": (self.eks.cluster.name, "the EKS cluster's name (aws eks update-kubeconfig --name)"),
            "cluster_endpoint": (self.eks.cluster.endpoint, "the Kubernetes API server's endpoint"),
            "oidc_provider_arn": (self.eks.oidc_provider.arn, "the cluster's IAM OIDC provider (IRSA trusts)"),
            "service_role_arn": (
                self.service_role.role.arn,
                "the covaex ServiceAccount's role: its eks.amazonaws.com/role-arn annotation in deploy/",
            ),
            "alb_controller_role_arn": (
                self.alb_controller_role.role.arn,
                "the AWS Load Balancer Controller's role (IRSA)",
            ),
            "database_secret_arn": (
                self.v1.database_secret_arn,
                "the RDS-managed secret of the v1 database: the pods' ExternalSecret reads it (gitops_site)",
            ),
            "session_secret_arn": (
                self.v1.session_secret_arn,
                "the session-signing key's secret: the pods' ExternalSecret reads it (gitops_site)",
            ),
            "database_host": (self.v1.database.address, "the v1 database's endpoint, for the pods' ConfigMap"),
            "database_port": (self.v1.database_port, "the v1 database's port, for the pods' ConfigMap"),
            "database_name": (self.v1.database.db_name, "the v1 database's name, for the pods' ConfigMap"),
            "redis_host": (self.v1.cache.primary_endpoint_address, "the v1 cache's primary endpoint, for the pods"),
            "redis_port": (Token.as_string(self.v1.cache.port), "the v1 cache's port, for the pods"),
        }
        for key, (value, description) in outputs.items():
            TerraformOutput(self, key, value=value, description=description)


class RegistryStack(TerraformStack):
    """The shared image registry (``platform-v2-registry``)."""

    def __init__(self, scope: Construct, config: EcrConfig, inputs: DeployInputs) -> None:
        super().__init__(scope, REGISTRY_STACK)
        account_id = _foundation(self, "shared", "platform-v2/registry", inputs)
        self.key = PlatformKey(
            self,
            "kms",
            config=KeyConfig(name=f"{config.name}-ecr", description=f"ECR repository {config.name}: image layers"),
            account_id=account_id,
        )
        self.images = ImageRepository(self, "ecr", config=config, kms_key_arn=self.key.key.arn)
        self.push_role = ImagePushRole(
            self,
            "ci_image_push",
            repository=self.images.repository,
            account_id=account_id,
            github_repo=inputs.github_repo,
        )
        TerraformOutput(
            self,
            "repository_url",
            value=self.images.repository.repository_url,
            description="the ECR repository the release pushes the image to and the nodes pull from",
        )
        TerraformOutput(
            self,
            "ci_image_push_role_arn",
            value=self.push_role.role.arn,
            description='the AWS_DEPLOY_ROLE_ARN variable of the GitHub environment "release" (image push)',
        )


def add_platform_stacks(
    app: App, shared: DeployInputs, platforms: Sequence[tuple[PlatformConfig, DeployInputs]]
) -> list[TerraformStack]:
    """Register every Platform v2 stack on ``app`` (the one line ``app.py`` calls): the registry with the
    ``shared`` inputs, and one ``platform-v2-<env>`` per config with its environment's inputs."""
    stacks: list[TerraformStack] = [RegistryStack(app, ECR, shared)]
    stacks.extend(PlatformStack(app, config, inputs) for config, inputs in platforms)
    return stacks
