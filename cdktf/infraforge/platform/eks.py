"""The EKS cluster of one environment: control plane, OIDC provider, managed nodes.

* control plane in the private-app subnets of both AZs; private endpoint on,
  public endpoint on but limited to ``ClusterConfig.public_access_cidrs``;
  the profile's log types (``eks_log_types``) to a pre-created, KMS-encrypted
  log group with the profile's retention (EKS would otherwise create it with
  infinite retention); the cost model prices the same two settings;
* Kubernetes secrets envelope-encrypted with a customer key (rotation on);
* STANDARD support (upgrade policy): no silent slide into extended support
  (six times the hourly control-plane price); EKS upgrades the cluster
  itself when standard support ends, so we upgrade on our schedule before;
* access entries (``API`` mode) instead of the ``aws-auth`` ConfigMap; the
  identity that applies the stack gets cluster-admin so it can install the
  add-ons, and every role of the profile's ``eks_admin_roles`` gets an access
  entry with ``AmazonEKSClusterAdminPolicy`` cluster-wide, so the cluster is
  not reachable only by whoever created it;
* one managed node group over both private-app subnets, IMDSv2 only with a
  hop limit of 1 (pods use IRSA, never the node role), encrypted gp3 root.

Outputs: ``cluster``, ``oidc_provider``, ``node_group``, ``oidc_issuer_url``, ``oidc_issuer_host``.
"""

from __future__ import annotations

import re

from cdktf import Fn, TerraformLocal, TerraformResourceLifecycle, Token
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.eks_access_entry import EksAccessEntry
from cdktf_cdktf_provider_aws.eks_access_policy_association import (
    EksAccessPolicyAssociation,
    EksAccessPolicyAssociationAccessScope,
)
from cdktf_cdktf_provider_aws.eks_cluster import (
    EksCluster,
    EksClusterAccessConfig,
    EksClusterEncryptionConfig,
    EksClusterEncryptionConfigProvider,
    EksClusterUpgradePolicy,
    EksClusterVpcConfig,
)
from cdktf_cdktf_provider_aws.eks_node_group import (
    EksNodeGroup,
    EksNodeGroupLaunchTemplate,
    EksNodeGroupNodeRepairConfig,
    EksNodeGroupScalingConfig,
    EksNodeGroupUpdateConfig,
)
from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.launch_template import (
    LaunchTemplate,
    LaunchTemplateBlockDeviceMappings,
    LaunchTemplateBlockDeviceMappingsEbs,
    LaunchTemplateMetadataOptions,
)
from constructs import Construct

from infraforge.platform.config import ADMIN_POLICY_ARN, ClusterConfig, NodeGroupConfig
from infraforge.platform.iam import STS_AUDIENCE, ServiceRole
from infraforge.platform.network import ExistingNetwork

# AWS-managed policies EKS documents for the two service roles. The node role
# pulls images with the pull-only ECR policy (no ecr:Describe*/List*).
CLUSTER_ROLE_POLICIES = ("AmazonEKSClusterPolicy",)
NODE_ROLE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryPullOnly")


def cluster_log_group_name(cluster_name: str) -> str:
    """The log group EKS writes control-plane logs to (fixed by EKS)."""
    return f"/aws/eks/{cluster_name}/cluster"


class EksPlatform(Construct):
    """Cluster, OIDC provider and node group of one environment."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        cluster: ClusterConfig,
        node_group: NodeGroupConfig,
        network: ExistingNetwork,
        secrets_key_arn: str,
        logs_key_arn: str,
        account_id: str,
    ) -> None:
        super().__init__(scope, id_)
        self.cluster_role = ServiceRole(
            self,
            "eks_cluster",
            name=f"{cluster.name}-eks-cluster",
            service="eks.amazonaws.com",
            managed_policies=CLUSTER_ROLE_POLICIES,
            inline=[
                {
                    # envelope encryption of Secrets: only this key, only what EKS calls
                    "Sid": "UseSecretsKey",
                    "Effect": "Allow",
                    "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:ListGrants", "kms:CreateGrant"],
                    "Resource": secrets_key_arn,
                }
            ],
        )
        log_group = CloudwatchLogGroup(
            self,
            "log_group",
            name=cluster_log_group_name(cluster.name),
            retention_in_days=cluster.log_retention_days,
            kms_key_id=logs_key_arn,
        )
        log_group.override_logical_id("eks_cluster")
        self.cluster = EksCluster(
            self,
            "cluster",
            name=cluster.name,
            version=cluster.kubernetes_version,
            role_arn=self.cluster_role.role.arn,
            vpc_config=EksClusterVpcConfig(
                subnet_ids=network.app_subnet_ids,
                endpoint_private_access=True,
                endpoint_public_access=True,
                public_access_cidrs=list(cluster.public_access_cidrs),
            ),
            enabled_cluster_log_types=list(cluster.log_types),
            encryption_config=EksClusterEncryptionConfig(
                provider=EksClusterEncryptionConfigProvider(key_arn=secrets_key_arn),
                resources=["secrets"],
            ),
            upgrade_policy=EksClusterUpgradePolicy(support_type="STANDARD"),
            access_config=EksClusterAccessConfig(
                authentication_mode="API",
                bootstrap_cluster_creator_admin_permissions=True,
            ),
            deletion_protection=cluster.deletion_protection,
            depends_on=[log_group, *self.cluster_role.attachments],
        )
        self.cluster.override_logical_id("main")
        self.admin_entries: dict[str, EksAccessPolicyAssociation] = {}
        for role in cluster.admin_roles:
            address = "admin_" + re.sub(r"[^0-9A-Za-z]+", "_", role).strip("_").lower()
            principal = f"arn:aws:iam::{account_id}:role/{role}"
            entry = EksAccessEntry(self, f"{address}_entry", cluster_name=self.cluster.name, principal_arn=principal)
            entry.override_logical_id(address)
            association = EksAccessPolicyAssociation(
                self,
                f"{address}_policy",
                cluster_name=self.cluster.name,
                principal_arn=entry.principal_arn,
                policy_arn=ADMIN_POLICY_ARN,
                access_scope=EksAccessPolicyAssociationAccessScope(type="cluster"),
            )
            association.override_logical_id(address)
            self.admin_entries[role] = association

        self.oidc_provider = IamOpenidConnectProvider(
            self,
            "oidc",
            url=self.oidc_issuer_url,
            client_id_list=[STS_AUDIENCE],
        )
        self.oidc_provider.override_logical_id("eks")
        # A local, so trust policies say ``${local.oidc_issuer_host}:sub`` and
        # stay plain JSON (no quoted function arguments inside the policy string).
        self._issuer_host = TerraformLocal(self, "oidc_issuer_host", Fn.replace(self.oidc_issuer_url, "https://", ""))
        self._issuer_host.override_logical_id("oidc_issuer_host")

        self.node_role = ServiceRole(
            self,
            "eks_node",
            name=f"{cluster.name}-eks-node",
            service="ec2.amazonaws.com",
            managed_policies=NODE_ROLE_POLICIES,
        )
        launch_template = LaunchTemplate(
            self,
            "launch_template",
            name_prefix=f"{cluster.name}-{node_group.name}-",
            description=f"EKS {node_group.name} nodes: IMDSv2 only, encrypted root volume",
            update_default_version=True,
            metadata_options=LaunchTemplateMetadataOptions(
                http_endpoint="enabled",
                http_tokens="required",
                # 1 hop: the node itself reaches IMDS, containers behind the
                # CNI do not, so no pod can borrow the node role.
                http_put_response_hop_limit=1,
            ),
            block_device_mappings=[
                LaunchTemplateBlockDeviceMappings(
                    device_name="/dev/xvda",
                    ebs=LaunchTemplateBlockDeviceMappingsEbs(
                        volume_size=node_group.disk_size_gib,
                        volume_type="gp3",
                        encrypted="true",
                        delete_on_termination="true",
                    ),
                )
            ],
        )
        launch_template.override_logical_id(f"eks_{node_group.name}")
        self.node_group = EksNodeGroup(
            self,
            "node_group",
            cluster_name=self.cluster.name,
            node_group_name=node_group.name,
            node_role_arn=self.node_role.role.arn,
            subnet_ids=network.app_subnet_ids,
            ami_type="AL2023_x86_64_STANDARD",
            capacity_type=node_group.capacity_type,
            instance_types=list(node_group.instance_types),
            scaling_config=EksNodeGroupScalingConfig(
                min_size=node_group.min_size,
                desired_size=node_group.desired_size,
                max_size=node_group.max_size,
            ),
            update_config=EksNodeGroupUpdateConfig(max_unavailable=node_group.max_unavailable),
            node_repair_config=EksNodeGroupNodeRepairConfig(enabled=True),
            launch_template=EksNodeGroupLaunchTemplate(
                id=launch_template.id, version=Token.as_string(launch_template.latest_version)
            ),
            labels={"covaex.io/node-group": node_group.name},
            # a scaler (or an operator during an incident) may move desired
            # size; terraform must not snap it back on the next apply
            lifecycle=TerraformResourceLifecycle(ignore_changes=["scaling_config[0].desired_size"]),
            depends_on=self.node_role.attachments,
        )
        self.node_group.override_logical_id(node_group.name)

    @property
    def oidc_issuer_url(self) -> str:
        """``https://oidc.eks.<region>.amazonaws.com/id/<id>``: the IRSA token issuer."""
        return str(self.cluster.identity.get(0).oidc.get(0).issuer)

    @property
    def oidc_issuer_host(self) -> str:
        """The issuer without ``https://``: the prefix of the ``:sub``/``:aud`` condition keys."""
        return str(self._issuer_host.as_string)
