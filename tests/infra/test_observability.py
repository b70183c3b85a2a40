"""Alarms: every tier watched, each alarm tagged with its runbook slug and notifying the SNS topic."""

from __future__ import annotations

import pytest
from infraforge.constructs.config import OPTIONAL_SLUGS, RUNBOOK_SLUGS

from tests.infra.stack_json import Json, resources


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_every_runbook_slug_has_an_alarm(env: str, stacks: dict[str, Json]) -> None:
    alarms = resources(stacks[f"tobe-v1-{env}"], "aws_cloudwatch_metric_alarm")
    slugs = {alarm["tags"]["Runbook"] for alarm in alarms.values()}
    # dev has no VPN unless asked, so no tunnel alarm either
    expected = set(RUNBOOK_SLUGS) - (set(OPTIONAL_SLUGS) if env == "dev" else set())
    assert slugs == expected


def test_alarms_carry_the_slug_in_the_description_and_notify_the_topic(prod: Json) -> None:
    for name, alarm in resources(prod, "aws_cloudwatch_metric_alarm").items():
        slug = alarm["tags"]["Runbook"]
        assert alarm["alarm_description"].endswith(f"Runbook: {slug}"), name
        assert alarm["alarm_actions"] == ["${aws_sns_topic.alarms.arn}"], name
        assert name.startswith(slug.replace("-", "_")), name


def test_alarms_watch_the_right_resources(prod: Json) -> None:
    alarms = resources(prod, "aws_cloudwatch_metric_alarm")
    assert alarms["alb_5xx"]["dimensions"] == {"LoadBalancer": "${aws_lb.alb.arn_suffix}"}
    assert alarms["alb_target_latency"]["extended_statistic"] == "p95"
    assert alarms["asg_capacity"]["threshold"] == 2
    assert alarms["asg_capacity"]["dimensions"] == {"AutoScalingGroupName": "${aws_autoscaling_group.app.name}"}
    assert alarms["rds_cpu"]["dimensions"] == {"DBInstanceIdentifier": "${aws_db_instance.postgres.identifier}"}
    members = {a["dimensions"]["CacheClusterId"] for n, a in alarms.items() if n.startswith("redis_memory")}
    assert members == {"covaex-prod-redis-001", "covaex-prod-redis-002"}


def test_alarm_topic_is_encrypted_with_a_key_cloudwatch_may_use(prod: Json) -> None:
    # With the AWS-managed aws/sns key, CloudWatch could not publish the alarms.
    assert resources(prod, "aws_sns_topic")["alarms"]["kms_master_key_id"] == "${aws_kms_key.main.arn}"
