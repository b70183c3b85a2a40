"""IAM permissions of the AWS Load Balancer Controller, scoped down.

Derived from the controller's published ``docs/install/iam_policy.json``
(the generation matching chart 1.15 / controller v2.15), with three changes:

* **only what CovaEX uses.** The service is exposed through an Ingress, i.e.
  an *application* load balancer; WAF, Shield and Cognito are switched off in
  the chart values. So NLB ARNs, ``waf-regional:*``/``wafv2:*``/``shield:*``/
  ``cognito-idp:*``, IAM server certificates, customer-owned IP pools,
  IPAM pools, mTLS trust stores and capacity-reservation *changes* are left out.
* **our account, our region, our VPC.** Every ARN names the account and
  Seoul instead of ``*:*``; security-group writes are limited to groups in the
  cluster's VPC (``ec2:Vpc``) or created by the controller.
* **AWS's own conditions kept.** Where the published policy guards a write
  with the ``elbv2.k8s.aws/cluster`` request/resource tag (the controller
  tags everything it creates), the condition is kept, so the controller can
  only modify or delete what it created itself, never the v1 ALB.

Reads (``Describe*``/``Get*`` that AWS does not scope by resource) stay on
``*``; no statement grants a whole service.
"""

from __future__ import annotations

from infraforge.platform.config import REGION

CLUSTER_TAG = "elbv2.k8s.aws/cluster"

DESCRIBE_ACTIONS = (
    "ec2:DescribeAccountAttributes",
    "ec2:DescribeAddresses",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInstances",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeTags",
    "ec2:DescribeVpcPeeringConnections",
    "ec2:DescribeVpcs",
    "ec2:GetSecurityGroupsForVpc",
    # v2.12+ reads the LB capacity reservation on every reconcile, set or not.
    "elasticloadbalancing:DescribeCapacityReservation",
    "elasticloadbalancing:DescribeListenerAttributes",
    "elasticloadbalancing:DescribeListenerCertificates",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeSSLPolicies",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
    "acm:ListCertificates",
)


def alb_controller_statements(account_id: str, vpc_arn: str) -> list[dict[str, object]]:
    """The controller's policy statements for one account and VPC."""
    elb = f"arn:aws:elasticloadbalancing:{REGION}:{account_id}"
    ec2 = f"arn:aws:ec2:{REGION}:{account_id}"
    security_groups = f"{ec2}:security-group/*"
    load_balancers = f"{elb}:loadbalancer/app/*/*"
    target_groups = f"{elb}:targetgroup/*/*"
    listeners = f"{elb}:listener/app/*/*/*"
    listener_rules = f"{elb}:listener-rule/app/*/*/*"
    created_by_controller = {"Null": {f"aws:RequestTag/{CLUSTER_TAG}": "false"}}
    owned_by_controller = {"Null": {f"aws:ResourceTag/{CLUSTER_TAG}": "false"}}
    retagging_owned = {"Null": {f"aws:RequestTag/{CLUSTER_TAG}": "true", f"aws:ResourceTag/{CLUSTER_TAG}": "false"}}
    return [
        {
            "Sid": "CreateElbServiceLinkedRole",
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": (
                f"arn:aws:iam::{account_id}:role/aws-service-role/elasticloadbalancing.amazonaws.com/"
                "AWSServiceRoleForElasticLoadBalancing"
            ),
            "Condition": {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}},
        },
        {
            # Describe/List calls that AWS does not scope by resource; the
            # condition pins them to this region (they read, never write).
            "Sid": "DescribeNetworkAndLoadBalancers",
            "Effect": "Allow",
            "Action": list(DESCRIBE_ACTIONS),
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": REGION}},
        },
        {
            # Certificate discovery for HTTPS listeners (ACM only).
            "Sid": "ReadCertificates",
            "Effect": "Allow",
            "Action": "acm:DescribeCertificate",
            "Resource": f"arn:aws:acm:{REGION}:{account_id}:certificate/*",
        },
        {
            # Backend security-group rules (ALB -> pods/nodes): only groups in the cluster's VPC.
            "Sid": "ManageIngressRulesInClusterVpc",
            "Effect": "Allow",
            "Action": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
            "Resource": security_groups,
            "Condition": {"ArnEquals": {"ec2:Vpc": vpc_arn}},
        },
        {
            "Sid": "CreateSecurityGroupInClusterVpc",
            "Effect": "Allow",
            "Action": "ec2:CreateSecurityGroup",
            "Resource": [security_groups, vpc_arn],
        },
        {
            "Sid": "TagSecurityGroupOnCreate",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": security_groups,
            "Condition": {"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup"}, **created_by_controller},
        },
        {
            "Sid": "RetagOwnSecurityGroups",
            "Effect": "Allow",
            "Action": ["ec2:CreateTags", "ec2:DeleteTags"],
            "Resource": security_groups,
            "Condition": retagging_owned,
        },
        {
            "Sid": "ManageOwnSecurityGroups",
            "Effect": "Allow",
            "Action": [
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:DeleteSecurityGroup",
            ],
            "Resource": security_groups,
            "Condition": owned_by_controller,
        },
        {
            "Sid": "CreateTaggedLoadBalancersAndTargetGroups",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
            "Resource": [load_balancers, target_groups],
            "Condition": created_by_controller,
        },
        {
            "Sid": "ManageListenersAndRules",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteRule",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:AddListenerCertificates",
                "elasticloadbalancing:RemoveListenerCertificates",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:SetRulePriorities",
            ],
            "Resource": [load_balancers, listeners, listener_rules],
        },
        {
            "Sid": "RetagOwnLoadBalancersAndTargetGroups",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            "Resource": [target_groups, load_balancers],
            "Condition": retagging_owned,
        },
        {
            "Sid": "TagListenersAndRules",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            "Resource": [listeners, listener_rules],
        },
        {
            "Sid": "TagOnCreate",
            "Effect": "Allow",
            "Action": "elasticloadbalancing:AddTags",
            "Resource": [target_groups, load_balancers],
            "Condition": {
                "StringEquals": {"elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"]},
                **created_by_controller,
            },
        },
        {
            "Sid": "ModifyOwnLoadBalancersAndTargetGroups",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:SetIpAddressType",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets",
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:ModifyListenerAttributes",
            ],
            "Resource": [load_balancers, target_groups, listeners],
            "Condition": owned_by_controller,
        },
        {
            "Sid": "RegisterPodTargets",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
            "Resource": target_groups,
        },
    ]
