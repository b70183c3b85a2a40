"""``state``: the per-account bootstrap every other stack depends on.

Holds the Terraform state bucket, the release artifact bucket (the wheel,
lock and wheelhouse of each version under ``covaex/<version>/``, shared by
both environments so prod runs the exact bits dev ran) and the account's
GitHub OIDC identity provider (one per account, so it cannot live in a
per-environment stack). An account that already has that provider
(``EntityAlreadyExists``) names it in the input ``github_oidc_provider_arn``
and the stack uses it instead of creating a second one; the CI roles trust it
by its fixed ARN either way. The role the release workflow's ``artifact`` job
uploads with (``ci_artifact_role_arn``) lives here, beside the bucket.
Its own state is local on the first apply; the README shows how to move it
into the bucket it has just created.
"""

from __future__ import annotations

from cdktf import Aspects, LocalBackend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct

from infraforge.constructs.config import StateBackendConfig
from infraforge.constructs.iam import ArtifactPublishRole, GithubOidcProvider
from infraforge.constructs.private_bucket import PrivateBucket
from infraforge.constructs.state_backend import StateBackend
from infraforge.inputs import REGION, DeployInputs
from infraforge.tags import CommonTags, common_tags

STACK_NAME = "state"
# Relative to where Terraform runs (cdktf.out/stacks/state/): the repository root, outside the
# regenerated synth output, and the same on every machine (cdktf's default is an absolute path).
LOCAL_STATE_PATH = "../../../terraform.state.tfstate"


class StateStack(TerraformStack):
    """Bootstrap stack: state bucket and GitHub OIDC provider."""

    def __init__(self, scope: Construct, inputs: DeployInputs) -> None:
        super().__init__(scope, STACK_NAME)
        AwsProvider(self, "aws", region=REGION)
        LocalBackend(self, path=LOCAL_STATE_PATH)
        Aspects.of(self).add(CommonTags(common_tags("shared")))
        self.backend = StateBackend(self, "state_backend", StateBackendConfig(bucket_name=inputs.state_bucket))
        # Release artifacts are immutable by convention (a version is published once); old object
        # versions are kept a while so an overwrite by mistake can be undone.
        self.artifacts = PrivateBucket(
            self, "artifacts", bucket_name=inputs.artifact_bucket, logical_id="artifacts", noncurrent_version_days=90
        ).bucket
        self.github_oidc: GithubOidcProvider | None = None
        provider_arn = inputs.github_oidc_provider_arn
        if not provider_arn:
            self.github_oidc = GithubOidcProvider(self, "github_oidc")
            provider_arn = self.github_oidc.provider.arn
        # The release workflow's artifact job (GitHub environment "release") uploads with this role only.
        self.artifact_role = ArtifactPublishRole(
            self,
            "ci_artifact",
            provider_arn=provider_arn,
            github_repo=inputs.github_repo,
            artifact_bucket=inputs.artifact_bucket,
        ).role
        outputs = {
            "state_bucket": (self.backend.bucket.bucket, "the S3 bucket of every other stack's Terraform state"),
            "artifact_bucket": (self.artifacts.bucket, "the S3 bucket of the release artifacts (covaex/X.Y.Z/)"),
            "github_oidc_provider_arn": (provider_arn, "the account's GitHub OIDC provider that CI roles trust"),
            "ci_artifact_role_arn": (
                self.artifact_role.arn,
                'the AWS_ARTIFACT_ROLE_ARN variable of the GitHub environment "release"',
            ),
        }
        for key, (value, description) in outputs.items():
            TerraformOutput(self, key, value=value, description=description)
