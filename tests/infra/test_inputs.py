"""Deploy-time inputs: fake-but-valid defaults, overrides by env var or cdktf context, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from infraforge.inputs import DEFAULTS, InputError, cdktf_context, read_inputs

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_defaults_are_valid() -> None:
    inputs = read_inputs("dev", {})
    assert inputs.acm_certificate_arn == DEFAULTS["acm_certificate_arn"]
    assert inputs.allowed_cidrs == ("0.0.0.0/0",)


def test_environment_specific_variable_wins_over_the_shared_one() -> None:
    environ = {"INFRAFORGE_ONPREM_CIDR": "192.168.0.0/16", "INFRAFORGE_PROD_ONPREM_CIDR": "10.200.0.0/16"}
    assert read_inputs("prod", environ).onprem_cidr == "10.200.0.0/16"
    assert read_inputs("dev", environ).onprem_cidr == "192.168.0.0/16"


def test_context_is_read_after_the_environment() -> None:
    context = {"prod.allowed_cidrs": "198.51.100.0/24, 203.0.113.0/24"}
    inputs = read_inputs("prod", {}, context.get)
    assert inputs.allowed_cidrs == ("198.51.100.0/24", "203.0.113.0/24")
    assert read_inputs("prod", {"INFRAFORGE_ALLOWED_CIDRS": "192.0.2.0/24"}, context.get).allowed_cidrs == (
        "192.0.2.0/24",
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("INFRAFORGE_PROD_ACM_CERTIFICATE_ARN", "arn:aws:iam::1:role/x", "ACM certificate ARN"),
        ("INFRAFORGE_PROD_VPN_PEER_IP", "10.0.0.1", "public IPv4"),
        ("INFRAFORGE_PROD_ONPREM_CIDR", "172.16.0.1/16", "IPv4 CIDR"),
        ("INFRAFORGE_PROD_ALLOWED_CIDRS", "0.0.0.0/0,nope", "comma-separated"),
        ("INFRAFORGE_PROD_GITHUB_REPO", "just-a-name", "owner/name"),
        ("INFRAFORGE_PROD_APP_VERSION", "main", "released version"),
        ("INFRAFORGE_PROD_ARTIFACT_BUCKET", "Bad_Bucket", "S3 bucket"),
    ],
)
def test_bad_values_name_their_variable(variable: str, value: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        read_inputs("prod", {variable: value})
    assert variable in str(caught.value)


# the providers (the AWS one alone is ~20 s of imports) and cdktf itself, with jsii's Node runtime
NOT_ON_THE_INPUT_PATH = (
    "cdktf_cdktf_provider_aws",
    "cdktf_cdktf_provider_helm",
    "cdktf_cdktf_provider_kubernetes",
    "cdktf",
    "jsii",
)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("INFRAFORGE_DEV_VPN_PEER_IP", "not-an-ip", "INFRAFORGE_DEV_VPN_PEER_IP must be"),
        # Platform v2's input, once read only while its stack was built
        ("INFRAFORGE_PROD_EKS_PUBLIC_CIDRS", "nope", "public_access_cidrs: 'nope' is not a CIDR"),
    ],
)
def test_the_app_entry_point_reports_a_bad_input_in_one_line(
    variable: str, value: str, message: str, tmp_path: Path
) -> None:
    """``python -m infraforge`` reads every input and config before it imports a stack: a bad one is refused
    without importing cdktf or a provider (the AWS provider alone takes ~20 s), as ``-X importtime`` lists."""
    env = {
        "PATH": "/usr/bin:/bin",
        "INFRAFORGE_PROD_ALARM_EMAIL": "ops@example.org",  # prod's one required input, so the bad one is what stops it
        variable: value,
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    }
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "infraforge", "--out", str(tmp_path)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 1
    imports = [ln for ln in proc.stderr.splitlines() if ln.startswith("import time:")]
    imported = {ln.rsplit("|", 1)[-1].strip() for ln in imports}
    assert {"infraforge.app", "infraforge.config", "infraforge.constructs.config"} <= imported
    assert not [m for m in imported if m.split(".")[0] in NOT_ON_THE_INPUT_PATH]
    assert not [m for m in imported if m.startswith(("infraforge.stacks", "infraforge.platform.stacks"))]
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and "!!" not in ln and ln not in imports]
    assert lines[-1].startswith(f"infraforge: {message}"), lines[-1]
    assert "Traceback" not in proc.stderr


def test_the_context_is_the_one_cdktf_gives_the_app(tmp_path: Path) -> None:
    """The app reads the cdktf context before loading cdktf (``cdktf_context``): it is what cdktf's ``App`` reads."""
    context = {"prod.allowed_cidrs": "198.51.100.0/24", "vpn_enabled": True}
    code = (
        "import json, os; from cdktf import App; from infraforge.inputs import cdktf_context; "
        "ours = cdktf_context(os.environ); app = App(outdir=os.environ['OUT']); "
        f"keys = {sorted(context)!r} + ['absent']; "
        "print(json.dumps([[app.node.try_get_context(k), ours(k)] for k in keys]))"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "CDKTF_CONTEXT_JSON": json.dumps(context),
        "OUT": str(tmp_path / "out"),
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    }
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    pairs = json.loads(proc.stdout.strip().splitlines()[-1])
    assert pairs == [[context["prod.allowed_cidrs"]] * 2, [True, True], [None, None]]
    with pytest.raises(InputError, match="CDKTF_CONTEXT_JSON must be a JSON object"):
        cdktf_context({"CDKTF_CONTEXT_JSON": "[1, 2]"})
