"""Environments as configs: dev's fixed monthly floor is below prod's, for the documented reasons."""

from __future__ import annotations

import pytest
from infraforge.config import environment_config
from infraforge.costs import UnpricedResourceError, monthly_floor, monthly_floor_total
from infraforge.inputs import read_inputs

from .conftest import Json


def test_dev_floor_is_lower_than_prod(dev: Json, prod: Json) -> None:
    assert monthly_floor_total(dev) < monthly_floor_total(prod)


def test_the_difference_is_nat_database_cache_and_instances(dev: Json, prod: Json) -> None:
    dev_items, prod_items = monthly_floor(dev), monthly_floor(prod)
    cheaper = {item for item in prod_items if dev_items.get(item, 0) < prod_items[item]}
    assert {"NAT gateways", "PostgreSQL", "Redis", "app instances"} <= cheaper
    assert prod_items["NAT gateways"] == pytest.approx(2 * dev_items["NAT gateways"])
    assert dev_items["ALB"] == prod_items["ALB"]


def test_unknown_sizes_are_refused_not_priced_as_zero(dev: Json) -> None:
    broken = {
        "resource": {
            "aws_db_instance": {
                "postgres": {**dev["resource"]["aws_db_instance"]["postgres"], "instance_class": "db.x9.huge"}
            }
        }
    }
    with pytest.raises(UnpricedResourceError, match=r"db\.x9\.huge"):
        monthly_floor(broken)


def test_environments_differ_only_by_config() -> None:
    dev = environment_config("dev", read_inputs("dev", {}))
    prod = environment_config("prod", read_inputs("prod", {}))
    assert dev.network.single_nat and not prod.network.single_nat
    assert not dev.database.multi_az and prod.database.multi_az
    assert dev.network.vpc_cidr != prod.network.vpc_cidr
    with pytest.raises(ValueError, match="environment"):
        environment_config("staging", read_inputs("dev", {}))
