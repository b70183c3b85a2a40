"""App tier: hardened launch template, ASG across both app subnets with ELB checks, scaling, refresh, boot script."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from infraforge.constructs.config import AppTierConfig
from infraforge.constructs.user_data import ServiceBoot, render_user_data
from infraforge.instance_types import BURSTABLE

from tests.infra.stack_json import Json, resource

BASE64_CALL = re.compile(r'^\$\{base64encode\("(?P<body>.*)"\)\}$', re.DOTALL)


def boot_script(stack: Json) -> str:
    """The user data as the instance will run it (Terraform references left in place)."""
    raw = resource(stack, "aws_launch_template.app")["user_data"]
    match = BASE64_CALL.match(raw)
    assert match, "user data is base64encode(<script>)"
    script: str = json.loads(f'"{match.group("body")}"')
    return script


def test_launch_template_is_hardened(prod: Json) -> None:
    template = resource(prod, "aws_launch_template.app")
    assert template["metadata_options"]["http_tokens"] == "required"
    assert template["metadata_options"]["http_put_response_hop_limit"] == 1
    [root] = template["block_device_mappings"]
    assert root["ebs"]["encrypted"] == "true"
    assert template["iam_instance_profile"]["arn"] == "${aws_iam_instance_profile.app.arn}"
    assert template["vpc_security_group_ids"] == ["${aws_security_group.app.id}"]
    assert "key_name" not in template, "no SSH key: Session Manager only"


def test_group_spans_both_app_subnets_with_elb_health_checks(prod: Json) -> None:
    group = resource(prod, "aws_autoscaling_group.app")
    assert group["vpc_zone_identifier"] == ["${aws_subnet.app_a.id}", "${aws_subnet.app_c.id}"]
    assert group["health_check_type"] == "ELB"
    assert group["target_group_arns"] == ["${aws_lb_target_group.app.arn}"]
    assert group["instance_refresh"]["strategy"] == "Rolling"
    assert group["launch_template"]["version"] == "${tostring(aws_launch_template.app.latest_version)}"
    tags = {t["key"]: t["value"] for t in group["tag"]}
    assert tags["Project"] == "covaex" and tags["Environment"] == "prod"


def test_sizes_per_environment(dev: Json, prod: Json) -> None:
    prod_group = resource(prod, "aws_autoscaling_group.app")
    assert prod_group["min_size"] >= 2
    assert prod_group["max_size"] > prod_group["min_size"]
    dev_group = resource(dev, "aws_autoscaling_group.app")
    assert dev_group["min_size"] < prod_group["min_size"]


def test_target_tracking_scaling(prod: Json) -> None:
    policy = resource(prod, "aws_autoscaling_policy.app_cpu")
    assert policy["policy_type"] == "TargetTrackingScaling"
    spec = policy["target_tracking_configuration"]
    assert spec["predefined_metric_specification"]["predefined_metric_type"] == "ASGAverageCPUUtilization"
    # t4g.small earns credits at 20 % per vCPU: a higher target runs on paid surplus credits (unlimited mode)
    lt = resource(prod, "aws_launch_template.app")
    assert spec["target_value"] == BURSTABLE[lt["instance_type"]].baseline_percent == 20


def test_a_burstable_type_refuses_a_target_above_its_baseline() -> None:
    sizes = {"name": "t", "ami_id": "ami-0123456789abcdef0", "min_size": 1, "max_size": 2, "desired_capacity": 1}
    with pytest.raises(ValueError, match=r"cpu_target_percent 50 is above the 20% CPU baseline of t4g.small"):
        AppTierConfig(instance_type="t4g.small", cpu_target_percent=50, **sizes)  # type: ignore[arg-type]
    assert AppTierConfig(instance_type="t4g.small", **sizes).cpu_target_percent == 20  # type: ignore[arg-type]
    # a fixed-performance type may run hotter
    assert AppTierConfig(instance_type="m7g.medium", **sizes).cpu_target_percent == 50  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"t4g\.9xlarge is burstable but its CPU baseline is not in"):
        AppTierConfig(instance_type="t4g.9xlarge", **sizes)  # type: ignore[arg-type]


def test_boot_script_starts_the_service_against_rds_and_elasticache(prod: Json) -> None:
    script = boot_script(prod)
    assert "covaex serve" in script
    assert "COVAEX_DATABASE_URL=postgresql://$db_user:$db_pass@${aws_db_instance.postgres.address}:5432/" in script
    assert "COVAEX_REDIS_URL=rediss://${aws_elasticache_replication_group.redis.primary_endpoint_address}" in script
    assert "${aws_db_instance.postgres.master_user_secret[0].secret_arn}" in script
    assert "COVAEX_ENV=prod" in script
    # Behind the ALB: the login rate limit must see the client, not the load balancer.
    assert "COVAEX_PROXIES_COUNT=1" in script
    # Only secret ARNs reach the script; values are read at boot.
    assert "password" not in script.replace("jq -r '.password|@uri'", "").replace("generated password", "")


def _boot(**overrides: object) -> ServiceBoot:
    values: dict[str, object] = {
        "environment": "dev",
        "region": "ap-northeast-2",
        "artifact_bucket": "artifacts",
        "app_version": "1.2.3",
        "app_port": 8000,
        "workers": 2,
        "db_host": "db",
        "db_port": 5432,
        "db_name": "covaex",
        "db_secret_arn": "arn:db",
        "session_secret_arn": "arn:key",
        "redis_host": "redis",
        "redis_port": 6379,
    }
    return ServiceBoot(**{**values, **overrides})  # type: ignore[arg-type]


def test_render_refuses_values_that_would_break_out_of_the_script() -> None:
    assert "artifact=s3://artifacts/covaex/1.2.3" in render_user_data(
        _boot(), log_group="/g", agent_config_parameter="p"
    )
    with pytest.raises(ValueError, match="APP_VERSION"):
        render_user_data(_boot(app_version='1"; rm -rf /'), log_group="/g", agent_config_parameter="p")


def test_boot_installs_the_pinned_release_offline_never_a_branch(prod: Json) -> None:
    script = boot_script(prod)
    assert "git" not in script.split(), "no clone, no git package"
    assert "artifact=s3://covaex-infraforge-artifacts/covaex/0.1.0" in script
    assert "--no-index --find-links $release/wheels --require-hashes -r $release/service.lock" in script
    # The one distribution-specific line is marked, so the boot drill can swap exactly that line.
    assert sum(line.endswith("# distro-packages") for line in script.splitlines()) == 1


def test_unit_loads_the_env_file_only_after_the_helper_wrote_it(prod: Json) -> None:
    unit = boot_script(prod).split("<<'UNIT'", 1)[1].split("UNIT\n", 1)[0]
    # systemd reads EnvironmentFile= before every command, ExecStartPre included (tests/boot proves it).
    assert "EnvironmentFile=-/run/covaex/env" in unit
    assert "ExecStartPre=+/usr/local/sbin/covaex-env" in unit
    assert "Restart=always" in unit and "StartLimitIntervalSec=0" in unit


def test_unit_grants_the_open_files_the_service_raises_its_limit_to(prod: Json) -> None:
    """Each WebSocket client is a descriptor; serve raises its soft limit to the unit's hard one (issue 26)."""
    from covaex_service.server import OPEN_FILES_WANTED

    unit = boot_script(prod).split("<<'UNIT'", 1)[1].split("UNIT\n", 1)[0]
    assert f"LimitNOFILE={OPEN_FILES_WANTED}\n" in unit


def test_config_refuses_inconsistent_sizes() -> None:
    with pytest.raises(ValueError, match="min_size"):
        AppTierConfig(
            name="t",
            instance_type="t4g.small",
            ami_id="ami-0123456789abcdef0",
            min_size=3,
            max_size=2,
            desired_capacity=2,
        )
    with pytest.raises(ValueError, match="cpu_target"):
        AppTierConfig(
            name="t",
            instance_type="t4g.small",
            ami_id="ami-0123456789abcdef0",
            min_size=1,
            max_size=2,
            desired_capacity=1,
            cpu_target_percent=99,
        )


def test_rendered_boot_script_is_valid_bash(tmp_path: Path) -> None:
    script = tmp_path / "user-data.sh"
    script.write_text(render_user_data(_boot(), log_group="/covaex/t/app", agent_config_parameter="AmazonCloudWatch-t"))
    proc = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_apply_does_not_undo_scaling(prod: Json) -> None:
    group = resource(prod, "aws_autoscaling_group.app")
    assert group["lifecycle"]["ignore_changes"] == ["desired_capacity"]
