"""Read the v1 network a platform stack runs in (never create or modify it).

The v1 foundation (``tobe-v1-<env>``) owns the VPC and its subnets. A
platform stack finds them with data sources filtered on the v1 tags
(``Project``, ``Environment``, ``Name``, ``Tier``) and the availability zone, so it
synthesizes without the v1 stack in the same process and deploys against
whatever v1 has applied. One lookup per AZ keeps the zone in the
synthesized JSON, which is what the "two AZs" assertions read.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.data_aws_subnet import DataAwsSubnet, DataAwsSubnetFilter
from cdktf_cdktf_provider_aws.data_aws_vpc import DataAwsVpc, DataAwsVpcFilter
from constructs import Construct

from infraforge.constructs.config import az_suffix
from infraforge.platform.config import AVAILABILITY_ZONES, NetworkLookup


class ExistingNetwork(Construct):
    """The v1 VPC and its private-app subnets, one per AZ.

    Outputs: ``vpc_id``, ``vpc_arn``, ``app_subnet_ids`` (ordered as
    ``AVAILABILITY_ZONES``) and ``app_subnets_by_az`` (``{"ap-northeast-2a": subnet}``).
    """

    def __init__(self, scope: Construct, id_: str, *, lookup: NetworkLookup) -> None:
        super().__init__(scope, id_)
        ownership = [
            {"name": "tag:Project", "values": [lookup.project]},
            {"name": "tag:Environment", "values": [lookup.environment]},
            {"name": "tag:Name", "values": [f"{lookup.project}-{lookup.environment}-vpc"]},
        ]
        self.vpc = DataAwsVpc(self, "vpc", filter=[DataAwsVpcFilter(**f) for f in ownership])
        self.vpc.override_logical_id("v1")
        self.app_subnets_by_az: dict[str, DataAwsSubnet] = {}
        for zone in AVAILABILITY_ZONES:
            suffix = az_suffix(zone)
            subnet = DataAwsSubnet(
                self,
                f"app_{suffix}",
                vpc_id=self.vpc.id,
                availability_zone=zone,
                filter=[
                    DataAwsSubnetFilter(name=f"tag:{lookup.tier_tag}", values=[lookup.app_tier]),
                ],
            )
            subnet.override_logical_id(f"app_{suffix}")
            self.app_subnets_by_az[zone] = subnet

    @property
    def vpc_id(self) -> str:
        return str(self.vpc.id)

    @property
    def vpc_arn(self) -> str:
        return str(self.vpc.arn)

    @property
    def app_subnet_ids(self) -> list[str]:
        return [str(subnet.id) for subnet in self.app_subnets_by_az.values()]
