"""The tree is ``ruff format``-ted: formatting is a gate, not a matter of review."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
RUFF = Path(sys.executable).with_name("ruff")


def test_every_python_file_is_formatted() -> None:
    result = subprocess.run(
        [str(RUFF), "format", "--check", "--output-format", "concise", "."],
        cwd=REPO_ROOT,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"run `ruff format` on:\n{result.stdout}{result.stderr}"
