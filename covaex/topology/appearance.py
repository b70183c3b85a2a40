"""How one resource looks in a diagram: icon, label, whether it is drawn at all.

`layout` decides where things go; this module decides what each thing looks
like. Icons are dotted paths into the diagrams library (``aws.network.ALB``),
resolved only by `render`. Labels wrap by display width, so Hangul (two
columns a character) does not overflow the node.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

from covaex.topology.entities import Node, Topology
from covaex.topology.tfjson import literal, references

ICONS: Mapping[str, str] = {
    "internet": "onprem.client.Users",
    "aws_internet_gateway": "aws.network.InternetGateway",
    "aws_nat_gateway": "aws.network.NATGateway",
    "aws_lb": "aws.network.ALB",
    "aws_alb": "aws.network.ALB",
    "aws_elb": "aws.network.CLB",
    "aws_autoscaling_group": "aws.compute.EC2AutoScaling",
    "aws_instance": "aws.compute.EC2Instance",
    "aws_eks_cluster": "aws.compute.EKS",
    "aws_eks_node_group": "aws.compute.EC2Instances",
    "aws_ecs_service": "aws.compute.ElasticContainerServiceService",
    "aws_db_instance": "aws.database.RDSInstance",
    "aws_rds_cluster": "aws.database.Aurora",
    "aws_elasticache_replication_group": "aws.database.ElasticacheForRedis",
    "aws_elasticache_cluster": "aws.database.ElasticacheForRedis",
    "aws_vpn_gateway": "aws.network.VpnGateway",
    "aws_customer_gateway": "aws.network.VPCCustomerGateway",
    "aws_ec2_transit_gateway": "aws.network.TransitGateway",
    "aws_s3_bucket": "aws.storage.SimpleStorageServiceS3Bucket",
    "aws_dynamodb_table": "aws.database.DynamodbTable",
    "aws_ecr_repository": "aws.compute.ECR",
    "helm_release": "k8s.ecosystem.Helm",
    "onprem_uplink": "generic.network.Router",
    "onprem_firewall": "generic.network.Firewall",
    "onprem_server": "onprem.compute.Server",
    "onprem_database": "onprem.database.Postgresql",
    "onprem_cache": "onprem.inmemory.Redis",
    "onprem_operator": "onprem.client.User",
    "onprem_storage": "generic.storage.Storage",
}
GENERIC_AWS_ICON = "aws.general.General"
GENERIC_ICON = "generic.compute.Rack"
KIND_LABELS: Mapping[str, str] = {
    "internet": "",
    "aws_internet_gateway": "IGW",
    "aws_nat_gateway": "NAT",
    "aws_lb": "ALB",
    "aws_autoscaling_group": "ASG",
    "aws_instance": "EC2",
    "aws_eks_cluster": "EKS",
    "aws_eks_node_group": "node group",
    "aws_db_instance": "RDS",
    "aws_rds_cluster": "Aurora",
    "aws_elasticache_replication_group": "ElastiCache",
    "aws_elasticache_cluster": "ElastiCache",
    "aws_vpn_gateway": "VGW",
    "aws_customer_gateway": "CGW",
    "aws_ec2_transit_gateway": "TGW",
    "aws_s3_bucket": "S3",
    "aws_dynamodb_table": "DynamoDB",
    "aws_ecr_repository": "ECR",
    "helm_release": "Helm",
}
_NOT_DRAWN = re.compile(
    r"association|subnet_group|route|security_group|network_interface|_eip$|^aws_subnet$|attachment"
)


def is_drawn(node: Node, origin: str = "terraform") -> bool:
    """Architecture is drawn; plumbing (IAM, alarms, associations, rules) is not. As-Is draws everything."""
    if node.is_data:
        return False
    if node.kind in ICONS or origin == "asis":
        return True
    return node.kind.startswith("aws_") and bool(node.subnets) and not _NOT_DRAWN.search(node.kind)


def icon_for(node: Node) -> str:
    if node.kind == "aws_lb" and literal(node.attrs.get("load_balancer_type")) == "network":
        return "aws.network.NLB"
    if node.kind == "aws_db_instance" and "postgres" in str(node.attrs.get("engine", "")):
        return "aws.database.RDSPostgresqlInstance"
    return ICONS.get(node.kind) or (GENERIC_AWS_ICON if node.kind.startswith("aws_") else GENERIC_ICON)


def copy_role(node: Node, index: int) -> str:
    """What one per-AZ copy of a multi-AZ resource is."""
    if node.kind in ("aws_db_instance", "aws_rds_cluster"):
        return "기본 primary" if index == 0 else "대기 standby"
    if node.kind.startswith("aws_elasticache"):
        return "기본 primary" if index == 0 else "복제본 replica"
    return ""


def node_label(node: Node, topology: Topology, copy: str, spans: Sequence[str]) -> str:
    """Kind and name, the role of this per-AZ copy, the AZs spanned, on-prem facts for a gateway."""
    if topology.origin == "asis" or node.kind == "internet":
        head = node.label
    else:
        kind = KIND_LABELS.get(node.kind, node.kind.removeprefix("aws_"))
        head = f"{kind} {node.name}" if kind else node.name
    lines = wrap(head)
    if copy:
        lines.append(f"({copy})")
    if spans:
        lines.append("AZ " + " + ".join(a.rsplit("-", 1)[-1] for a in spans))
    if node.kind == "aws_customer_gateway":
        lines += _onprem_side(node, topology)
    return "\n".join(lines)


def _onprem_side(gateway: Node, topology: Topology) -> list[str]:
    """The device address and the on-prem CIDRs routed to it: what the hybrid view is about."""
    lines = [ip] if (ip := literal(gateway.attrs.get("ip_address"))) else []
    connections = frozenset(via for e in topology.edges_of("vpn") if e.target == gateway.address for via in e.via)
    for route in topology.of_kind("aws_vpn_connection_route"):
        cidr = literal(route.attrs.get("destination_cidr_block"))
        if cidr and references(route.attrs.get("vpn_connection_id"), connections):
            lines.append(f"-> {cidr}")
    return lines


def display_width(text: str) -> int:
    """Columns the text takes: Hangul and other wide characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def wrap(text: str, width: int = 16) -> list[str]:
    """Break a label at spaces so that no line is much wider than a node icon."""
    lines: list[str] = []
    words = [piece for word in text.split(" ") for piece in _split_long(word, width)]
    for word in words:
        if lines and display_width(lines[-1]) + 1 + display_width(word) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _split_long(word: str, width: int) -> list[str]:
    """A word wider than a line, cut after underscores (``kube_prometheus_`` / ``stack``)."""
    if display_width(word) <= width or "_" not in word:
        return [word]
    pieces: list[str] = [""]
    for part in word.split("_"):
        if pieces[-1] and display_width(pieces[-1]) + display_width(part) + 1 > width:
            pieces.append("")
        pieces[-1] += part + "_"
    pieces[-1] = pieces[-1].removesuffix("_")
    return pieces
