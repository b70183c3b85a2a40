"""The tag policy of the release workflow, run: what tag each kind of push gets, or why it is refused.

The ``tags`` step of ``.github/workflows/release.yml`` (job ``image``) is a
shell script; this module runs that very script (read from the workflow, not
copied) under bash against a throwaway git repository whose ``origin`` has a
``main`` branch, once per case: a push to main, a release tag on main,
malformed release tags and a well-formed tag on a commit that is not on main.
What the page shows is what the script wrote to ``$GITHUB_OUTPUT`` and its
``::error::`` line, nothing typed.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import yaml

from covaex.docsite.inputs import Inputs
from covaex.docsite.paths import REPO_ROOT
from covaex.docsite.sections import FactError, PendingInput

RELEASE = REPO_ROOT / ".github" / "workflows" / "release.yml"
JOB, STEP = "image", "tags"

# (case, ref type, ref name, on main?): every branch of the script
CASES: tuple[tuple[str, str, str, bool], ...] = (
    ("main에 push", "branch", "main", True),
    ("main의 커밋에 릴리스 태그", "tag", "v1.4.0", True),
    ("부 버전까지만 있는 태그", "tag", "v1.4", True),
    ("앞에 0이 붙은 태그", "tag", "v01.4.0", True),
    ("main에 없는 커밋에 릴리스 태그", "tag", "v1.5.0", False),
)


def release_tags(inputs: Inputs) -> dict[str, Any]:
    """``{"script": the step's run text, "cases": [{case, ref, status, outputs, error}]}``."""
    if not RELEASE.is_file():
        raise PendingInput("`.github/workflows/release.yml` does not exist yet")
    script = _step_script()
    with tempfile.TemporaryDirectory(prefix="covaex-tags-") as tmp:
        root = Path(tmp)
        on_main, off_main = _repository(root)
        cases = []
        for name, ref_type, ref_name, main in CASES:
            sha = on_main if main else off_main
            cases.append(
                {"case": name, "ref": f"{ref_type} `{ref_name}`", **_run(root, script, sha, ref_type, ref_name)}
            )
    return {"script": script, "cases": cases, "path": RELEASE.relative_to(REPO_ROOT).as_posix()}


def _step_script() -> str:
    doc = yaml.safe_load(RELEASE.read_text(encoding="utf-8")) or {}
    steps = ((doc.get("jobs") or {}).get(JOB) or {}).get("steps") or []
    step = next((s for s in steps if s.get("id") == STEP), None)
    if step is None or "run" not in step:
        raise FactError(f"{RELEASE.relative_to(REPO_ROOT)}: job {JOB} has no step with id {STEP!r} and a run script")
    return str(step["run"])


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    proc = subprocess.run(  # noqa: S603 - git on a throwaway repository of our own
        ["git", "-c", "user.name=docs", "-c", "user.email=docs@example.com", *args],  # noqa: S607
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if proc.returncode != 0:
        raise FactError(f"git {' '.join(args)} failed in the tag policy's sandbox: {proc.stderr.strip()[-200:]}")
    return proc.stdout.strip()


def _repository(root: Path) -> tuple[str, str]:
    """An ``origin`` (bare) with one commit on main, a clone at it, and a commit only on a side branch."""
    origin, work = root / "origin.git", root / "work"
    _git(root, "init", "-q", "--bare", "-b", "main", str(origin))
    _git(root, "clone", "-q", str(origin), str(work))
    _git(work, "checkout", "-q", "-b", "main")
    _git(work, "commit", "-q", "--allow-empty", "-m", "released")
    _git(work, "push", "-q", "origin", "main")
    on_main = _git(work, "rev-parse", "HEAD")
    _git(work, "checkout", "-q", "-b", "side")
    _git(work, "commit", "-q", "--allow-empty", "-m", "not on main")
    return on_main, _git(work, "rev-parse", "HEAD")


def _run(root: Path, script: str, sha: str, ref_type: str, ref_name: str) -> dict[str, Any]:
    output = root / "github_output"
    output.write_text("", encoding="utf-8")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "RELEASE_SHA": sha,
        "REF_TYPE": ref_type,
        "REF_NAME": ref_name,
        "GITHUB_OUTPUT": str(output),
    }
    # GitHub runs a step's script with bash -e {0}
    proc = subprocess.run(  # noqa: S603 - the workflow's own step, in a sandbox repository
        ["bash", "-e", "-c", script],  # noqa: S607
        cwd=root / "work",
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=60,
    )
    outputs = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines() if "=" in line)
    if "sha_tag" in outputs:
        outputs["sha_tag"] = outputs["sha_tag"].replace(sha, "<git sha>")
    for key in ("deploy_tag", "release_tag"):
        if key in outputs:
            outputs[key] = outputs[key].replace(sha, "<git sha>")
    error = next((ln.split("::error::", 1)[1] for ln in proc.stdout.splitlines() if "::error::" in ln), "")
    return {"status": proc.returncode, "outputs": outputs, "error": error.replace(sha, "<git sha>")}
