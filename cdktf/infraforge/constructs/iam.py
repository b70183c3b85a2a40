"""IAM: least-privilege roles for the app instances and for CI, and GitHub's OIDC provider.

No statement grants ``*`` or a whole service (``s3:*``); every action is
named and, where the service supports it, scoped to the one resource it is
for (``tests/infra/test_policies.py`` enforces this over every stack).

* :class:`GithubOidcProvider` (bootstrap stack ``state``): the account's
  trust in ``token.actions.githubusercontent.com``.
* :class:`AppInstanceRole`: the EC2 role of the app tier, SSM Session
  Manager (no SSH), the CloudWatch agent, and read access to exactly the
  secrets the service needs at boot.
* :class:`CiDeployRole`: assumable only by GitHub Actions workflows of the
  configured repository running in the matching GitHub environment; it may
  roll the app tier (instance refresh) and read the stack's state, nothing
  else. Infrastructure changes are applied by an operator, not by CI.
"""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from constructs import Construct

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"


class GithubOidcProvider(Construct):
    """The account's OIDC identity provider for GitHub Actions. Output: :attr:`provider`."""

    def __init__(self, scope: Construct, id_: str) -> None:
        super().__init__(scope, id_)
        self.provider = IamOpenidConnectProvider(
            self,
            "provider",
            url=f"https://{GITHUB_OIDC_HOST}",
            client_id_list=["sts.amazonaws.com"],
        )
        self.provider.override_logical_id("github")


def policy_document(*statements: dict[str, object]) -> str:
    """An IAM policy document (JSON) from ``statements``."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
