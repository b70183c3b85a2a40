"""IAM roles of Platform v2: AWS-service roles and IRSA roles for service accounts.

An IRSA role trusts exactly one Kubernetes service account of one cluster:
the trust policy names the cluster's OIDC provider as the federated
principal and pins both token claims, ``<issuer>:sub`` to
``system:serviceaccount:<namespace>:<name>`` and ``<issuer>:aud`` to
``sts.amazonaws.com``. Any other pod (or any other cluster) gets AccessDenied.
"""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from infraforge.constructs.iam import policy_document, service_trust_policy, trust_policy
from infraforge.platform.config import ServiceAccountRef

STS_AUDIENCE = "sts.amazonaws.com"


class ServiceRole(Construct):
    """A role an AWS service (``eks.amazonaws.com``, ``ec2.amazonaws.com``) assumes.

    ``managed_policies`` are AWS-managed policy names attached as they are (the
    EKS ones are maintained by AWS alongside the service); ``inline`` is an
    optional scoped policy of our own. Outputs: ``role`` and ``attachments``
    (for ``depends_on``, so a role is never used before its permissions exist).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        service: str,
        managed_policies: Sequence[str] = (),
        inline: Sequence[dict[str, object]] = (),
    ) -> None:
        super().__init__(scope, id_)
        address = id_
        self.role = IamRole(
            self,
            "role",
            name=name,
            assume_role_policy=service_trust_policy(service),
        )
        self.role.override_logical_id(address)
        self.attachments: list[IamRolePolicyAttachment] = []
        for policy in managed_policies:
            attachment = IamRolePolicyAttachment(
                self, policy, role=self.role.name, policy_arn=f"arn:aws:iam::aws:policy/{policy}"
            )
            attachment.override_logical_id(f"{address}_{policy.lower()}")
            self.attachments.append(attachment)
        if inline:
            scoped = IamRolePolicy(self, "inline", role=self.role.id, name=name, policy=policy_document(*inline))
            scoped.override_logical_id(address)


class IrsaRole(Construct):
    """An IAM role for one Kubernetes service account (IRSA).

    ``statements`` become one policy of our own; ``managed_policy_arns`` are
    AWS-managed policies maintained with the service they serve (the EBS CSI
    driver's). Outputs: ``role`` (its ``arn`` goes into the service account's
    ``eks.amazonaws.com/role-arn`` annotation) and ``attachments``.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        oidc_provider_arn: str,
        oidc_issuer_host: str,
        account: ServiceAccountRef,
        statements: Sequence[dict[str, object]] = (),
        managed_policy_arns: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, id_)
        address = id_
        self.role = IamRole(
            self,
            "role",
            name=name,
            description=f"IRSA role of {account.namespace}/{account.name}",
            assume_role_policy=trust_policy(
                {"Federated": oidc_provider_arn},
                "sts:AssumeRoleWithWebIdentity",
                irsa_trust_condition(oidc_issuer_host, account),
            ),
        )
        self.role.override_logical_id(address)
        self.attachments: list[IamRolePolicyAttachment] = []
        if statements:
            self.policy = IamPolicy(
                self,
                "policy",
                name=name,
                description=f"What {account.namespace}/{account.name} may do in AWS",
                policy=policy_document(*statements),
            )
            self.policy.override_logical_id(address)
            attachment = IamRolePolicyAttachment(self, "attachment", role=self.role.name, policy_arn=self.policy.arn)
            attachment.override_logical_id(address)
            self.attachments.append(attachment)
        for arn in managed_policy_arns:
            policy_name = arn.rsplit("/", 1)[-1]
            attachment = IamRolePolicyAttachment(self, policy_name, role=self.role.name, policy_arn=arn)
            attachment.override_logical_id(f"{address}_{policy_name.lower()}")
            self.attachments.append(attachment)
        if not self.attachments:
            raise ValueError(f"IRSA role {name}: give statements or managed policies (a role that can do nothing)")

    @property
    def attachment(self) -> IamRolePolicyAttachment:
        """The last attachment: ``depends_on`` it so the role is never used before its permissions exist."""
        return self.attachments[-1]


def irsa_trust_condition(issuer_host: str, account: ServiceAccountRef) -> dict[str, object]:
    """The token claims one service account presents: its ``sub`` and the STS audience."""
    return {
        "StringEquals": {
            f"{issuer_host}:sub": account.subject,
            f"{issuer_host}:aud": STS_AUDIENCE,
        }
    }
