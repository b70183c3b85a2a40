"""Deploy-time inputs that need real values: certificate, on-prem side, CIDRs, repository.

The defaults are fake but valid (documentation IP ranges, a zero account id,
``example.com``) so ``synth`` and the tests run anywhere; an operator sets
the real ones before ``cdktf deploy``. Each input is read, in order, from

1. the environment variable ``INFRAFORGE_<ENV>_<NAME>`` (e.g. ``INFRAFORGE_PROD_ACM_CERTIFICATE_ARN``),
2. the environment variable ``INFRAFORGE_<NAME>`` (shared by every environment),
3. the cdktf context key ``<env>.<name>`` then ``<name>`` (``cdktf.json`` ``"context"``),
4. the default below.

Every value is validated here, so a bad one stops the synth with a message
that names the variable instead of failing later inside Terraform.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

REGION = "ap-northeast-2"
FAKE_ACCOUNT = "111122223333"

DEFAULTS: dict[str, str] = {
    "acm_certificate_arn": f"arn:aws:acm:{REGION}:{FAKE_ACCOUNT}:certificate/00000000-0000-0000-0000-000000000000",
    "onprem_cidr": "172.16.0.0/16",
    "vpn_peer_ip": "203.0.113.10",
    "allowed_cidrs": "0.0.0.0/0",
    "github_repo": "covaex/infraforge",
    "app_version": "0.1.0",
    "artifact_bucket": "covaex-infraforge-artifacts",
    "alarm_email": "",
    "alarm_opt_out": "",
    "state_bucket": "covaex-infraforge-tfstate",
    "vpn_enabled": "",
    # Amazon Linux 2023 arm64 (Graviton) image of the app tier: a fake but well-formed id.
    "app_ami_id": "ami-0123456789abcdef0",
    "github_oidc_provider_arn": "",
}

DOCS_EXAMPLE_DEFAULTS: dict[str, str] = {**DEFAULTS, "alarm_email": "alarms@example.com"}
"""The defaults of the documentation's synth (``covaex synth``, ``python -m infraforge --docs-example``).

prod refuses to synthesize without an alarm subscriber (see
:class:`~infraforge.constructs.config.ObservabilityConfig`); the docs
describe a prod that has one, so their synth subscribes this reserved
example address (RFC 2606: it can never receive mail). ``cdktf synth`` and
``cdktf deploy`` never use it.
"""

_ACM_ARN = re.compile(r"^arn:aws:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$")
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
# A released version (the wheel's), never a branch: what an instance runs must not move under it.
_VERSION = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_AMI = re.compile(r"^ami-[0-9a-f]{8}([0-9a-f]{9})?$")
_OIDC_PROVIDER_ARN = re.compile(r"^arn:aws:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$")
_SWITCH = {"": None, "true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_DOCUMENTATION_NETS = ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")


CDKTF_CONTEXT_ENV = "CDKTF_CONTEXT_JSON"
"""Where the cdktf CLI hands the app its context (``cdktf.json``'s ``"context"``): cdktf's ``App`` reads it into
its node's context (``CONTEXT_ENV`` of its ``lib/app.js``); :func:`cdktf_context` reads it the same way without
loading cdktf (``tests/infra/test_inputs.py`` compares the two)."""


class InputError(ValueError):
    """A deploy-time input has a value that cannot work; the message names where it came from."""


@dataclass(frozen=True)
class DeployInputs:
    """Validated deploy-time inputs of one environment.

    Attributes:
        acm_certificate_arn: ACM certificate (same region) for the ALB's HTTPS listener.
        onprem_cidr: the on-prem network reached through the site-to-site VPN.
        vpn_peer_ip: public IPv4 address of the on-prem VPN device (customer gateway).
        allowed_cidrs: who may reach the ALB on 80/443 (``0.0.0.0/0`` for a public site).
        github_repo: ``owner/name`` of the repository whose workflows may assume the CI role.
        app_version: released version the app instances install and run (``X.Y.Z``, from the artifact bucket).
        artifact_bucket: S3 bucket of the release artifacts (bootstrap stack ``state``), ``covaex/<version>/``.
        alarm_email: address subscribed to the alarm topic (empty: none; prod then needs ``alarm_opt_out``).
        alarm_opt_out: the operator states that alarms go nowhere on purpose (prod without ``alarm_email``).
        state_bucket: S3 bucket holding every stack's Terraform state (bootstrap stack ``state``).
        vpn_enabled: build the site-to-site VPN (None: the environment's default, on in prod, off in dev).
        app_ami_id: the app tier's AMI (arm64 Amazon Linux 2023); pinned, so only a reviewed change of
            this input rolls the instances, never a new AWS release read at plan time.
        github_oidc_provider_arn: the account's existing GitHub OIDC provider (empty: stack ``state`` creates it).
    """

    acm_certificate_arn: str
    onprem_cidr: str
    vpn_peer_ip: str
    allowed_cidrs: tuple[str, ...]
    github_repo: str
    app_version: str
    artifact_bucket: str
    alarm_email: str
    alarm_opt_out: bool
    state_bucket: str
    vpn_enabled: bool | None
    app_ami_id: str
    github_oidc_provider_arn: str


def cdktf_context(environ: Mapping[str, str]) -> Callable[[str], Any]:
    """The app's cdktf context as ``App(...).node.try_get_context`` gives it, read from :data:`CDKTF_CONTEXT_ENV`."""
    raw = environ.get(CDKTF_CONTEXT_ENV, "")
    try:
        values = json.loads(raw) if raw else {}
    except ValueError as exc:
        raise InputError(f"{CDKTF_CONTEXT_ENV} must be a JSON object, got {raw[:60]!r} ({exc})") from None
    if not isinstance(values, dict):
        raise InputError(f"{CDKTF_CONTEXT_ENV} must be a JSON object, got {raw[:60]!r}")
    return values.get


def read_inputs(
    environment: str,
    environ: Mapping[str, str],
    context: Callable[[str], Any] | None = None,
    defaults: Mapping[str, str] = DEFAULTS,
) -> DeployInputs:
    """Read and validate the inputs of ``environment`` (see the module docstring for the order).

    ``defaults`` replaces the last step (the docs' synth passes :data:`DOCS_EXAMPLE_DEFAULTS`).
    """

    def raw(name: str) -> tuple[str, str]:
        for var in (f"INFRAFORGE_{environment.upper()}_{name.upper()}", f"INFRAFORGE_{name.upper()}"):
            if environ.get(var):
                return environ[var].strip(), var
        if context is not None:
            for key in (f"{environment}.{name}", name):
                value = context(key)
                if value is not None:
                    return str(value).strip(), f"cdktf context {key!r}"
        return defaults[name], f"default of {name}"

    def check(name: str, ok: Callable[[str], bool], expected: str) -> str:
        value, source = raw(name)
        if not ok(value):
            raise InputError(f"{source} must be {expected}, got {value!r}")
        return value

    def switch(name: str) -> bool | None:
        return _SWITCH[check(name, lambda v: v.lower() in _SWITCH, "true or false").lower()]

    allowed_raw = check(
        "allowed_cidrs",
        lambda v: all(_is_ipv4_net(c) for c in _split(v)) and bool(_split(v)),
        "a comma-separated list of IPv4 CIDRs",
    )
    return DeployInputs(
        acm_certificate_arn=check(
            "acm_certificate_arn",
            lambda v: bool(_ACM_ARN.match(v)),
            "an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<uuid>)",
        ),
        onprem_cidr=check("onprem_cidr", _is_ipv4_net, "an IPv4 CIDR such as 172.16.0.0/16"),
        vpn_peer_ip=check("vpn_peer_ip", _is_public_ipv4, "the public IPv4 address of the on-prem VPN device"),
        allowed_cidrs=tuple(_split(allowed_raw)),
        github_repo=check("github_repo", lambda v: bool(_REPO.match(v)), "a GitHub repository as owner/name"),
        app_version=check("app_version", lambda v: bool(_VERSION.match(v)), "a released version X.Y.Z"),
        artifact_bucket=check("artifact_bucket", lambda v: bool(_BUCKET.match(v)), "a valid S3 bucket name"),
        alarm_email=check("alarm_email", lambda v: v == "" or bool(_EMAIL.match(v)), "an e-mail address or empty"),
        alarm_opt_out=bool(switch("alarm_opt_out")),
        state_bucket=check("state_bucket", lambda v: bool(_BUCKET.match(v)), "a valid S3 bucket name"),
        vpn_enabled=switch("vpn_enabled"),
        app_ami_id=check("app_ami_id", lambda v: bool(_AMI.match(v)), "an AMI id such as ami-0123456789abcdef0"),
        github_oidc_provider_arn=check(
            "github_oidc_provider_arn",
            lambda v: v == "" or bool(_OIDC_PROVIDER_ARN.match(v)),
            "empty or arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com",
        ),
    )


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _is_ipv4_net(value: str) -> bool:
    try:
        return ipaddress.ip_network(value, strict=True).version == 4
    except ValueError:
        return False


def _is_public_ipv4(value: str) -> bool:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    # The documentation ranges (TEST-NET) are allowed so the fake default synthesizes.
    documentation = any(
        address in ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
    )
    return address.version == 4 and (address.is_global or documentation)
