"""checkov over the Platform v2 stacks: zero failed checks under the repository's skip list."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
CHECKOV_CONFIG = REPO_ROOT / ".checkov.yaml"
# Checks the platform stacks rely on being skipped; each has its justification in .checkov.yaml.
PLATFORM_SKIPS = ("CKV_AWS_39", "CKV_AWS_37")


def _skipped_in_config() -> set[str]:
    import yaml

    config = yaml.safe_load(CHECKOV_CONFIG.read_text()) or {}
    return set(config.get("skip-check", []))


def test_platform_skips_are_in_the_shared_config() -> None:
    assert CHECKOV_CONFIG.is_file(), "the repository's .checkov.yaml holds every justified skip"
    assert set(PLATFORM_SKIPS) <= _skipped_in_config()


@pytest.mark.slow
def test_checkov_finds_no_failed_check(platform_paths: dict[str, Path]) -> None:
    checkov = Path(sys.executable).with_name("checkov")
    command = [str(checkov), "--framework", "terraform_json", "--output", "json", "--quiet", "--compact"]
    if CHECKOV_CONFIG.is_file():
        command += ["--config-file", str(CHECKOV_CONFIG)]
    for path in platform_paths.values():
        command += ["--file", str(path)]
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE"}
    proc = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO_ROOT, check=False)
    report = json.loads(proc.stdout)
    reports = report if isinstance(report, list) else [report]
    failed = [
        f"{check['check_id']} {check['resource']} ({check['file_path']})"
        for one in reports
        for check in one.get("results", {}).get("failed_checks", [])
    ]
    assert failed == []
    assert sum(one["summary"]["passed"] for one in reports) > 100
