"""App tier: a launch template and an Auto Scaling group across both private-app subnets.

Secure defaults: IMDSv2 only (hop limit 1, so containers cannot reach it),
encrypted gp3 root volume, no SSH key (Session Manager instead), no public
IP, the instance profile from :mod:`infraforge.constructs.iam`, and user
data that contains no secret (:mod:`infraforge.constructs.user_data`).

The group registers with the ALB's target group and uses ELB health
checks, so an instance failing liveness (``/healthz``: the process does not
answer) is replaced, not just taken out of rotation; readiness (``/readyz``)
is an alarm, not a reason to replace (:mod:`infraforge.constructs.alb`). A target-tracking policy holds average CPU near
``cpu_target_percent`` between ``min_size`` and ``max_size``. Changing the
launch template triggers a rolling instance refresh that keeps
``min_healthy_percentage`` of capacity in service; with ``min_healthy_percentage``
100 and ``max_healthy_percentage`` 200 (prod) it launches each replacement
before it terminates the old instance, so capacity never dips below desired.
The AMI is an input (``ami_id``), pinned: only a reviewed change of it rolls
the instances.

Cost trade-off: prod keeps at least two instances (one per AZ) so losing an
AZ leaves the site up; dev runs one at rest.
"""

from __future__ import annotations

from collections.abc import Mapping

from cdktf import Fn, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.autoscaling_group import (
    AutoscalingGroup,
    AutoscalingGroupInstanceRefresh,
    AutoscalingGroupInstanceRefreshPreferences,
    AutoscalingGroupLaunchTemplate,
    AutoscalingGroupTag,
)
from cdktf_cdktf_provider_aws.autoscaling_policy import (
    AutoscalingPolicy,
    AutoscalingPolicyTargetTrackingConfiguration,
    AutoscalingPolicyTargetTrackingConfigurationPredefinedMetricSpecification,
)
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.launch_template import (
    LaunchTemplate,
    LaunchTemplateBlockDeviceMappings,
    LaunchTemplateBlockDeviceMappingsEbs,
    LaunchTemplateIamInstanceProfile,
    LaunchTemplateMetadataOptions,
    LaunchTemplateMonitoring,
    LaunchTemplateTagSpecifications,
)
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from constructs import Construct

from infraforge.constructs.alb import ApplicationLoadBalancer
from infraforge.constructs.config import AppTierConfig
from infraforge.constructs.iam import AppInstanceRole
from infraforge.constructs.network import Network
from infraforge.constructs.security_groups import SecurityGroups
from infraforge.constructs.user_data import ServiceBoot, cloudwatch_agent_config, render_user_data

# Metrics the ASG publishes (needed by the asg-capacity alarm).
GROUP_METRICS = ("GroupMinSize", "GroupMaxSize", "GroupDesiredCapacity", "GroupInServiceInstances")


class AppTier(Construct):
    """Launch template, Auto Scaling group, scaling policy and the service log group.

    ``boot`` says where the service finds its database, cache and secrets;
    the boot script is rendered from it. Outputs: :attr:`launch_template`, :attr:`group`, :attr:`log_group`.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        config: AppTierConfig,
        *,
        network: Network,
        security_groups: SecurityGroups,
        alb: ApplicationLoadBalancer,
        role: AppInstanceRole,
        boot: ServiceBoot,
        instance_tags: Mapping[str, str],
        kms_key_arn: str | None = None,
    ) -> None:
        super().__init__(scope, id_)
        self.config = config
        self.log_group = CloudwatchLogGroup(
            self,
            "log_group",
            name=config.log_group_name,
            retention_in_days=config.log_retention_days,
            kms_key_id=kms_key_arn,
        )
        self.log_group.override_logical_id("app")
        agent_config = SsmParameter(
            self,
            "agent_config",
            name=config.agent_config_parameter,
            description="CloudWatch agent configuration of the CovaEX app instances",
            type="String",
            value=cloudwatch_agent_config(config.log_group_name),
        )
        agent_config.override_logical_id("cloudwatch_agent")
        user_data = render_user_data(
            boot, log_group=config.log_group_name, agent_config_parameter=config.agent_config_parameter
        )
        tags = {**instance_tags, "Name": f"{config.name}-app", "Tier": "app"}
        self.launch_template = LaunchTemplate(
            self,
            "launch_template",
            name=f"{config.name}-app",
            description="CovaEX app instances (covaex serve)",
            image_id=config.ami_id,
            instance_type=config.instance_type,
            vpc_security_group_ids=[security_groups.app.id],
            iam_instance_profile=LaunchTemplateIamInstanceProfile(arn=role.instance_profile.arn),
            metadata_options=LaunchTemplateMetadataOptions(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=1,
                instance_metadata_tags="disabled",
            ),
            block_device_mappings=[
                LaunchTemplateBlockDeviceMappings(
                    device_name="/dev/xvda",
                    ebs=LaunchTemplateBlockDeviceMappingsEbs(
                        volume_size=config.root_volume_gb,
                        volume_type="gp3",
                        encrypted="true",
                        delete_on_termination="true",
                    ),
                )
            ],
            monitoring=LaunchTemplateMonitoring(enabled=True),
            user_data=Fn.base64encode(user_data),
            update_default_version=True,
            tag_specifications=[
                LaunchTemplateTagSpecifications(resource_type=kind, tags=tags) for kind in ("instance", "volume")
            ],
        )
        self.launch_template.override_logical_id("app")

        self.group = AutoscalingGroup(
            self,
            "group",
            name=f"{config.name}-app",
            min_size=config.min_size,
            max_size=config.max_size,
            desired_capacity=config.desired_capacity,
            vpc_zone_identifier=network.subnet_ids("app"),
            target_group_arns=[alb.target_group.arn],
            health_check_type="ELB",
            health_check_grace_period=config.health_check_grace_seconds,
            default_instance_warmup=config.instance_warmup_seconds,
            launch_template=AutoscalingGroupLaunchTemplate(
                id=self.launch_template.id, version=Fn.tostring(self.launch_template.latest_version)
            ),
            instance_refresh=AutoscalingGroupInstanceRefresh(
                strategy="Rolling",
                preferences=AutoscalingGroupInstanceRefreshPreferences(
                    min_healthy_percentage=config.min_healthy_percentage,
                    max_healthy_percentage=config.max_healthy_percentage,
                ),
            ),
            enabled_metrics=list(GROUP_METRICS),
            # The scaling policy owns the running size; an apply must not reset it to the start size.
            lifecycle=TerraformResourceLifecycle(ignore_changes=["desired_capacity"]),
            tag=[AutoscalingGroupTag(key=k, value=v, propagate_at_launch=True) for k, v in sorted(tags.items())],
        )
        self.group.override_logical_id("app")
        scaling = AutoscalingPolicy(
            self,
            "cpu_target",
            name=f"{config.name}-app-cpu-target",
            autoscaling_group_name=self.group.name,
            policy_type="TargetTrackingScaling",
            target_tracking_configuration=AutoscalingPolicyTargetTrackingConfiguration(
                predefined_metric_specification=(
                    AutoscalingPolicyTargetTrackingConfigurationPredefinedMetricSpecification(
                        predefined_metric_type="ASGAverageCPUUtilization"
                    )
                ),
                target_value=float(config.cpu_target_percent or 0),
            ),
        )
        scaling.override_logical_id("app_cpu")
