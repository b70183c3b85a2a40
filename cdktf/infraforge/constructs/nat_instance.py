"""A NAT instance on Graviton: dev's low-cost egress instead of a NAT gateway.

A NAT gateway costs ~US$ 43/month in Seoul before data processing; a
``t4g.nano`` that forwards and masquerades costs a tenth of that. What dev
gives up, on purpose: the instance is one machine in one AZ (like dev's
single NAT gateway it is a SPOF for outbound traffic, and the SPOF report
says so), its bandwidth is the instance's, and an AMI update is ours to roll.

The instance: Amazon Linux 2023 arm64 from the pinned AMI input, source/dest
check off (it forwards other hosts' packets), an Elastic IP (a stable egress
address, as the NAT gateway had), IMDSv2 only, an encrypted root volume, no
SSH key, no instance role (it calls no AWS API), and a security group that
admits HTTPS from the VPC only and sends HTTPS out only: the app tier's one
egress (package and artifact downloads, AWS APIs, the Binance feed).
"""

from __future__ import annotations

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.instance import (
    Instance,
    InstanceMetadataOptions,
    InstanceRootBlockDevice,
)
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from infraforge.constructs.boot_steps import RETRY_FUNCTION
from infraforge.constructs.config import NatInstanceConfig

# the app tier sends only HTTPS out (infraforge.constructs.security_groups), so only 443 is forwarded
FORWARDED_PORTS = (443,)
# The AWS-documented NAT setup for Amazon Linux 2023 (forward, masquerade on the primary interface,
# persist both across reboots), made to survive its own first minutes: the instance boots before its
# Elastic IP is associated (Terraform attaches the EIP after the instance exists) and has no other
# public address, so until then nothing outside the VPC answers. Each step waits for what it needs
# instead of failing once under ``set -e`` and leaving dev without egress until the instance is
# replaced: the default route (the interface to masquerade on), the Elastic IP (IMDSv2 answers
# ``public-ipv4`` once it is associated), then the package install, retried while the mirror is
# unreachable. Bounds: ~5 min for the route, ~15 min for the EIP, 10 installs over ~5 min; past
# them the boot ends with one line naming the step (the console log and cloud-init show it).
# tests/infra/test_nat_boot.py runs this script with stubbed commands that fail first.
ROUTE_WAIT = (60, 5)
EIP_WAIT = (180, 5)
INSTALL_RETRY = (10, 30)
USER_DATA = f"""#!/bin/bash
# CovaEX NAT instance bootstrap, from infraforge.constructs.nat_instance.
set -euo pipefail
{RETRY_FUNCTION}
# IMDSv2 (the instance requires tokens): one metadata path, empty output and failure until it exists.
imds() {{
  local token
  token=$(curl -sf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token)
  curl -sf -H "X-aws-ec2-metadata-token: $token" http://169.254.169.254/latest/meta-data/$1
}}
has_default_route() {{ [ -n "$(ip -o route show default)" ]; }}
has_public_ip() {{ imds public-ipv4 >/dev/null; }}

retry {ROUTE_WAIT[0]} {ROUTE_WAIT[1]} has_default_route
retry {EIP_WAIT[0]} {EIP_WAIT[1]} has_public_ip
retry {INSTALL_RETRY[0]} {INSTALL_RETRY[1]} dnf install -y iptables-services
echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-nat.conf
sysctl --system
iface=$(ip -o route show default | awk '{{print $5; exit}}')
iptables -t nat -A POSTROUTING -o "$iface" -j MASQUERADE
iptables -F FORWARD
service iptables save
systemctl enable --now iptables
echo boot: NAT ready on $iface
"""


class NatInstance(Construct):
    """Security group, instance and Elastic IP. Output: :attr:`instance` (route to its primary interface)."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        config: NatInstanceConfig,
        *,
        name: str,
        vpc_id: str,
        vpc_cidr: str,
        subnet_id: str,
        depends_on_gateway: ITerraformDependable,
    ) -> None:
        super().__init__(scope, id_)
        group = SecurityGroup(
            self,
            "security_group",
            name=f"{name}-nat",
            description="NAT instance: HTTPS from the VPC, out to the internet",
            vpc_id=vpc_id,
            tags={"Name": f"{name}-nat"},
        )
        group.override_logical_id("nat")
        for port in FORWARDED_PORTS:
            ingress = VpcSecurityGroupIngressRule(
                self,
                f"from_vpc_{port}",
                security_group_id=group.id,
                description=f"forwarded tcp/{port} from the VPC",
                cidr_ipv4=vpc_cidr,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
            )
            ingress.override_logical_id(f"nat_from_vpc_{port}")
            egress = VpcSecurityGroupEgressRule(
                self,
                f"to_internet_{port}",
                security_group_id=group.id,
                description=f"forwarded tcp/{port} to the internet",
                cidr_ipv4="0.0.0.0/0",
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
            )
            egress.override_logical_id(f"nat_to_internet_{port}")
        self.instance = Instance(
            self,
            "instance",
            ami=config.ami_id,
            instance_type=config.instance_type,
            subnet_id=subnet_id,
            vpc_security_group_ids=[group.id],
            source_dest_check=False,
            associate_public_ip_address=False,
            monitoring=True,
            ebs_optimized=True,
            metadata_options=InstanceMetadataOptions(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
            ),
            # 8 GiB is the AL2023 AMI's root snapshot: stated, so the bill and any drift are explicit
            root_block_device=InstanceRootBlockDevice(
                volume_type="gp3", volume_size=8, encrypted=True, delete_on_termination=True
            ),
            user_data=USER_DATA,
            # a new AMI input replaces the instance on the next apply: the reviewed change that rolls it
            user_data_replace_on_change=True,
            tags={"Name": f"{name}-nat", "Tier": "public"},
        )
        self.instance.override_logical_id("nat")
        eip = Eip(
            self,
            "eip",
            domain="vpc",
            instance=self.instance.id,
            tags={"Name": f"{name}-nat"},
            depends_on=[depends_on_gateway],
        )
        eip.override_logical_id("nat_instance")
