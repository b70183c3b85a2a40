"""The repository stands alone: no tracked file refers to a sibling folder outside it."""

from __future__ import annotations

import subprocess

from covaex.docsite.paths import REPO_ROOT


def test_no_tracked_file_refers_to_the_shared_folder_outside_the_repository() -> None:
    proc = subprocess.run(
        ["git", "grep", "-n", "-I", "-F", "-e", "../" + "shared", "--", "."],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout  # git grep: 1 means "no match"
