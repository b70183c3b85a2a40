"""Private bucket: the one way this project makes an S3 bucket, with the secure defaults built in.

Used for the Terraform state (:mod:`infraforge.constructs.state_backend`)
and the ALB access logs (:mod:`infraforge.constructs.alb`).
"""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)
from constructs import Construct


class PrivateBucket(Construct):
    """An S3 bucket with the secure defaults every bucket here shares.

    Private (public-access block, owner-enforced ownership), TLS-only,
    versioned, encrypted (``sse_algorithm``: ``aws:kms`` unless a consumer
    such as ALB access logging supports only ``AES256``), old versions and
    incomplete uploads expired; objects themselves expire after
    ``current_version_days`` when given (logs), never by default (state).
    Output: :attr:`bucket`.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        bucket_name: str,
        logical_id: str,
        noncurrent_version_days: int,
        current_version_days: int | None = None,
        sse_algorithm: str = "aws:kms",
        extra_policy_statements: tuple[dict[str, object], ...] = (),
        force_destroy: bool = False,
    ) -> None:
        super().__init__(scope, id_)
        # force_destroy: `destroy` empties the bucket (every version) first; only for disposable data (dev's logs).
        self.bucket = S3Bucket(
            self, "bucket", bucket=bucket_name, force_destroy=force_destroy, tags={"Name": bucket_name}
        )
        self.bucket.override_logical_id(logical_id)
        parts = [
            S3BucketPublicAccessBlock(
                self,
                "public_access_block",
                bucket=self.bucket.id,
                block_public_acls=True,
                block_public_policy=True,
                ignore_public_acls=True,
                restrict_public_buckets=True,
            ),
            S3BucketOwnershipControls(
                self,
                "ownership",
                bucket=self.bucket.id,
                rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
            ),
            S3BucketVersioningA(
                self,
                "versioning",
                bucket=self.bucket.id,
                versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
            ),
            S3BucketServerSideEncryptionConfigurationA(
                self,
                "encryption",
                bucket=self.bucket.id,
                rule=[
                    S3BucketServerSideEncryptionConfigurationRuleA(
                        apply_server_side_encryption_by_default=(
                            S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                                sse_algorithm=sse_algorithm
                            )
                        ),
                        bucket_key_enabled=sse_algorithm == "aws:kms",
                    )
                ],
            ),
            S3BucketLifecycleConfiguration(
                self,
                "lifecycle",
                bucket=self.bucket.id,
                rule=[
                    S3BucketLifecycleConfigurationRule(
                        id="expire-old-versions",
                        status="Enabled",
                        filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                        noncurrent_version_expiration=[
                            S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                                noncurrent_days=noncurrent_version_days
                            )
                        ],
                        expiration=(
                            [S3BucketLifecycleConfigurationRuleExpiration(days=current_version_days)]
                            if current_version_days is not None
                            else None
                        ),
                        abort_incomplete_multipart_upload=[
                            S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=7)
                        ],
                    )
                ],
            ),
            S3BucketPolicy(
                self,
                "policy",
                bucket=self.bucket.id,
                policy=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "DenyInsecureTransport",
                                "Effect": "Deny",
                                "Principal": "*",
                                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"],
                                "Resource": [self.bucket.arn, f"{self.bucket.arn}/*"],
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            },
                            *(
                                [
                                    {
                                        # A writer that asks for another algorithm (Terraform's backend with
                                        # encrypt=true and no kms_key_id asks for AES256) would override the
                                        # KMS default: refused. A write without the header gets the default.
                                        "Sid": "DenyOtherEncryptionThanKms",
                                        "Effect": "Deny",
                                        "Principal": "*",
                                        "Action": ["s3:PutObject"],
                                        "Resource": [f"{self.bucket.arn}/*"],
                                        "Condition": {
                                            "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"},
                                            "Null": {"s3:x-amz-server-side-encryption": "false"},
                                        },
                                    }
                                ]
                                if sse_algorithm == "aws:kms"
                                else []
                            ),
                            *extra_policy_statements,
                        ],
                    }
                ),
            ),
        ]
        for part in parts:
            part.override_logical_id(logical_id)
        # Writers that the policy admits (ALB log delivery) must wait for it: ``depends_on`` this.
        self.policy = parts[-1]
