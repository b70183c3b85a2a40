"""The system components outside the lock are the ones requirements/system.toml states.

Each test compares this machine (or the synthesized stacks) with one line of that file,
so a new Node, Chromium, PostgreSQL or Redis, or a stack moving to a new engine, fails
here until the file says what is supported and why.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

from covaex.synth import SynthResult

REPO_ROOT = Path(__file__).resolve().parents[2]
SYSTEM = tomllib.loads((REPO_ROOT / "requirements/system.toml").read_text(encoding="utf-8"))
WORKFLOWS = REPO_ROOT / ".github/workflows"


def _output(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


def test_python_is_the_supported_minor() -> None:
    assert f"{sys.version_info.major}.{sys.version_info.minor}" == SYSTEM["python"]["version"]
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert SYSTEM["python"]["version"] in pyproject["project"]["requires-python"]


def test_node_is_the_supported_major_and_ci_pins_it() -> None:
    node = SYSTEM["node"]
    assert int(_output("node", "--version").lstrip("v").split(".")[0]) == node["major"]
    assert node["ci"].split(".")[0] == str(node["major"])
    for path in WORKFLOWS.glob("*.yml"):
        for pinned in re.findall(r'^\s*NODE_VERSION: "([^"]+)"', path.read_text(encoding="utf-8"), flags=re.M):
            assert pinned == node["ci"], path.name


def test_every_ci_container_is_pinned_by_digest() -> None:
    containers = []
    for path in WORKFLOWS.glob("*.yml"):
        containers += re.findall(r"^\s*container:\s*(\S+)", path.read_text(encoding="utf-8"), flags=re.M)
    assert len(containers) >= 4
    for image in containers:
        assert re.fullmatch(r"python:3\.11-bookworm@sha256:[0-9a-f]{64}", image), image
    assert len(set(containers)) == 1, "one CI image, one digest"


def test_chromium_and_playwright_are_the_stated_pair() -> None:
    chromium = SYSTEM["chromium"]
    found = re.search(r"Chromium (\d+)\.", _output("/usr/bin/chromium", "--version"))
    assert found, "no version from /usr/bin/chromium"
    assert int(found.group(1)) >= chromium["min_major"]
    assert version("playwright") == chromium["playwright"]


def _resource(result: SynthResult, stack: str, kind: str) -> dict[str, object]:
    doc = json.loads(result.stack_json(stack).read_text(encoding="utf-8"))
    (resource,) = doc["resource"][kind].values()
    assert isinstance(resource, dict)
    return resource


@pytest.mark.slow
def test_postgresql_local_and_prod_are_the_stated_majors(synthesized: SynthResult) -> None:
    pg = SYSTEM["postgresql"]
    local = _output("bash", "-c", "ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1")
    assert f"/postgresql/{pg['local_major']}/" in local
    prod = _resource(synthesized, "tobe-v1-prod", "aws_db_instance")
    assert str(prod["engine_version"]).split(".")[0] == str(pg["prod_major"])


@pytest.mark.slow
def test_redis_local_and_prod_are_the_stated_versions(synthesized: SynthResult) -> None:
    redis = SYSTEM["redis"]
    found = re.search(r"v=(\d+\.\d+)", _output("redis-server", "--version"))
    assert found and found.group(1) == redis["local"]
    prod = _resource(synthesized, "tobe-v1-prod", "aws_elasticache_replication_group")
    assert str(prod["engine_version"]) == redis["prod"]


def test_a_rootfs_records_the_packages_it_was_built_with(tmp_path: Path) -> None:
    from tests.boot.rootfs import SUITE, record_packages

    assert SYSTEM["rootfs"]["suite"] == SUITE
    status = tmp_path / "var/lib/dpkg/status"
    status.parent.mkdir(parents=True)
    status.write_text(
        "Package: systemd\nStatus: install ok installed\nVersion: 252.33-1~deb12u1\n\n"
        "Package: gone\nStatus: deinstall ok config-files\nVersion: 1.0\n\n"
        "Package: python3.11\nStatus: install ok installed\nVersion: 3.11.2-6+deb12u6\n",
        encoding="utf-8",
    )
    record = record_packages(tmp_path)
    assert record.read_text(encoding="utf-8") == "python3.11 3.11.2-6+deb12u6\nsystemd 252.33-1~deb12u1\n"
