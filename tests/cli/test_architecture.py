"""The architecture rules, as import contracts ([tool.importlinter] in pyproject.toml), hold.

Each rule is a contract import-linter checks on the real import graph, lazy
imports included: the analyses and the topology model import neither the docs
nor the review, the review does not import the docs, the market's read side
does not import the ingest, the environment profiles and the venue table are
plain data, and the service never imports the tooling.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def test_every_import_contract_is_kept() -> None:
    contracts = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=REPO_ROOT, check=False, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(contracts)} kept, 0 broken." in result.stdout
