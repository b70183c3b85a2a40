"""The database connection budget: the v1 instances' and the pods' pools at their largest vs the class's limit."""

from __future__ import annotations

import copy

import pytest
from covaex_service.accounts.storage.postgres import POOL_MAX_SIZE

from covaex.analysis.connections import USABLE_SHARE, class_memory_mib, connection_budget, rds_max_connections
from covaex.analysis.errors import FactError
from covaex.docsite.facts.database import connection_budgets
from covaex.docsite.inputs import Inputs, load_data, load_stacks
from covaex.synth import SynthResult
from covaex.topology.tfjson import TerraformDoc


def test_rds_formula_on_the_class_memory() -> None:
    # LEAST(DBInstanceClassMemory/9531392, 5000): 1 GiB -> 112, 2 GiB -> 225
    assert (class_memory_mib("db.t4g.micro"), rds_max_connections(1024)) == (1024, 112)
    assert (class_memory_mib("db.t4g.small"), rds_max_connections(2048)) == (2048, 225)
    assert rds_max_connections(1024 * 1024) == 5000
    with pytest.raises(FactError, match=r"cannot size the database class 'db\.x9\.huge'"):
        class_memory_mib("db.x9.huge")


def test_every_environment_fits_its_database(synthesized: SynthResult) -> None:
    budgets = {b.environment: b for b in connection_budgets(Inputs(load_stacks(synthesized), load_data()))["budgets"]}
    assert set(budgets) == {"dev", "prod"}
    prod = budgets["prod"]
    v1, pods = prod.fleets
    # prod: 6 instances x 2 workers; 9 pods + 1 surge x 1 worker; each worker a pool of POOL_MAX_SIZE
    assert (v1.members, v1.workers, v1.pool) == (6, 2, POOL_MAX_SIZE)
    assert (pods.members, pods.workers) == (10, 1)
    assert prod.db_class == "db.t4g.small" and prod.max_connections == 225
    assert prod.total == (6 * 2 + 10 * 1) * POOL_MAX_SIZE <= prod.limit == int(225 * USABLE_SHARE)
    # the old pool of 10 per worker would not have fitted prod: 220 of 225
    assert prod.limit < (6 * 2 + 10) * 10
    assert budgets["dev"].db_class == "db.t4g.micro" and budgets["dev"].total <= budgets["dev"].limit


def test_a_fleet_past_the_limit_fails_in_one_line(synthesized: SynthResult) -> None:
    inputs = Inputs(load_stacks(synthesized), load_data())
    [prod] = [b for b in connection_budgets(inputs)["budgets"] if b.environment == "prod"]
    raw = copy.deepcopy(dict(inputs.stack("tobe-v1-prod").raw))
    raw["resource"]["aws_autoscaling_group"]["app"]["max_size"] = 20
    bigger = TerraformDoc("tobe-v1-prod", raw)
    from covaex.analysis.connections import v1_fleet

    fleets = (v1_fleet(bigger, POOL_MAX_SIZE), prod.fleets[1])
    with pytest.raises(FactError) as caught:
        connection_budget("prod", bigger, fleets)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("prod: database connection budget exceeded: 20 x 2 x 5 (To-Be v1 instances)")
    assert "more than 180 (80% of max_connections 225 of db.t4g.small)" in message
