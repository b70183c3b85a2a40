"""The IaC and review commands run without the service's runtime.

`covaex synth`, `spof`, `diagram` and `diff` read stacks, never the service: they must
work (and `covaex --help` must start) in a process where every library that only the
`service` extra brings is missing. The test blocks those imports in a real subprocess;
the list comes from pyproject.toml, so a new service dependency is blocked too.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[2]


def _service_only_modules() -> list[str]:
    extras = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]

    def names(extra: str) -> set[str]:
        return {Requirement(r).name.lower() for r in extras[extra] if not r.startswith("covaex[")}

    only = names("service") - names("infra") - names("docs")
    modules = [m for m, dists in packages_distributions().items() if any(d.lower() in only for d in dists)]
    assert {"sanic", "redis", "asyncpg"} <= set(modules)
    return sorted(modules)


def _run_without_service(*argv: str) -> subprocess.CompletedProcess[str]:
    prelude = (
        "import sys\n"
        f"for m in {_service_only_modules()!r}: sys.modules[m] = None\n"
        "from covaex.cli import main\n"
        f"sys.exit(main({list(argv)!r}))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", prelude], cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["spof", "diagrams/asis.yaml", "--format", "json"],
        ["diff", "covaex/diff/examples/base", "covaex/diff/examples/head", "--fail-on", "never"],
    ],
    ids=["help", "spof", "diff"],
)
def test_review_commands_need_no_service_runtime(argv: list[str]) -> None:
    proc = _run_without_service(*argv)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout


def test_diagram_needs_no_service_runtime(tmp_path: Path) -> None:
    out = tmp_path / "asis.svg"
    proc = _run_without_service("diagram", "diagrams/asis.yaml", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert out.read_text(encoding="utf-8").lstrip().startswith("<")


def test_the_block_is_real() -> None:
    """`serve` does need the service: under the same block it fails, so the block bites."""
    proc = _run_without_service("serve", "--port", "1")
    assert proc.returncode != 0
    assert "sanic" in proc.stderr or "redis" in proc.stderr or "asyncpg" in proc.stderr, proc.stderr
