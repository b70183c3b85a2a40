"""README "Deploy to AWS": every input, the apply order, and what to do when a resource already exists."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from infraforge.inputs import DEFAULTS
from infraforge.platform.config import PUBLIC_CIDRS_INPUT

REPO_ROOT = Path(__file__).resolve().parents[2]


def deploy_section() -> str:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    return text[text.index("<!-- deploy:begin -->") : text.index("<!-- deploy:end -->")]


def test_every_input_is_listed() -> None:
    section = deploy_section()
    listed = set(re.findall(r"^\| `([A-Z_]+)` \|", section, flags=re.MULTILINE))
    assert listed == {name.upper() for name in DEFAULTS} | {PUBLIC_CIDRS_INPUT.upper()}


def test_the_apply_order_is_the_dependency_order() -> None:
    section = deploy_section()
    order = [section.index(step) for step in (
        "cdktf deploy state", "cdktf deploy tobe-v1-dev", "cdktf deploy platform-v2-registry",
        "scripts/platform-apply.sh dev", "python -m infraforge.gitops_site dev",
    )]  # fmt: skip
    assert order == sorted(order)


def test_existing_resources_have_a_documented_way_out() -> None:
    section = deploy_section()
    table = section[section.index("### When a resource already exists") :]
    for what in ("GitHub OIDC provider", "state bucket", "customer gateway", "RDS exported log groups", "EKS add-ons"):
        assert what in table, what
    assert "INFRAFORGE_GITHUB_OIDC_PROVIDER_ARN" in table


def test_the_two_phase_script_targets_the_cluster_half(synthesized: object) -> None:
    result = subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / "platform-apply.sh"), "dev", "--print-targets"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    targets = result.stdout.split()
    assert "-target=aws_eks_node_group.general" in targets
    assert {"-target=aws_eks_addon.vpc_cni", "-target=aws_eks_addon.coredns"} <= set(targets)
    assert not [t for t in targets if "helm_release" in t or "kubernetes_" in t]
    bad = subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / "platform-apply.sh"), "staging"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (
        bad.returncode == 2 and bad.stderr.strip() == "platform-apply: environment must be dev or prod, got 'staging'"
    )
