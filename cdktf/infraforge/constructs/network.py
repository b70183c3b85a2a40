"""Network: a two-AZ VPC with public, private-app and private-data tiers.

CIDR plan (per environment, from :class:`~infraforge.constructs.config.NetworkConfig`): the VPC is a /16;
each tier gets one subnet per AZ, carved from the VPC range so the plan is
written once and checked at synth time (inside the VPC, no overlaps):

======== ============ ===================================================
tier     size         routes
======== ============ ===================================================
public   /24 per AZ   0.0.0.0/0 -> internet gateway (ALB, NAT gateways)
app      /20 per AZ   0.0.0.0/0 -> NAT (own AZ's NAT in prod, the one NAT in dev)
data     /24 per AZ   local only (+ on-prem via the VPN gateway when enabled)
======== ============ ===================================================

The app tier is the largest because it will also hold EKS pods (platform v2).
Data subnets have no route to the internet at all.

Cost trade-off: ``nat_instance`` (dev) replaces the NAT gateways with one
Graviton NAT instance (:mod:`infraforge.constructs.nat_instance`) in the
first AZ, about a tenth of a NAT gateway's price. ``single_nat=True`` runs one
NAT gateway in the first AZ that both app subnets use; that saves one NAT gateway (~US$ 43/month in
Seoul plus data processing) and makes the NAT a single point of failure
for the app tier's outbound traffic, which dev accepts and prod does not.

VPC flow logs go to a CloudWatch log group; their traffic type (all flows or
the refused ones), aggregation interval and retention come from the
environment's profile, and the cost page prices their volume from the same
settings read back from the synthesized flow log (``covaex.analysis.cost``). The
default security group is adopted and emptied so nothing can use it by
accident.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from constructs import Construct

from infraforge.constructs.config import TIERS, NetworkConfig, az_suffix
from infraforge.constructs.iam import policy_document, service_trust_policy
from infraforge.constructs.nat_instance import NatInstance


class Network(Construct):
    """VPC, subnets per tier and AZ, internet gateway, NAT, route tables, flow logs.

    Outputs: :attr:`vpc`, :attr:`subnets` (tier -> AZ suffix -> subnet),
    :attr:`private_route_tables` (for VPN route propagation),
    :attr:`nat_gateways` (AZ suffix -> NAT, empty with a NAT instance), :attr:`nat_instance`.
    """

    def __init__(self, scope: Construct, id_: str, config: NetworkConfig, *, kms_key_arn: str | None = None) -> None:
        super().__init__(scope, id_)
        self.config = config
        self._kms_key_arn = kms_key_arn
        self.vpc = Vpc(
            self,
            "vpc",
            cidr_block=config.vpc_cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": f"{config.name}-vpc"},
        )
        self.vpc.override_logical_id("vpc")

        self.subnets: dict[str, dict[str, Subnet]] = {tier: {} for tier in TIERS}
        for tier, cidrs in config.subnet_plan.items():
            for az, cidr in zip(config.availability_zones, cidrs, strict=True):
                sfx = az_suffix(az)
                subnet = Subnet(
                    self,
                    f"{tier}_{sfx}",
                    vpc_id=self.vpc.id,
                    cidr_block=cidr,
                    availability_zone=az,
                    # Public subnets hold only the ALB and NAT, which get their
                    # addresses explicitly; nothing gets a public IP by default.
                    map_public_ip_on_launch=False,
                    tags={"Name": f"{config.name}-{tier}-{sfx}", "Tier": tier},
                )
                subnet.override_logical_id(f"{tier}_{sfx}")
                self.subnets[tier][sfx] = subnet

        self.internet_gateway = InternetGateway(self, "igw", vpc_id=self.vpc.id, tags={"Name": f"{config.name}-igw"})
        self.internet_gateway.override_logical_id("igw")

        self._lock_default_security_group()
        self._public_routes()
        self.nat_instance: NatInstance | None = None
        if config.nat_instance is not None:
            self.nat_instance = NatInstance(
                self,
                "nat_instance",
                config.nat_instance,
                name=config.name,
                vpc_id=self.vpc.id,
                vpc_cidr=config.vpc_cidr,
                subnet_id=self.subnets["public"][self.suffixes[0]].id,
                depends_on_gateway=self.internet_gateway,
            )
            self.nat_gateways: dict[str, NatGateway] = {}
        else:
            self.nat_gateways = self._nat_gateways()
        self.private_route_tables = self._private_routes()
        self.s3_endpoint = self._s3_gateway_endpoint()
        self._flow_logs()

    @property
    def suffixes(self) -> tuple[str, ...]:
        return tuple(az_suffix(az) for az in self.config.availability_zones)

    def subnet_ids(self, tier: str) -> list[str]:
        """Ids of the tier's subnets, in AZ order."""
        return [self.subnets[tier][sfx].id for sfx in self.suffixes]

    def _lock_default_security_group(self) -> None:
        # Adopting the default SG with no rules removes its allow-all rules.
        default_sg = DefaultSecurityGroup(
            self, "default_sg", vpc_id=self.vpc.id, tags={"Name": f"{self.config.name}-default-locked"}
        )
        default_sg.override_logical_id("default")

    def _public_routes(self) -> None:
        table = RouteTable(
            self, "rt_public", vpc_id=self.vpc.id, tags={"Name": f"{self.config.name}-public", "Tier": "public"}
        )
        table.override_logical_id("public")
        route = Route(
            self,
            "route_public_internet",
            route_table_id=table.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=self.internet_gateway.id,
        )
        route.override_logical_id("public_internet")
        for sfx in self.suffixes:
            assoc = RouteTableAssociation(
                self, f"rta_public_{sfx}", route_table_id=table.id, subnet_id=self.subnets["public"][sfx].id
            )
            assoc.override_logical_id(f"public_{sfx}")

    def _nat_gateways(self) -> dict[str, NatGateway]:
        nat_suffixes = self.suffixes[:1] if self.config.single_nat else self.suffixes
        nats: dict[str, NatGateway] = {}
        for sfx in nat_suffixes:
            eip = Eip(
                self,
                f"eip_nat_{sfx}",
                domain="vpc",
                tags={"Name": f"{self.config.name}-nat-{sfx}"},
                depends_on=[self.internet_gateway],
            )
            eip.override_logical_id(f"nat_{sfx}")
            nat = NatGateway(
                self,
                f"nat_{sfx}",
                allocation_id=eip.allocation_id,
                subnet_id=self.subnets["public"][sfx].id,
                tags={"Name": f"{self.config.name}-nat-{sfx}"},
                depends_on=[self.internet_gateway],
            )
            nat.override_logical_id(f"nat_{sfx}")
            nats[sfx] = nat
        return nats

    def _private_routes(self) -> list[RouteTable]:
        tables: list[RouteTable] = []
        first_nat = next(iter(self.nat_gateways.values()), None)
        for sfx in self.suffixes:
            table = RouteTable(
                self, f"rt_app_{sfx}", vpc_id=self.vpc.id, tags={"Name": f"{self.config.name}-app-{sfx}", "Tier": "app"}
            )
            table.override_logical_id(f"app_{sfx}")
            target = (
                {"network_interface_id": self.nat_instance.instance.primary_network_interface_id}
                if self.nat_instance is not None
                else {"nat_gateway_id": self.nat_gateways.get(sfx, first_nat).id}  # type: ignore[union-attr]
            )
            route = Route(
                self,
                f"route_app_{sfx}_nat",
                route_table_id=table.id,
                destination_cidr_block="0.0.0.0/0",
                **target,
            )
            route.override_logical_id(f"app_{sfx}_nat")
            assoc = RouteTableAssociation(
                self, f"rta_app_{sfx}", route_table_id=table.id, subnet_id=self.subnets["app"][sfx].id
            )
            assoc.override_logical_id(f"app_{sfx}")
            tables.append(table)
        data_table = RouteTable(
            self, "rt_data", vpc_id=self.vpc.id, tags={"Name": f"{self.config.name}-data", "Tier": "data"}
        )
        data_table.override_logical_id("data")
        for sfx in self.suffixes:
            assoc = RouteTableAssociation(
                self, f"rta_data_{sfx}", route_table_id=data_table.id, subnet_id=self.subnets["data"][sfx].id
            )
            assoc.override_logical_id(f"data_{sfx}")
        tables.append(data_table)
        return tables

    def _s3_gateway_endpoint(self) -> VpcEndpoint:
        """S3 through a gateway endpoint (no charge): the artifact download, ECR's image layers (stored in S3)
        and the ALB's log delivery from the private subnets never pay NAT processing (~$0.059/GB)."""
        region = self.config.availability_zones[0][:-1]
        endpoint = VpcEndpoint(
            self,
            "s3_endpoint",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[table.id for table in self.private_route_tables],
            tags={"Name": f"{self.config.name}-s3"},
        )
        endpoint.override_logical_id("s3")
        return endpoint

    def _flow_logs(self) -> None:
        name = self.config.name
        log_group = CloudwatchLogGroup(
            self,
            "flow_logs_group",
            name=f"/covaex/{name}/vpc-flow-logs",
            retention_in_days=self.config.flow_log_retention_days,
            kms_key_id=self._kms_key_arn,
        )
        log_group.override_logical_id("flow_logs")
        role = IamRole(
            self,
            "flow_logs_role",
            name=f"{name}-vpc-flow-logs",
            assume_role_policy=service_trust_policy("vpc-flow-logs.amazonaws.com"),
        )
        role.override_logical_id("flow_logs")
        policy = IamRolePolicy(
            self,
            "flow_logs_policy",
            name="write-flow-logs",
            role=role.id,
            policy=policy_document(
                {
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    "Resource": [f"{log_group.arn}:*"],
                }
            ),
        )
        policy.override_logical_id("flow_logs")
        flow_log = FlowLog(
            self,
            "flow_log",
            vpc_id=self.vpc.id,
            traffic_type=self.config.flow_log_traffic_type,
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=self.config.flow_log_aggregation_seconds,
            tags={"Name": f"{name}-vpc-flow-log"},
        )
        flow_log.override_logical_id("vpc")
        self.flow_log_group = log_group
