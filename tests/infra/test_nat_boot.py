"""The dev NAT instance's user data, run as synthesized with the instance around it stubbed (tests/support/sandbox.py).

The instance boots before Terraform associates its Elastic IP, with no other
public address: the first minutes have no egress. The script must wait for its
route and its EIP and retry the package install, not end at the first failure
under ``set -e`` (which leaves dev without egress until someone replaces it).
"""

from __future__ import annotations

from pathlib import Path

from tests.infra.stack_json import Json, resource
from tests.support.sandbox import Run, fails_first, run_script

ROUTE = "default via 10.20.0.1 dev ens5 proto dhcp src 10.20.0.10 metric 512"


def _boot(script: str, tmp: Path, *, route_after: int, eip_after: int, dnf_failures: int) -> Run:
    stubs = {
        # the default route appears after `route_after` empty answers
        "ip": fails_first(route_after, key="route", message="") + f"echo '{ROUTE}'",
        # IMDSv2: the token always; public-ipv4 only once the EIP is associated
        "curl": 'case "$*" in *public-ipv4*) '
        + fails_first(eip_after, key="eip", message="curl: (22) 404")
        + " echo 203.0.113.7;; *) echo token;; esac",
        "dnf": fails_first(dnf_failures, key="dnf", message="Curl error (28): Timeout was reached"),
        "sleep": "",
        "sysctl": "",
        "iptables": "",
        "service": "",
        "systemctl": "",
    }
    return run_script(script, tmp, stubs=stubs, writable=("/etc/sysctl.d",))


def test_nat_boot_waits_for_route_and_eip_and_retries_the_install(dev: Json, tmp_path: Path) -> None:
    script = resource(dev, "aws_instance.nat")["user_data"]
    run = _boot(script, tmp_path, route_after=2, eip_after=4, dnf_failures=3)
    assert run.returncode == 0, run.stderr
    installs = run.called("dnf install -y iptables-services")
    assert len(installs) == 4, run.calls  # 3 failures, then the install that worked
    eip_checks = [i for i, call in enumerate(run.calls) if "public-ipv4" in call]
    assert len(eip_checks) == 5
    # order: the route, then the EIP, then the install, then the NAT itself
    assert max(run.called("ip -o route show default")[:3]) < eip_checks[0]
    assert eip_checks[-1] < installs[0]
    masquerade = run.called("iptables -t nat -A POSTROUTING -o ens5 -j MASQUERADE")
    assert masquerade and masquerade[0] > installs[-1]
    assert run.called("systemctl enable --now iptables")
    assert (run.roots["/etc/sysctl.d"] / "90-nat.conf").read_text() == "net.ipv4.ip_forward = 1\n"
    # every failed try is one line in the boot log, naming the command
    assert run.stderr.count("failed: dnf install -y iptables-services") == 3


def test_nat_boot_gives_up_in_one_line_naming_the_step(dev: Json, tmp_path: Path) -> None:
    script = resource(dev, "aws_instance.nat")["user_data"]
    run = _boot(script, tmp_path, route_after=0, eip_after=0, dnf_failures=1000)
    assert run.returncode != 0
    assert "boot: gave up after 10 tries: dnf install -y iptables-services" in run.stderr.splitlines()
    assert not run.called("iptables")
