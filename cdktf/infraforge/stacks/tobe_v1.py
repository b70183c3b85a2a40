"""``tobe-v1-<env>``: the low-cost hybrid foundation of one environment.

Composes the constructs in dependency order; everything that differs
between environments comes from :class:`~infraforge.config.EnvironmentConfig`.
State lives in the bootstrap bucket (stack ``state``) under
``tobe-v1/<env>/terraform.tfstate`` with S3-native locking.
"""

from __future__ import annotations

from cdktf import Aspects, S3Backend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct

from infraforge.config import EnvironmentConfig
from infraforge.constructs.network import Network
from infraforge.tags import CommonTags, common_tags


class TobeV1Stack(TerraformStack):
    """One environment of To-Be v1."""

    def __init__(self, scope: Construct, config: EnvironmentConfig) -> None:
        super().__init__(scope, config.stack_name)
        self.config = config
        AwsProvider(self, "aws", region=config.region)
        backend = S3Backend(
            self,
            bucket=config.inputs.state_bucket,
            key=f"tobe-v1/{config.environment}/terraform.tfstate",
            region=config.region,
            encrypt=True,
        )
        # S3-native locking (Terraform >= 1.10, OpenTofu >= 1.10); the binding predates the flag.
        backend.add_override("use_lockfile", True)
        Aspects.of(self).add(CommonTags(common_tags(config.environment)))

        self.network = Network(self, "network", config.network)

        TerraformOutput(self, "vpc_id", value=self.network.vpc.id)
