"""PostgreSQL: Multi-AZ in prod, backups, windows, encryption, protection, managed password, logs."""

from __future__ import annotations

import pytest
from infraforge.constructs.config import DatabaseConfig

from tests.infra.stack_json import Json, resource


def test_prod_is_multi_az_and_dev_single_az(dev: Json, prod: Json) -> None:
    assert resource(prod, "aws_db_instance.postgres")["multi_az"] is True
    assert resource(dev, "aws_db_instance.postgres")["multi_az"] is False


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_backups_encryption_and_secrets(env: str, stacks: dict[str, Json]) -> None:
    db = resource(stacks[f"tobe-v1-{env}"], "aws_db_instance.postgres")
    assert db["backup_retention_period"] >= 7
    assert db["backup_window"] == "17:00-18:00"
    assert db["maintenance_window"] == "sun:18:30-sun:19:30"
    assert db["storage_encrypted"] is True
    assert db["manage_master_user_password"] is True
    assert "password" not in db
    # dev keeps no final snapshot (tests/infra/test_destroy.py); prod's is named per instance.
    assert db["skip_final_snapshot"] is (env == "dev")
    assert db["publicly_accessible"] is False
    assert set(db["enabled_cloudwatch_logs_exports"]) == {"postgresql", "upgrade"}
    assert db["db_subnet_group_name"] == "${aws_db_subnet_group.postgres.name}"
    assert db["parameter_group_name"] == "${aws_db_parameter_group.postgres.name}"


def test_prod_is_protected_from_deletion(prod: Json) -> None:
    assert resource(prod, "aws_db_instance.postgres")["deletion_protection"] is True
    assert resource(prod, "aws_db_instance.postgres")["backup_retention_period"] >= 14


def test_parameter_group_forces_tls_and_logs_slow_statements(prod: Json) -> None:
    parameters = {p["name"]: p["value"] for p in resource(prod, "aws_db_parameter_group.postgres")["parameter"]}
    assert parameters["rds.force_ssl"] == "1"
    assert int(parameters["log_min_duration_statement"]) > 0


def test_subnet_group_uses_the_data_tier(prod: Json) -> None:
    group = resource(prod, "aws_db_subnet_group.postgres")
    assert group["subnet_ids"] == ["${aws_subnet.data_a.id}", "${aws_subnet.data_c.id}"]


def test_config_refuses_short_retention() -> None:
    with pytest.raises(ValueError, match="backup_retention_days"):
        DatabaseConfig(
            name="t", instance_class="db.t4g.micro", multi_az=False, deletion_protection=False, backup_retention_days=3
        )
