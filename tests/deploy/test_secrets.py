"""No secret literals in the repository: detect-secrets against the committed baseline."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.deploy_checks import REPO_ROOT, run, tool

pytestmark = pytest.mark.slow

BASELINE = REPO_ROOT / ".secrets.baseline"


def tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    return [name for name in listed if name and (REPO_ROOT / name).is_file()]


def hook(files: list[str], baseline: Path) -> subprocess.CompletedProcess[str]:
    # The hook rewrites a baseline whose line numbers moved: give it a copy.
    return run([tool("detect-secrets-hook"), "--baseline", baseline, *files], timeout=240)


def test_no_new_secret_in_any_tracked_file(tmp_path: Path) -> None:
    copy = tmp_path / "baseline.json"
    shutil.copy(BASELINE, copy)
    files = tracked_files()
    assert len(files) > 100
    result = hook(files, copy)
    # 0: clean; 3: clean, only line numbers of known entries moved.
    assert result.returncode in {0, 3}, (
        result.stdout
        + result.stderr
        + "\nA real secret: remove it and rotate it. A false positive: mark the line `# pragma: allowlist secret`,"
        " or run `.venv/bin/detect-secrets scan --baseline .secrets.baseline $(git ls-files)` and audit the new"
        " entries (`.venv/bin/detect-secrets audit .secrets.baseline`)."
    )


def test_baseline_entries_are_all_audited_false_positives() -> None:
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
    entries = [(name, e) for name, found in baseline["results"].items() for e in found]
    unaudited = [f"{name}:{e['line_number']} {e['type']}" for name, e in entries if e.get("is_secret") is not False]
    assert unaudited == [], "audit them (detect-secrets audit .secrets.baseline) or remove the secret"
    # Nothing under deploy/, the workflows or the Dockerfile may even look like a secret.
    assert not [n for n, _ in entries if n.startswith(("deploy/", ".github/", "Dockerfile"))]


def test_only_vendored_files_and_imdsv2_settings_are_excluded() -> None:
    filters = json.loads(BASELINE.read_text(encoding="utf-8"))["filters_used"]
    excluded = {f["path"].rpartition(".")[2]: f["pattern"] for f in filters if "pattern" in f}
    # Third-party minified code, lock files, this baseline itself, the EC2
    # IMDSv2 switch `http_tokens` (a keyword false positive in the stacks), and
    # image digests (`@sha256:<64 hex>`, a public content address the Dockerfile
    # pins its base by): nothing else.
    assert excluded == {
        "should_exclude_file": [r"^\.secrets\.baseline$|(^|/)vendor/|\.min\.(js|css)$|package-lock\.json$"],
        "should_exclude_line": ["http_tokens", "@sha256:[0-9a-f]{64}"],
    }


def test_a_new_secret_is_caught(tmp_path: Path) -> None:
    """Negative control: an AWS key (built at run time, so this file holds none) fails the check."""
    leaked = tmp_path / "settings.py"
    leaked.write_text(f'AWS_ACCESS_KEY_ID = "{"AKIA" + "Q7RZ4MDXW2JN5KPL"}"\n', encoding="utf-8")
    copy = tmp_path / "baseline.json"
    shutil.copy(BASELINE, copy)
    result = hook([str(leaked)], copy)
    assert result.returncode == 1
    assert "AWS Access Key" in result.stdout
