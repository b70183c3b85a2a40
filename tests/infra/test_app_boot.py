"""The app instances' user data, run as synthesized with the instance around it stubbed (tests/support/sandbox.py).

The CloudWatch agent ships the service log and the boot's own output: it must
start whatever the service does. A failed first start of the service (a secret
not readable yet) or a failed install must not skip it; those are the instances
whose logs matter. The real boot, under systemd, is the boot drill (tests/boot).
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.infra.stack_json import Json
from tests.infra.test_app_tier import boot_script
from tests.support.sandbox import Run, fails_first, run_script

AGENT = "amazon-cloudwatch-agent-ctl -a fetch-config"
# the dnf stub installs the agent's control script as the package would
_AGENT_PACKAGE = """install -d /opt/aws/amazon-cloudwatch-agent/bin
cat > /opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl <<'CTL'
#!/bin/bash
echo "amazon-cloudwatch-agent-ctl $*" >> "$STUB_LOG"
{body}
CTL
chmod 0755 /opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl
"""
# python3.11 -m venv makes the pip the script calls by its path
_VENV = """install -d /opt/covaex/venv/bin
printf '#!/bin/bash\\necho "pip $*" >> "$STUB_LOG"\\n' > /opt/covaex/venv/bin/pip
chmod 0755 /opt/covaex/venv/bin/pip
"""


_INSTALL = """args=()
while [ $# -gt 0 ]; do case $1 in -o|-g) shift 2;; *) args+=("$1"); shift;; esac; done
exec /usr/bin/install "${args[@]}"
"""


def _boot(
    stack: Json, tmp: Path, *, dnf_failures: int = 0, download: str = "", agent: str = "", start: str = ""
) -> Run:
    # Terraform references (endpoints, ARNs) stand as plain words: bash would read ${...} as its own.
    script = re.sub(r"\$\{[^}]+\}", "tf-ref", boot_script(stack))
    stubs = {
        "dnf": fails_first(dnf_failures, key="dnf", message="Curl error (28)") + _AGENT_PACKAGE.format(body=agent),
        "id": "exit 1",
        "useradd": "",
        # no covaex user in the sandbox: the real install, without the owner
        "install": _INSTALL,
        "aws": download,
        "tar": "",
        "python3.11": _VENV,
        "systemctl": 'case "$*" in "start covaex.service"|"enable --now covaex.service") ' + (start or ":") + ";; esac",
        "sleep": "",
    }
    writable = ("/opt", "/usr/local/sbin", "/etc/systemd/system", "/var/log")
    return run_script(script, tmp, stubs=stubs, writable=writable)


def test_agent_starts_before_the_service_and_a_failed_first_start_ends_nothing(prod: Json, tmp_path: Path) -> None:
    run = _boot(prod, tmp_path, dnf_failures=2, start="echo 'Job for covaex.service failed' >&2; exit 1")
    assert run.returncode == 0, run.stderr
    assert len(run.called("dnf install")) == 3  # two failed tries, then the packages
    agent, start = run.called(AGENT), run.called("systemctl start covaex.service")
    assert len(agent) == 1 and len(start) == 1, run.calls
    assert agent[0] < run.called("aws s3 cp")[0] < start[0]
    assert run.called("systemctl enable covaex.service")
    assert "the first start of covaex.service failed, systemd restarts it" in run.stderr
    assert (run.roots["/etc/systemd/system"] / "covaex.service").is_file()


def test_agent_runs_when_the_install_fails(prod: Json, tmp_path: Path) -> None:
    run = _boot(prod, tmp_path, download="echo 'fatal error: Could not connect to the endpoint URL' >&2; exit 1")
    assert run.returncode != 0  # the boot stops at the failed download, its output shipped by the agent
    assert run.called(AGENT) and not run.called("systemctl start")


def test_service_starts_when_the_agent_does_not(prod: Json, tmp_path: Path) -> None:
    run = _boot(prod, tmp_path, agent="echo 'AccessDeniedException' >&2; exit 1")
    assert run.returncode == 0, run.stderr
    assert run.called("systemctl start covaex.service")
    assert "the CloudWatch agent did not start, the service starts without it" in run.stderr


def test_agent_ships_the_boot_output_beside_the_service_log(prod: Json) -> None:
    import json

    from tests.infra.stack_json import resource

    config = json.loads(resource(prod, "aws_ssm_parameter.cloudwatch_agent")["value"])
    files = config["logs"]["logs_collected"]["files"]["collect_list"]
    assert [f["file_path"] for f in files] == ["/var/log/covaex/service.log", "/var/log/cloud-init-output.log"]
