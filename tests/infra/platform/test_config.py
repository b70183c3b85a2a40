"""Platform configuration: sizing guards, safe defaults, deploy-time CIDRs."""

from __future__ import annotations

import pytest
from infraforge.platform.config import (
    ADMIN_CIDR_PLACEHOLDER,
    PLATFORM_DEV,
    PLATFORM_PROD,
    ClusterConfig,
    NodeGroupConfig,
    public_access_cidrs,
)


def test_node_group_keeps_one_node_per_az() -> None:
    with pytest.raises(ValueError, match="one node per AZ"):
        NodeGroupConfig(
            name="x", instance_types=("t3.large",), capacity_type="SPOT", min_size=1, desired_size=1, max_size=2
        )
    with pytest.raises(ValueError, match="min <= desired <= max"):
        NodeGroupConfig(
            name="x", instance_types=("t3.large",), capacity_type="SPOT", min_size=2, desired_size=4, max_size=3
        )


def test_public_endpoint_is_never_open_to_everyone() -> None:
    with pytest.raises(ValueError, match="whole internet"):
        ClusterConfig(name="x", public_access_cidrs=("0.0.0.0/0",))
    with pytest.raises(ValueError, match="not a CIDR"):
        ClusterConfig(name="x", public_access_cidrs=("203.0.113.5/24",))  # host bits set
    with pytest.raises(ValueError, match="must not be empty"):
        ClusterConfig(name="x", public_access_cidrs=())
    assert PLATFORM_DEV.cluster.public_access_cidrs == (ADMIN_CIDR_PLACEHOLDER,)


def test_deploy_time_cidrs_replace_the_placeholder() -> None:
    environ = {"INFRAFORGE_PROD_EKS_PUBLIC_CIDRS": "198.51.100.7/32, 192.0.2.0/28"}
    cidrs = public_access_cidrs("prod", environ)
    assert cidrs == ("198.51.100.7/32", "192.0.2.0/28")
    assert PLATFORM_PROD.with_public_access_cidrs(cidrs).cluster.public_access_cidrs == cidrs
    # per-environment first, then shared, then cdktf context
    assert public_access_cidrs("dev", environ) is None
    assert public_access_cidrs("dev", {"INFRAFORGE_EKS_PUBLIC_CIDRS": "192.0.2.1/32"}) == ("192.0.2.1/32",)
    context = {"dev.eks_public_cidrs": "198.51.100.0/24"}.get
    assert public_access_cidrs("dev", {}, context) == ("198.51.100.0/24",)


def test_service_account_matches_deploy_manifests() -> None:
    assert PLATFORM_DEV.service_account.subject == "system:serviceaccount:covaex-dev:covaex"
    assert PLATFORM_PROD.service_account.subject == "system:serviceaccount:covaex-prod:covaex"
