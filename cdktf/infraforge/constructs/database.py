"""Data tier, PostgreSQL: RDS in the private data subnets, reachable from the app tier only.

Secure defaults: storage encrypted, TLS forced (``rds.force_ssl``), IAM
authentication available, the master password managed by RDS in Secrets
Manager (never in Terraform state, code or user data; rotated by RDS), logs
exported to CloudWatch, slow statements logged, deletion protection and a
final snapshot, minor versions applied in the maintenance window, enhanced
monitoring and Performance Insights (free tier, 7 days).

Backups run daily in ``backup_window`` and are kept ``backup_retention_days``
(>= 7). Both windows are in UTC and fall at night in Korea (KST = UTC+9).

Cost trade-off: prod is Multi-AZ (a synchronous standby in the other AZ,
automatic failover, roughly twice the instance price); dev is single-AZ on a
smaller class, so losing AZ 2a takes dev's database down until it is
restored from a snapshot, which dev accepts.
"""

from __future__ import annotations

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.db_instance import DbInstance
from cdktf_cdktf_provider_aws.db_parameter_group import DbParameterGroup, DbParameterGroupParameter
from cdktf_cdktf_provider_aws.db_subnet_group import DbSubnetGroup
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from infraforge.constructs.config import DatabaseConfig
from infraforge.constructs.iam import service_trust_policy
from infraforge.constructs.network import Network
from infraforge.constructs.security_groups import POSTGRES_PORT, SecurityGroups

# Logs RDS exports to CloudWatch; it writes them to /aws/rds/instance/<identifier>/<type>.
EXPORTED_LOGS = ("postgresql", "upgrade")
ENHANCED_MONITORING_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"


class PostgresDatabase(Construct):
    """RDS PostgreSQL instance, subnet group, parameter group, monitoring role.

    Outputs: :attr:`instance`, :attr:`master_secret_arn`, :attr:`address`.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        config: DatabaseConfig,
        network: Network,
        security_groups: SecurityGroups,
        *,
        kms_key_arn: str | None = None,
    ) -> None:
        super().__init__(scope, id_)
        self.config = config
        subnet_group = DbSubnetGroup(
            self,
            "subnet_group",
            name=f"{config.name}-postgres",
            description="CovaEX PostgreSQL: private data subnets of both AZs",
            subnet_ids=network.subnet_ids("data"),
        )
        subnet_group.override_logical_id("postgres")
        parameters = DbParameterGroup(
            self,
            "parameters",
            name=f"{config.name}-{config.parameter_group_family}",
            family=config.parameter_group_family,
            description="CovaEX PostgreSQL: TLS only, slow-statement and connection logging",
            parameter=[
                DbParameterGroupParameter(name="rds.force_ssl", value="1"),
                DbParameterGroupParameter(name="log_min_duration_statement", value=str(config.slow_statement_ms)),
                DbParameterGroupParameter(name="log_statement", value="ddl"),
                DbParameterGroupParameter(name="log_connections", value="1"),
                DbParameterGroupParameter(name="log_disconnections", value="1"),
            ],
        )
        parameters.override_logical_id("postgres")
        monitoring_role = IamRole(
            self,
            "monitoring_role",
            name=f"{config.name}-rds-monitoring",
            assume_role_policy=service_trust_policy("monitoring.rds.amazonaws.com"),
        )
        monitoring_role.override_logical_id("rds_monitoring")
        attachment = IamRolePolicyAttachment(
            self, "monitoring_policy", role=monitoring_role.name, policy_arn=ENHANCED_MONITORING_POLICY
        )
        attachment.override_logical_id("rds_monitoring")
        # Created before the instance, so RDS exports into groups with retention and our key
        # instead of creating never-expiring, unencrypted ones on first export.
        self.log_groups = [
            CloudwatchLogGroup(
                self,
                f"log_group_{kind}",
                name=f"{config.log_group_prefix}{kind}",
                retention_in_days=config.log_retention_days,
                kms_key_id=kms_key_arn,
            )
            for kind in EXPORTED_LOGS
        ]
        for kind, group in zip(EXPORTED_LOGS, self.log_groups, strict=True):
            group.override_logical_id(f"rds_{kind}")

        self.instance = DbInstance(
            self,
            "instance",
            identifier=config.identifier,
            engine="postgres",
            engine_version=config.engine_version,
            instance_class=config.instance_class,
            allocated_storage=config.allocated_storage_gb,
            max_allocated_storage=config.max_allocated_storage_gb,
            storage_type="gp3",
            storage_encrypted=True,
            db_name=config.database_name,
            username=config.master_username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=kms_key_arn,
            port=POSTGRES_PORT,
            multi_az=config.multi_az,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[security_groups.db.id],
            parameter_group_name=parameters.name,
            publicly_accessible=False,
            iam_database_authentication_enabled=True,
            backup_retention_period=config.backup_retention_days,
            backup_window=config.backup_window,
            maintenance_window=config.maintenance_window,
            copy_tags_to_snapshot=True,
            deletion_protection=config.deletion_protection,
            skip_final_snapshot=config.skip_final_snapshot,
            final_snapshot_identifier=None if config.skip_final_snapshot else final_snapshot_identifier(config.name),
            auto_minor_version_upgrade=True,
            enabled_cloudwatch_logs_exports=list(EXPORTED_LOGS),
            monitoring_interval=config.monitoring_interval_seconds,
            monitoring_role_arn=monitoring_role.arn,
            performance_insights_enabled=True,
            performance_insights_retention_period=7,
            performance_insights_kms_key_id=kms_key_arn,
            tags={"Name": f"{config.name}-postgres"},
            depends_on=list(self.log_groups),
            # The creation time stays in the name (timestamp() would otherwise change it at every plan).
            lifecycle=TerraformResourceLifecycle(ignore_changes=["final_snapshot_identifier"]),
        )
        self.instance.override_logical_id("postgres")

    @property
    def master_secret_arn(self) -> str:
        """ARN of the RDS-managed Secrets Manager secret holding the master credentials."""
        return str(self.instance.master_user_secret.get(0).secret_arn)

    @property
    def address(self) -> str:
        return str(self.instance.address)


def final_snapshot_identifier(name: str) -> str:
    """``<name>-postgres-final-<UTC creation time>``: unique per instance, so destroy, re-create, destroy works."""
    return f'{name}-postgres-final-${{formatdate("YYYYMMDDhhmmss", timestamp())}}'
