"""ALB: HTTP->HTTPS redirect, modern TLS, /healthz liveness check, WebSocket-friendly settings, prod protection."""

from __future__ import annotations

import json

import pytest
from infraforge.constructs.config import TLS_POLICY, AlbConfig
from infraforge.inputs import DEFAULTS

from tests.infra.stack_json import Json, resource


def test_http_redirects_to_https(prod: Json) -> None:
    http = resource(prod, "aws_lb_listener.http")
    assert http["port"] == 80
    [action] = http["default_action"]
    assert action["type"] == "redirect"
    assert action["redirect"] == {"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"}


def test_https_listener_uses_modern_tls_and_the_configured_certificate(prod: Json) -> None:
    https = resource(prod, "aws_lb_listener.https")
    assert https["protocol"] == "HTTPS"
    assert https["ssl_policy"] == TLS_POLICY
    assert "TLS13" in TLS_POLICY
    assert https["certificate_arn"] == DEFAULTS["acm_certificate_arn"]
    assert https["default_action"][0]["target_group_arn"] == "${aws_lb_target_group.app.arn}"


def test_target_group_checks_liveness_and_suits_websockets(prod: Json) -> None:
    group = resource(prod, "aws_lb_target_group.app")
    # Liveness, not readiness: a shared Redis outage must not take every target out (issue 12).
    assert group["health_check"]["path"] == "/healthz"
    assert group["health_check"]["matcher"] == "200"
    assert group["stickiness"]["enabled"] is True
    assert group["stickiness"]["type"] == "lb_cookie"
    assert int(group["deregistration_delay"]) >= 60
    assert resource(prod, "aws_lb.alb")["idle_timeout"] >= 3600


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_alb_spans_both_public_subnets_and_drops_invalid_headers(env: str, stacks: dict[str, Json]) -> None:
    lb = resource(stacks[f"tobe-v1-{env}"], "aws_lb.alb")
    assert lb["subnets"] == ["${aws_subnet.public_a.id}", "${aws_subnet.public_c.id}"]
    assert lb["drop_invalid_header_fields"] is True
    assert lb["internal"] is False
    assert lb["access_logs"]["enabled"] is True
    assert lb["access_logs"]["bucket"] == "${aws_s3_bucket.alb_logs.bucket}"


def test_prod_has_deletion_protection_and_dev_does_not(dev: Json, prod: Json) -> None:
    assert resource(prod, "aws_lb.alb")["enable_deletion_protection"] is True
    assert resource(dev, "aws_lb.alb")["enable_deletion_protection"] is False


def test_access_log_bucket_lets_only_elb_log_delivery_write(prod: Json) -> None:
    policy = json.loads(resource(prod, "aws_s3_bucket_policy.alb_logs")["policy"])
    delivery = [s for s in policy["Statement"] if s.get("Sid") == "AlbLogDelivery"]
    assert delivery[0]["Principal"] == {"AWS": "arn:aws:iam::600734575887:root"}
    assert delivery[0]["Action"] == ["s3:PutObject"]
    block = resource(prod, "aws_s3_bucket_public_access_block.alb_logs")
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "restrict_public_buckets"))


def test_config_refuses_bad_values() -> None:
    base = {
        "name": "t",
        "region": "ap-northeast-2",
        "certificate_arn": "x",
        "app_port": 8000,
        "deletion_protection": True,
    }
    with pytest.raises(ValueError, match="4000"):
        AlbConfig(**base, idle_timeout_seconds=5000)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="path"):
        AlbConfig(**base, health_check_path="readyz")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="log-delivery"):
        AlbConfig(**{**base, "region": "mars-east-1"})  # type: ignore[arg-type]


def test_access_logs_expire_after_their_retention(prod: Json) -> None:
    [rule] = resource(prod, "aws_s3_bucket_lifecycle_configuration.alb_logs")["rule"]
    assert rule["expiration"][0]["days"] == 90
