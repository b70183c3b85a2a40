"""What the first apply and the first week in a real account would hit in the v1 stacks (issue 13).

Each test reads the synthesized JSON (or a config built from inputs) and
fails on the code before the fix: a race of the first apply, a resource two
stacks fight over, a silent rolling refresh, alarms that reach nobody.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from infraforge.config import environment_config
from infraforge.constructs.config import INTERNAL_PATHS
from infraforge.inputs import DEFAULTS, InputError, read_inputs

from tests.infra.stack_json import Json, resource, resources

REPO_ROOT = Path(__file__).resolve().parents[2]
WITH_SUBSCRIBER = {"INFRAFORGE_PROD_ALARM_EMAIL": "ops@example.org"}


def test_the_alb_waits_for_the_log_bucket_policy(dev: Json, prod: Json) -> None:
    # Enabling access logs test-writes into the bucket: without the policy that is "Access Denied".
    for stack in (dev, prod):
        assert "aws_s3_bucket_policy.alb_logs" in resource(stack, "aws_lb.alb").get("depends_on", [])


def test_each_environment_declares_its_own_customer_gateway() -> None:
    # AWS returns the existing gateway for the same (type, ip, asn): the stacks would adopt each other's.
    both_on = {"INFRAFORGE_VPN_ENABLED": "true", **WITH_SUBSCRIBER}
    gateways = {
        env: (vpn.peer_ip, vpn.bgp_asn)
        for env in ("dev", "prod")
        for vpn in [environment_config(env, read_inputs(env, both_on)).vpn]
    }
    assert gateways["dev"][0] == gateways["prod"][0], "one on-prem device"
    assert gateways["dev"] != gateways["prod"]


def test_prod_gateway_carries_the_prod_asn(prod: Json) -> None:
    assert resource(prod, "aws_customer_gateway.onprem")["bgp_asn"] == "65000"


def test_the_vpn_is_off_in_dev_unless_asked(dev: Json, prod: Json) -> None:
    assert resources(dev, "aws_vpn_connection") == {}
    assert resources(prod, "aws_vpn_connection") != {}
    asked = environment_config("dev", read_inputs("dev", {"INFRAFORGE_DEV_VPN_ENABLED": "true"}))
    assert asked.vpn.enabled
    with pytest.raises(InputError, match="INFRAFORGE_DEV_VPN_ENABLED"):
        read_inputs("dev", {"INFRAFORGE_DEV_VPN_ENABLED": "sometimes"})


def test_the_app_ami_is_a_pinned_input(dev: Json, prod: Json) -> None:
    for stack in (dev, prod):
        assert resource(stack, "aws_launch_template.app")["image_id"] == DEFAULTS["app_ami_id"]
        # nothing resolves an image at plan time any more
        assert "aws_ssm_parameter" not in stack.get("data", {})
        assert "aws_ami" not in stack.get("data", {})
    config = environment_config(
        "prod", read_inputs("prod", {"INFRAFORGE_APP_AMI_ID": "ami-0abcdef1234567890", **WITH_SUBSCRIBER})
    )
    assert config.app_tier.ami_id == "ami-0abcdef1234567890"
    with pytest.raises(InputError, match="INFRAFORGE_PROD_APP_AMI_ID"):
        read_inputs("prod", {"INFRAFORGE_PROD_APP_AMI_ID": "al2023-latest"})


def test_app_tier_runs_graviton(dev: Json, prod: Json) -> None:
    for stack in (dev, prod):
        assert resource(stack, "aws_launch_template.app")["instance_type"].startswith("t4g.")


def test_instances_warm_up_and_prod_refresh_launches_before_terminating(dev: Json, prod: Json) -> None:
    for stack in (dev, prod):
        assert resource(stack, "aws_autoscaling_group.app")["default_instance_warmup"] >= 60
    preferences = resource(prod, "aws_autoscaling_group.app")["instance_refresh"]["preferences"]
    # 100 % healthy at all times, up to 200 %: the replacement is in service before the old one goes.
    assert preferences["min_healthy_percentage"] == 100
    assert preferences["max_healthy_percentage"] == 200


def test_prod_refuses_to_synthesize_without_an_alarm_subscriber() -> None:
    with pytest.raises(InputError) as error:
        environment_config("prod", read_inputs("prod", {}))
    assert "INFRAFORGE_PROD_ALARM_EMAIL" in str(error.value) and "INFRAFORGE_PROD_ALARM_OPT_OUT" in str(error.value)
    opted_out = environment_config("prod", read_inputs("prod", {"INFRAFORGE_PROD_ALARM_OPT_OUT": "true"}))
    assert opted_out.observability.alarm_email == ""
    assert environment_config("prod", read_inputs("prod", WITH_SUBSCRIBER)).observability.alarm_email
    assert environment_config("dev", read_inputs("dev", {})).observability.alarm_email == ""


def test_the_cdktf_app_stops_with_one_line_naming_the_inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's own entry point (``python -m infraforge``'s ``main``), in this process (tests/infra/test_inputs.py
    runs the real command): a config's refusal stops it before any stack is built."""
    from infraforge.__main__ import main

    for name in [n for n in os.environ if n.startswith("INFRAFORGE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setattr(sys, "argv", ["python -m infraforge", "--out", str(tmp_path)])
    with pytest.raises(SystemExit) as stopped:
        main()
    message = str(stopped.value.code)
    assert message.startswith("infraforge: covaex-prod: alarms would reach nobody"), message
    assert "\n" not in message and not list(tmp_path.rglob("cdk.tf.json"))  # one line, no stack written


def test_the_docs_synth_subscribes_the_documented_example_address(prod: Json) -> None:
    (subscription,) = resources(prod, "aws_sns_topic_subscription").values()
    assert subscription["endpoint"] == "alarms@example.com"


def test_each_vpn_tunnel_has_its_own_alarm(prod: Json) -> None:
    alarms = {n: a for n, a in resources(prod, "aws_cloudwatch_metric_alarm").items() if a["namespace"] == "AWS/VPN"}
    assert sorted(alarms) == ["vpn_tunnel_1", "vpn_tunnel_2"]
    tunnels = {a["dimensions"]["TunnelIpAddress"] for a in alarms.values()}
    assert tunnels == {"${aws_vpn_connection.onprem.tunnel1_address}", "${aws_vpn_connection.onprem.tunnel2_address}"}
    for alarm in alarms.values():
        assert alarm["metric_name"] == "TunnelState"
        assert alarm["comparison_operator"] == "LessThanThreshold" and alarm["threshold"] == 1
        assert alarm["treat_missing_data"] == "breaching"


def test_rds_exported_logs_have_retention_and_encryption(dev: Json, prod: Json) -> None:
    for env, stack in (("dev", dev), ("prod", prod)):
        db = resource(stack, "aws_db_instance.postgres")
        groups = resources(stack, "aws_cloudwatch_log_group")
        for kind in db["enabled_cloudwatch_logs_exports"]:
            group = groups[f"rds_{kind}"]
            assert group["name"] == f"/aws/rds/instance/covaex-{env}-postgres/{kind}"
            assert group["retention_in_days"] >= 30
            assert group["kms_key_id"] == "${aws_kms_key.main.arn}"
            assert f"aws_cloudwatch_log_group.rds_{kind}" in db["depends_on"]
        policy = json.loads(resource(stack, "aws_kms_key.main")["policy"])
        (logs,) = [s for s in policy["Statement"] if s["Sid"] == "CloudWatchLogsForThisEnvironment"]
        allowed = logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
        assert any(f":log-group:/aws/rds/instance/covaex-{env}-postgres/*" in arn for arn in allowed)


def test_the_listener_keeps_metrics_and_readiness_inside_the_vpc(prod: Json) -> None:
    rule = resource(prod, "aws_lb_listener_rule.internal_paths")
    assert rule["listener_arn"] == "${aws_lb_listener.https.arn}"
    assert rule["priority"] == 1
    (condition,) = rule["condition"]
    assert {"/metrics", "/readyz"} <= set(condition["path_pattern"]["values"]) == set(INTERNAL_PATHS)
    (action,) = rule["action"]
    assert action["type"] == "fixed-response" and action["fixed_response"]["status_code"] == "404"


@pytest.mark.aws_provider
def test_an_existing_github_oidc_provider_is_used_not_created() -> None:
    from cdktf import Testing
    from infraforge.stacks.state import StateStack

    existing = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    inputs = read_inputs("shared", {"INFRAFORGE_GITHUB_OIDC_PROVIDER_ARN": existing})
    stack = StateStack(Testing.app(), inputs)
    synthesized = json.loads(Testing.synth(stack))
    assert resources(synthesized, "aws_iam_openid_connect_provider") == {}
    assert synthesized["output"]["github_oidc_provider_arn"]["value"] == existing
    with pytest.raises(InputError, match="INFRAFORGE_GITHUB_OIDC_PROVIDER_ARN"):
        read_inputs("shared", {"INFRAFORGE_GITHUB_OIDC_PROVIDER_ARN": "arn:aws:iam::1:oidc-provider/x"})


def test_the_state_stack_creates_the_provider_by_default(stacks: dict[str, Json]) -> None:
    assert "github" in resources(stacks["state"], "aws_iam_openid_connect_provider")


def test_dev_egress_is_a_graviton_nat_instance(dev: Json, prod: Json) -> None:
    assert resources(dev, "aws_nat_gateway") == {}
    nat = resource(dev, "aws_instance.nat")
    assert nat["instance_type"] == "t4g.nano" and nat["ami"] == DEFAULTS["app_ami_id"]
    assert nat["source_dest_check"] is False
    assert nat["metadata_options"]["http_tokens"] == "required"
    assert nat["root_block_device"]["encrypted"] is True
    assert "MASQUERADE" in nat["user_data"] and "ip_forward = 1" in nat["user_data"]
    assert nat["subnet_id"] == "${aws_subnet.public_a.id}"
    assert resource(dev, "aws_eip.nat_instance")["instance"] == "${aws_instance.nat.id}"
    for sfx in ("a", "c"):
        route = resource(dev, f"aws_route.app_{sfx}_nat")
        assert route["network_interface_id"] == "${aws_instance.nat.primary_network_interface_id}"
    rules = resources(dev, "aws_vpc_security_group_ingress_rule")
    from_vpc = [r for n, r in rules.items() if n.startswith("nat_from_vpc_")]
    assert {(r["from_port"], r["cidr_ipv4"]) for r in from_vpc} == {(443, "10.20.0.0/16")}
    # prod keeps a NAT gateway per AZ
    assert sorted(resources(prod, "aws_nat_gateway")) == ["nat_a", "nat_c"]
    assert resources(prod, "aws_instance") == {}


def test_a_nat_instance_is_graviton_and_single() -> None:
    from infraforge.constructs.config import NatInstanceConfig, NetworkConfig

    with pytest.raises(ValueError, match="Graviton"):
        NatInstanceConfig(instance_type="t3.nano", ami_id="ami-0123456789abcdef0")
    with pytest.raises(ValueError, match="single_nat"):
        NetworkConfig(
            name="t",
            vpc_cidr="10.99.0.0/16",
            availability_zones=("ap-northeast-2a", "ap-northeast-2c"),
            single_nat=False,
            nat_instance=NatInstanceConfig(instance_type="t4g.nano", ami_id="ami-0123456789abcdef0"),
        )
