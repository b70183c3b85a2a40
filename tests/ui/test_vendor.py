"""The chart library is served by the service itself: a pinned npm package's dist file, vendored byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
VENDORED = REPO_ROOT / "service" / "covaex_service" / "ui" / "static" / "vendor"
NPM = REPO_ROOT / "tools" / "lint"
FILES = {"lightweight-charts.standalone.production.js": ("lightweight-charts", "dist")}


@pytest.mark.parametrize("name", sorted(FILES))
def test_the_vendored_file_is_the_pinned_npm_packages_own(name: str) -> None:
    package, folder = FILES[name]
    pinned = json.loads((NPM / "package.json").read_text())["devDependencies"][package]
    assert pinned[0].isdigit(), f"{package} must be pinned to an exact version, not {pinned!r}"
    installed = NPM / "node_modules" / package
    if not installed.is_dir():
        pytest.fail(f"{installed} is missing: scripts/setup.sh installs the pinned npm packages")
    assert json.loads((installed / "package.json").read_text())["version"] == pinned
    assert (VENDORED / name).read_bytes() == (installed / folder / name).read_bytes()
    assert f"v{pinned}" in (VENDORED / name).read_text()[:300]


def test_the_vendored_files_ship_in_the_wheel_as_package_data() -> None:
    import tomllib

    globs = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["*"]
    assert all(any(Path(name).match(g) for g in globs) for name in FILES)
    assert not [p.name for p in VENDORED.iterdir() if p.name not in FILES], "every vendored file has its npm check"
