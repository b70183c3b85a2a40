"""The dead-man's switch of a cluster's alerting: Watchdog's heartbeat, watched from outside the cluster.

kube-prometheus-stack's ``Watchdog`` alert fires all the time on purpose: it
proves that Prometheus evaluates rules and Alertmanager delivers. Alertmanager
routes it, apart from every other alert, to a topic of its own
(``<cluster>-watchdog``, no subscriber) every ``WATCHDOG_REPEAT``
(:mod:`infraforge.platform.addons`). A CloudWatch alarm on that topic's
``NumberOfMessagesPublished`` pages through the environment's v1 alarm topic
when the heartbeat stops (missing data counts as breaching): Prometheus,
Alertmanager, its IRSA role or the nodes under them are down, so no other
cluster alert could reach anyone either.

Outputs: ``topic`` and ``alarm``.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from constructs import Construct

RUNBOOK_SLUG = "alerting-heartbeat"
"""The ``Runbook`` tag of the alarm (``templates/data/runbooks.yaml`` holds its text)."""
PERIOD_SECONDS = 300
EVALUATION_PERIODS = 2
"""Ten minutes without one heartbeat (Alertmanager sends one a minute) before the page."""


class DeadMansSwitch(Construct):
    """The Watchdog topic and the alarm that fires when nothing reaches it."""

    def __init__(self, scope: Construct, id_: str, *, topic_name: str, kms_key_arn: str, alarm_topic_arn: str) -> None:
        super().__init__(scope, id_)
        self.topic = SnsTopic(self, "topic", name=topic_name, kms_master_key_id=kms_key_arn, tags={"Name": topic_name})
        self.topic.override_logical_id("watchdog")
        self.alarm = CloudwatchMetricAlarm(
            self,
            "alarm",
            alarm_name=f"{topic_name}-silent",
            alarm_description=(
                f"Alertmanager's Watchdog heartbeat stopped: no cluster alert can reach anyone. Runbook: {RUNBOOK_SLUG}"
            ),
            namespace="AWS/SNS",
            metric_name="NumberOfMessagesPublished",
            dimensions={"TopicName": self.topic.name},
            statistic="Sum",
            comparison_operator="LessThanThreshold",
            threshold=1,
            period=PERIOD_SECONDS,
            evaluation_periods=EVALUATION_PERIODS,
            # no datapoint at all is exactly the failure this alarm exists for
            treat_missing_data="breaching",
            alarm_actions=[alarm_topic_arn],
            ok_actions=[alarm_topic_arn],
            tags={"Runbook": RUNBOOK_SLUG},
        )
        self.alarm.override_logical_id("watchdog_silent")
