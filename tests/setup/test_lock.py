"""The one lock: uv.lock pins everything Python, and this machine runs exactly it.

A fresh machine must install what the last green run tested (a release such as
redis 8.2.0 changes ``mypy --strict``'s verdict), so set-up installs the lock
hash-checked and these tests fail when anything drifts from it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
UV = str(Path(sys.executable).parent / "uv")


def _locked_versions() -> dict[str, str]:
    lock = tomllib.loads((REPO_ROOT / "uv.lock").read_text(encoding="utf-8"))
    return {p["name"]: p["version"] for p in lock["package"] if "version" in p}


def _uv(*args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "UV_NO_PROGRESS": "1"}
    return subprocess.run([UV, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)


def test_the_lock_is_current_with_pyproject() -> None:
    result = _uv("lock", "--check")
    assert result.returncode == 0, result.stderr


def test_this_environment_is_exactly_the_lock() -> None:
    """Nothing to install, upgrade or remove: every tool and library equals the lock."""
    result = _uv("sync", "--locked", "--extra", "dev", "--dry-run")
    assert result.returncode == 0, result.stderr
    # Lines " - name==version" / " + name==version" are what a sync would change; the project itself
    # is rebuilt whenever pyproject.toml was edited since the last sync, which is not drift.
    changes = [ln for ln in (result.stderr + result.stdout).splitlines() if re.match(r"^ [-+~] (?!covaex[ =@])", ln)]
    assert changes == [], changes


@pytest.mark.parametrize("name", ["redis", "mypy", "ruff", "checkov", "sanic", "httpx", "playwright", "cdktf"])
def test_tools_run_the_locked_version(name: str) -> None:
    from importlib.metadata import version

    assert version(name) == _locked_versions()[name]


def test_the_derived_locks_are_exported_from_uv_lock() -> None:
    """requirements/service.lock (artifact, image) and bootstrap.lock (uv) come from uv.lock."""
    result = subprocess.run(
        [sys.executable, "scripts/lock_exports.py", "--uv", UV, "--check"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    locked = _locked_versions()
    service = (REPO_ROOT / "requirements/service.lock").read_text(encoding="utf-8")
    pins = dict(re.findall(r"^([a-z0-9][a-z0-9._-]*)==([^ ;\\\n]+)", service, flags=re.MULTILINE))
    assert pins, "service.lock pins nothing"
    assert {name: locked[name] for name in pins} == pins


def test_the_service_lock_carries_arm64_wheels_for_compiled_dependencies() -> None:
    """The instances are Graviton: the export keeps every platform's hashes, not the build box's only."""
    lock = tomllib.loads((REPO_ROOT / "uv.lock").read_text(encoding="utf-8"))
    for name in ("uvloop", "httptools", "asyncpg", "argon2-cffi-bindings", "ujson"):
        (package,) = (p for p in lock["package"] if p["name"] == name)
        wheels = [w["url"] for w in package.get("wheels", [])]
        assert any(("cp311-cp311" in w or "abi3" in w) and "manylinux" in w and "aarch64" in w for w in wheels), name


def test_setup_refuses_a_pyproject_the_lock_does_not_match(tmp_path: Path) -> None:
    """A dependency added without `make lock` stops set-up with one line naming the lock."""
    for name in ("pyproject.toml", "uv.lock", "README.md", "requirements/service.lock", "requirements/bootstrap.lock"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    check = [sys.executable, str(REPO_ROOT / "scripts/lock_exports.py"), "--uv", UV, "--check", "--root", str(tmp_path)]
    # the copy as committed passes the gate ...
    assert subprocess.run(check, capture_output=True, text=True, check=False).returncode == 0
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace('"filelock>=3.16,<4",', '"filelock>=3.16,<4",\n  "tabulate",'),
        encoding="utf-8",
    )
    assert "tabulate" in pyproject.read_text(encoding="utf-8")
    # ... and the same copy with one more dependency does not, in one line.
    result = subprocess.run(check, capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "setup: uv.lock is out of date with pyproject.toml: run `make lock` and commit uv.lock and requirements/"
    ]
    assert "scripts/lock_exports.py --check || exit 1" in (REPO_ROOT / "scripts/setup.sh").read_text(encoding="utf-8")
