"""State backend: the S3 bucket every other stack keeps its Terraform state in.

Deployed once per account by the bootstrap stack ``state`` (with local state,
see the README's deploy section). The bucket is private (public-access
block, bucket-owner-enforced ownership), versioned so a bad apply can be
rolled back to the previous state, encrypted with SSE-KMS, and refuses
non-TLS requests. Locking uses S3's native lockfile (``use_lockfile`` in the
backends), so no DynamoDB table is needed. Old state versions expire after
``noncurrent_version_days``.

Every stack that keeps its state there declares its backend with
:func:`s3_state_backend`, the one place its settings are written. The bucket's
default encryption (SSE-KMS) encrypts the state: the backend sends no
encryption header. Terraform's ``encrypt = true`` without ``kms_key_id`` would
send ``x-amz-server-side-encryption: AES256`` with every state write
(``internal/backend/remote-state/s3/client.go``, ``PutObject``), which overrides
the bucket default and stores the state under SSE-S3 instead of KMS; the
bucket's policy now refuses any write that asks for another algorithm than
``aws:kms`` (:class:`~infraforge.constructs.private_bucket.PrivateBucket`), so
that mistake fails the write instead of silently downgrading it.
"""

from __future__ import annotations

from cdktf import S3Backend, TerraformStack
from constructs import Construct

from infraforge.constructs.config import StateBackendConfig
from infraforge.constructs.private_bucket import PrivateBucket


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


def s3_state_backend(stack: TerraformStack, *, bucket: str, key: str, region: str) -> S3Backend:
    """The S3 backend of ``stack``: state at ``key`` in ``bucket``, S3-native locking, the bucket's KMS encryption.

    No ``encrypt``: with it and no ``kms_key_id`` Terraform asks S3 for AES256 on each write (see the module
    docstring); without it the bucket's default SSE-KMS applies, the one place the state's encryption is set.
    """
    backend = S3Backend(stack, bucket=bucket, key=key, region=region)
    # S3-native locking (Terraform >= 1.10, OpenTofu >= 1.10); the binding predates the flag.
    backend.add_override("use_lockfile", True)
    return backend
