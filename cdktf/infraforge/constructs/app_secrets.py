"""Service secrets the app reads at boot, other than the database's.

Only the session signing key (``COVAEX_SECRET_KEY``) lives here. Terraform
creates the empty secret and never its value, so the key is in neither the
state nor the code: the operator stores a random value once after the first
apply (README, deploy section). The database password is RDS's own managed
secret (:mod:`infraforge.constructs.database`).
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret
from constructs import Construct

from infraforge.constructs.config import AppSecretsConfig


class AppSecrets(Construct):
    """The session-key secret. Output: :attr:`session_key`."""

    def __init__(self, scope: Construct, id_: str, config: AppSecretsConfig, *, kms_key_arn: str | None = None) -> None:
        super().__init__(scope, id_)
        self.config = config
        self.session_key = SecretsmanagerSecret(
            self,
            "session_key",
            name=f"{config.name}/session-key",
            description="COVAEX_SECRET_KEY: session signing key, set by the operator (never by Terraform)",
            recovery_window_in_days=config.recovery_window_days,
            kms_key_id=kms_key_arn,
        )
        self.session_key.override_logical_id("session_key")
