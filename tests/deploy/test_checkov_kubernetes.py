"""checkov --framework kubernetes on the rendered overlays: 0 failed, every skip justified."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.deploy_checks import Rendered, run, tool

# one worker runs the module: its checkov run (~14 s) is a module fixture, computed once per worker
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("checkov-kubernetes")]

# Negative control, scanned in the same run (checkov starts slowly): a
# privileged, root, probe-less pod on a moving tag must fail.
INSECURE = """apiVersion: apps/v1
kind: Deployment
metadata: {name: bad, namespace: covaex-dev}
spec:
  selector: {matchLabels: {app: bad}}
  template:
    metadata: {labels: {app: bad}}
    spec:
      containers:
        - name: bad
          image: nginx:latest
          securityContext: {privileged: true, runAsUser: 0}
"""


@pytest.fixture(scope="module")
def results(rendered: dict[str, Rendered], tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """checkov's failed/passed/skipped checks, keyed ``<kind>:<file>``."""
    scan = tmp_path_factory.mktemp("checkov")
    for env, r in rendered.items():
        (scan / f"{env}.yaml").write_text(r.text, encoding="utf-8")
    (scan / "control.yaml").write_text(INSECURE, encoding="utf-8")
    # Run from the folder itself so a repository-level .checkov.yaml (settings
    # of the Terraform scan) does not leak in; the skips here are inline.
    result = run(
        [tool("checkov"), "--framework", "kubernetes", "-d", ".", "--skip-download", "-o", "json"],
        cwd=scan,
        timeout=240,
    )
    assert result.stdout.strip(), f"checkov printed nothing:\n{result.stderr[-2000:]}"
    report = json.loads(result.stdout)
    assert isinstance(report, dict) and report["check_type"] == "kubernetes", "one kubernetes report"
    assert report["summary"]["parsing_errors"] == 0
    out: dict[str, list[dict[str, Any]]] = {}
    for kind in ("failed", "passed", "skipped"):
        for check in report["results"].get(f"{kind}_checks", []):
            out.setdefault(f"{kind}:{Path(check['file_path']).name}", []).append(check)
    return out


def test_no_failed_checks_on_the_overlays(results: dict[str, list[dict[str, Any]]]) -> None:
    for env in ("dev", "prod"):
        failed = [f"{c['check_id']} {c['resource']}: {c['check_name']}" for c in results.get(f"failed:{env}.yaml", [])]
        assert failed == [], env
        assert len(results[f"passed:{env}.yaml"]) > 80, "checkov really checked the overlay"


def test_every_skip_is_justified(results: dict[str, list[dict[str, Any]]]) -> None:
    for env in ("dev", "prod"):
        skipped = results[f"skipped:{env}.yaml"]
        assert {c["check_id"] for c in skipped} == {"CKV_K8S_43", "CKV_K8S_35"}
        for check in skipped:
            reason = check["check_result"].get("suppress_comment", "")
            assert len(reason.split()) >= 8, f"{check['check_id']} skipped without a real reason: {reason!r}"


def test_checkov_fails_an_insecure_deployment(results: dict[str, list[dict[str, Any]]]) -> None:
    failed = {c["check_id"] for c in results["failed:control.yaml"]}
    assert {"CKV_K8S_16", "CKV_K8S_14", "CKV_K8S_8", "CKV_K8S_9"} <= failed
