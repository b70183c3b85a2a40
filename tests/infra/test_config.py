"""Environments as configs, not copies of code."""

from __future__ import annotations

import pytest
from infraforge.config import environment_config
from infraforge.inputs import read_inputs


def test_environments_differ_only_by_config() -> None:
    dev = environment_config("dev", read_inputs("dev", {}))
    prod = environment_config("prod", read_inputs("prod", {"INFRAFORGE_PROD_ALARM_OPT_OUT": "true"}))
    assert dev.network.single_nat and not prod.network.single_nat
    assert not dev.database.multi_az and prod.database.multi_az
    assert dev.network.vpc_cidr != prod.network.vpc_cidr
    with pytest.raises(ValueError, match=r"environment must be one of \('dev', 'prod'\), got 'staging'"):
        environment_config("staging", read_inputs("dev", {}))
