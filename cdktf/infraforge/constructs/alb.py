"""ALB: the public entry, HTTPS only, spread over both public subnets.

* ``:80`` answers with a permanent redirect to ``:443``; ``:443`` terminates
  TLS with the configured ACM certificate and a TLS 1.2+/1.3 policy.
* The target group checks liveness, ``/healthz`` (the process answers): the
  Auto Scaling group replaces what fails it. Not ``/readyz``: Redis and the
  feed are shared, so a Redis failover or maintenance would fail every
  target at once, the ALB would have nothing to route to, and the ASG would
  replace every instance into the same outage. While Redis is down the
  instances stay in service and serve their last snapshot labelled stale;
  readiness feeds an alarm instead (``app-not-ready``,
  :mod:`infraforge.constructs.observability`).
* WebSockets: the idle timeout is long (``idle_timeout_seconds``) because
  market streams are quiet between updates; load-balancer-cookie stickiness
  sends a reconnecting browser back to the same instance, and the
  deregistration delay lets open streams drain during a rollout.
* ``/metrics`` and ``/readyz`` answer 404 at the listener (:data:`~infraforge.constructs.config.INTERNAL_PATHS`):
  scraping and health checks stay inside the VPC.
* Malformed headers are dropped; access logs go to a private bucket;
  deletion protection is on where ``deletion_protection`` says so (prod).
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.lb import Lb, LbAccessLogs
from cdktf_cdktf_provider_aws.lb_listener import (
    LbListener,
    LbListenerDefaultAction,
    LbListenerDefaultActionRedirect,
)
from cdktf_cdktf_provider_aws.lb_listener_rule import (
    LbListenerRule,
    LbListenerRuleAction,
    LbListenerRuleActionFixedResponse,
    LbListenerRuleCondition,
    LbListenerRuleConditionPathPattern,
)
from cdktf_cdktf_provider_aws.lb_target_group import (
    LbTargetGroup,
    LbTargetGroupHealthCheck,
    LbTargetGroupStickiness,
)
from constructs import Construct

from infraforge.constructs.config import ELB_LOG_DELIVERY_ACCOUNTS, INTERNAL_PATHS, AlbConfig
from infraforge.constructs.network import Network
from infraforge.constructs.private_bucket import PrivateBucket
from infraforge.constructs.security_groups import SecurityGroups


class ApplicationLoadBalancer(Construct):
    """ALB, listeners, target group and access-log bucket.

    Outputs: :attr:`lb`, :attr:`target_group`, :attr:`https_listener`, :attr:`logs_bucket`.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        config: AlbConfig,
        network: Network,
        security_groups: SecurityGroups,
        *,
        account_id: str,
    ) -> None:
        super().__init__(scope, id_)
        self.config = config
        bucket_name = f"{config.name}-alb-logs-{account_id}"
        delivery = ELB_LOG_DELIVERY_ACCOUNTS[config.region]
        logs = PrivateBucket(
            self,
            "logs",
            bucket_name=bucket_name,
            logical_id="alb_logs",
            noncurrent_version_days=1,
            current_version_days=config.access_log_retention_days,
            # ALB access logging supports only SSE-S3.
            sse_algorithm="AES256",
            force_destroy=config.logs_force_destroy,
            extra_policy_statements=(
                {
                    "Sid": "AlbLogDelivery",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{delivery}:root"},
                    "Action": ["s3:PutObject"],
                    "Resource": [f"arn:aws:s3:::{bucket_name}/alb/AWSLogs/{account_id}/*"],
                },
            ),
        )
        self.logs_bucket = logs.bucket

        self.lb = Lb(
            self,
            "lb",
            name=f"{config.name}-alb",
            load_balancer_type="application",
            internal=False,
            security_groups=[security_groups.alb.id],
            subnets=network.subnet_ids("public"),
            idle_timeout=config.idle_timeout_seconds,
            drop_invalid_header_fields=True,
            enable_deletion_protection=config.deletion_protection,
            access_logs=LbAccessLogs(bucket=self.logs_bucket.bucket, prefix="alb", enabled=True),
            tags={"Name": f"{config.name}-alb"},
            # Enabling access logs makes ELB test-write into the bucket; without the policy
            # in place yet the first apply fails with "Access Denied for bucket".
            depends_on=[logs.policy],
        )
        self.lb.override_logical_id("alb")

        self.target_group = LbTargetGroup(
            self,
            "target_group",
            name=f"{config.name}-app",
            port=config.app_port,
            protocol="HTTP",
            vpc_id=network.vpc.id,
            target_type="instance",
            deregistration_delay=str(config.deregistration_delay_seconds),
            health_check=LbTargetGroupHealthCheck(
                enabled=True,
                path=config.health_check_path,
                protocol="HTTP",
                port="traffic-port",
                matcher="200",
                interval=15,
                timeout=5,
                healthy_threshold=2,
                unhealthy_threshold=3,
            ),
            stickiness=LbTargetGroupStickiness(
                enabled=True, type="lb_cookie", cookie_duration=config.stickiness_seconds
            ),
            tags={"Name": f"{config.name}-app"},
        )
        self.target_group.override_logical_id("app")

        http = LbListener(
            self,
            "http",
            load_balancer_arn=self.lb.arn,
            port=80,
            protocol="HTTP",
            default_action=[
                LbListenerDefaultAction(
                    type="redirect",
                    redirect=LbListenerDefaultActionRedirect(port="443", protocol="HTTPS", status_code="HTTP_301"),
                )
            ],
        )
        http.override_logical_id("http")
        self.https_listener = LbListener(
            self,
            "https",
            load_balancer_arn=self.lb.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=config.ssl_policy,
            certificate_arn=config.certificate_arn,
            default_action=[LbListenerDefaultAction(type="forward", target_group_arn=self.target_group.arn)],
        )
        self.https_listener.override_logical_id("https")
        blocked = LbListenerRule(
            self,
            "internal_paths",
            listener_arn=self.https_listener.arn,
            priority=1,
            condition=[
                LbListenerRuleCondition(path_pattern=LbListenerRuleConditionPathPattern(values=list(INTERNAL_PATHS)))
            ],
            action=[
                LbListenerRuleAction(
                    type="fixed-response",
                    fixed_response=LbListenerRuleActionFixedResponse(
                        content_type="text/plain", status_code="404", message_body="Not Found"
                    ),
                )
            ],
            tags={"Name": f"{config.name}-internal-paths"},
        )
        blocked.override_logical_id("internal_paths")
