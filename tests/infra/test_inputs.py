"""Deploy-time inputs: fake-but-valid defaults, overrides by env var or cdktf context, clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from infraforge.inputs import DEFAULTS, InputError, read_inputs

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


def test_the_app_entry_point_reports_a_bad_input_in_one_line(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "INFRAFORGE_DEV_VPN_PEER_IP": "not-an-ip",
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "infraforge", "--out", str(tmp_path)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 1
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and "!!" not in ln]
    assert lines[-1].startswith("infraforge: INFRAFORGE_DEV_VPN_PEER_IP must be")
    assert "Traceback" not in proc.stderr
