"""Observability v1: metric alarms on every tier, delivered to one SNS topic.

Each alarm carries its runbook slug twice: in the tag ``Runbook=<slug>`` and
at the end of its description (``Runbook: <slug>``), so the generated docs
link alarm -> runbook section. The slugs are part of the contract with
the docs (one runbook section per slug): see :data:`~infraforge.constructs.config.RUNBOOK_SLUGS`.

Readiness is an alarm, not a health check (:mod:`infraforge.constructs.alb`):
each worker of the service logs a ``not_ready`` event every minute while its
cache or feed is down (``covaex_service.market.routes``); a metric filter on
the service log group counts them and ``app-not-ready`` fires after 3 minutes.

Log groups live with what writes to them (VPC flow logs in the network, the
service log in the app tier, the Redis slow log in the cache, RDS exports
under ``/aws/rds/...``), each with a retention.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_log_metric_filter import (
    CloudwatchLogMetricFilter,
    CloudwatchLogMetricFilterMetricTransformation,
)
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

from infraforge.constructs.alb import ApplicationLoadBalancer
from infraforge.constructs.app_tier import AppTier
from infraforge.constructs.cache import RedisCache
from infraforge.constructs.config import ObservabilityConfig
from infraforge.constructs.database import PostgresDatabase
from infraforge.constructs.vpn import SiteToSiteVpn

GIB = 1024**3
NOT_READY_METRIC = "NotReadyReports"


def app_metrics_namespace(name: str) -> str:
    """Namespace of the metrics read from the service log (one per environment)."""
    return f"CovaEX/{name}"


@dataclass(frozen=True)
class AlarmSpec:
    """One metric alarm: what it watches, when it fires, and its runbook slug."""

    slug: str
    logical_id: str
    summary: str
    namespace: str
    metric: str
    dimensions: Mapping[str, str]
    comparison: str
    threshold: float
    statistic: str = "Average"
    period_seconds: int = 300
    evaluation_periods: int = 2
    missing_data: str = "notBreaching"


class Observability(Construct):
    """SNS alarm topic and the metric alarms of every tier. Outputs: :attr:`topic`, :attr:`alarms`."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        config: ObservabilityConfig,
        *,
        alb: ApplicationLoadBalancer,
        app_tier: AppTier,
        database: PostgresDatabase,
        cache: RedisCache,
        vpn: SiteToSiteVpn,
        kms_key_arn: str,
    ) -> None:
        super().__init__(scope, id_)
        self.config = config
        self.topic = SnsTopic(
            self,
            "topic",
            name=f"{config.name}-alarms",
            kms_master_key_id=kms_key_arn,
            tags={"Name": f"{config.name}-alarms"},
        )
        self.topic.override_logical_id("alarms")
        if config.alarm_email:
            subscription = SnsTopicSubscription(
                self, "email", topic_arn=self.topic.arn, protocol="email", endpoint=config.alarm_email
            )
            subscription.override_logical_id("alarms_email")
        not_ready = CloudwatchLogMetricFilter(
            self,
            "not_ready",
            name=f"{config.name}-app-not-ready",
            log_group_name=app_tier.log_group.name,
            pattern='{ $.event = "not_ready" }',
            metric_transformation=CloudwatchLogMetricFilterMetricTransformation(
                name=NOT_READY_METRIC, namespace=app_metrics_namespace(config.name), value="1", default_value="0"
            ),
        )
        not_ready.override_logical_id("app_not_ready")
        self.alarms: dict[str, CloudwatchMetricAlarm] = {}
        for spec in alarm_specs(config, alb=alb, app_tier=app_tier, database=database, cache=cache, vpn=vpn):
            self.alarms[spec.logical_id] = self._alarm(spec)

    def _alarm(self, spec: AlarmSpec) -> CloudwatchMetricAlarm:
        percentile = spec.statistic.startswith("p")
        alarm = CloudwatchMetricAlarm(
            self,
            spec.logical_id,
            alarm_name=f"{self.config.name}-{spec.logical_id.replace('_', '-')}",
            alarm_description=f"{spec.summary}. Runbook: {spec.slug}",
            namespace=spec.namespace,
            metric_name=spec.metric,
            dimensions=dict(spec.dimensions),
            statistic=None if percentile else spec.statistic,
            extended_statistic=spec.statistic if percentile else None,
            comparison_operator=spec.comparison,
            threshold=spec.threshold,
            period=spec.period_seconds,
            evaluation_periods=spec.evaluation_periods,
            treat_missing_data=spec.missing_data,
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
            tags={"Runbook": spec.slug},
        )
        alarm.override_logical_id(spec.logical_id)
        return alarm


def alarm_specs(
    config: ObservabilityConfig,
    *,
    alb: ApplicationLoadBalancer,
    app_tier: AppTier,
    database: PostgresDatabase,
    cache: RedisCache,
    vpn: SiteToSiteVpn,
) -> list[AlarmSpec]:
    """The alarm catalogue of one environment (one entry per watched metric and resource)."""
    t = config.thresholds
    lb = {"LoadBalancer": alb.lb.arn_suffix}
    target = {**lb, "TargetGroup": alb.target_group.arn_suffix}
    db = {"DBInstanceIdentifier": database.instance.identifier}
    specs = [
        AlarmSpec(
            "alb-5xx",
            "alb_5xx",
            f"ALB returned more than {t.alb_5xx_per_5min} 5xx in 5 minutes",
            "AWS/ApplicationELB",
            "HTTPCode_ELB_5XX_Count",
            lb,
            "GreaterThanThreshold",
            t.alb_5xx_per_5min,
            statistic="Sum",
            evaluation_periods=1,
        ),
        AlarmSpec(
            "alb-target-latency",
            "alb_target_latency",
            f"p95 target response time above {t.target_latency_p95_seconds}s",
            "AWS/ApplicationELB",
            "TargetResponseTime",
            lb,
            "GreaterThanThreshold",
            t.target_latency_p95_seconds,
            statistic="p95",
            evaluation_periods=3,
        ),
        AlarmSpec(
            "alb-unhealthy-hosts",
            "alb_unhealthy_hosts",
            "At least one target fails the /healthz liveness check",
            "AWS/ApplicationELB",
            "UnHealthyHostCount",
            target,
            "GreaterThanThreshold",
            0,
            statistic="Maximum",
            period_seconds=60,
            evaluation_periods=3,
        ),
        AlarmSpec(
            "app-not-ready",
            "app_not_ready",
            "An app worker reported not ready (cache unreachable or feed stale) for 3 minutes",
            app_metrics_namespace(config.name),
            NOT_READY_METRIC,
            {},
            "GreaterThanThreshold",
            0,
            statistic="Sum",
            period_seconds=60,
            evaluation_periods=3,
        ),
        AlarmSpec(
            "asg-capacity",
            "asg_capacity",
            f"Fewer than {config.app_min_instances} app instances in service",
            "AWS/AutoScaling",
            "GroupInServiceInstances",
            {"AutoScalingGroupName": app_tier.group.name},
            "LessThanThreshold",
            config.app_min_instances,
            statistic="Minimum",
            period_seconds=60,
            evaluation_periods=5,
            missing_data="breaching",
        ),
        AlarmSpec(
            "rds-cpu",
            "rds_cpu",
            f"PostgreSQL CPU above {t.rds_cpu_percent}%",
            "AWS/RDS",
            "CPUUtilization",
            db,
            "GreaterThanThreshold",
            t.rds_cpu_percent,
            evaluation_periods=3,
        ),
        AlarmSpec(
            "rds-free-storage",
            "rds_free_storage",
            f"PostgreSQL free storage below {t.rds_free_storage_gib} GiB",
            "AWS/RDS",
            "FreeStorageSpace",
            db,
            "LessThanThreshold",
            t.rds_free_storage_gib * GIB,
            statistic="Minimum",
        ),
        AlarmSpec(
            "rds-connections",
            "rds_connections",
            f"More than {t.rds_connections} PostgreSQL connections",
            "AWS/RDS",
            "DatabaseConnections",
            db,
            "GreaterThanThreshold",
            t.rds_connections,
            statistic="Maximum",
        ),
    ]
    for member in cache.member_ids:
        specs.append(
            AlarmSpec(
                "redis-memory",
                f"redis_memory_{member.rsplit('-', 1)[-1]}",
                f"Redis node {member} memory above {t.redis_memory_percent}%",
                "AWS/ElastiCache",
                "DatabaseMemoryUsagePercentage",
                {"CacheClusterId": member},
                "GreaterThanThreshold",
                t.redis_memory_percent,
                statistic="Maximum",
            )
        )
    if vpn.connection is not None:
        # One alarm per tunnel: AWS maintenance takes one tunnel down at a time, and a
        # connection-wide alarm stays green while the link runs without redundancy.
        for number, address in ((1, vpn.connection.tunnel1_address), (2, vpn.connection.tunnel2_address)):
            specs.append(
                AlarmSpec(
                    "vpn-tunnel",
                    f"vpn_tunnel_{number}",
                    f"VPN tunnel {number} to on-prem is down",
                    "AWS/VPN",
                    "TunnelState",
                    {"VpnId": vpn.connection.id, "TunnelIpAddress": address},
                    "LessThanThreshold",
                    1,
                    statistic="Maximum",
                    period_seconds=300,
                    evaluation_periods=2,
                    missing_data="breaching",
                )
            )
    return specs
