"""State backend: the S3 bucket every other stack keeps its Terraform state in.

Deployed once per account by the bootstrap stack ``state`` (with local state,
see the README's deploy section). The bucket is private (public-access
block, bucket-owner-enforced ownership), versioned so a bad apply can be
rolled back to the previous state, encrypted with SSE-KMS, and refuses
non-TLS requests. Locking uses S3's native lockfile (``use_lockfile`` in the
backends), so no DynamoDB table is needed. Old state versions expire after
``noncurrent_version_days``.
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from infraforge.constructs.private_bucket import PrivateBucket


@dataclass(frozen=True)
class StateBackendConfig:
    """Settings of :class:`StateBackend`.

    Attributes:
        bucket_name: globally unique bucket name (input ``state_bucket``).
        noncurrent_version_days: how long superseded state versions are kept for rollback.
    """

    bucket_name: str
    noncurrent_version_days: int = 90

    def __post_init__(self) -> None:
        if self.noncurrent_version_days < 1:
            raise ValueError("noncurrent_version_days must be at least 1")


class StateBackend(Construct):
    """The Terraform state bucket. Output: :attr:`bucket`."""

    def __init__(self, scope: Construct, id_: str, config: StateBackendConfig) -> None:
        super().__init__(scope, id_)
        self.config = config
        self.bucket = PrivateBucket(
            self,
            "state",
            bucket_name=config.bucket_name,
            logical_id="state",
            noncurrent_version_days=config.noncurrent_version_days,
        ).bucket
