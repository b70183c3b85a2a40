"""``covaex diff`` between two git refs that differ in one construct: cold and warm synth cache.

Not a test: it prints figures. The head ref is a commit made for the run
from HEAD's tree with one construct setting changed (the prod database's
``multi_az=prod`` becomes ``multi_az=False``), written with a temporary git
index (``git commit-tree``): the working tree, the index and every branch
stay as they are; only an unreferenced commit object is added.

Figures, in one run, against a baseline:

* baseline — one plain ``covaex synth --force`` of the working tree (what
  each side of a diff costs with no cache);
* cold — ``covaex diff HEAD <commit>`` with an empty synth cache (two synths);
* warm — the same again, both sides found in the cache by their sources hash.

Run: ``.venv/bin/python benchmarks/diff_refs.py``
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from covaex.diff import sources
from covaex.diff.command import run_diff
from covaex.progress import Steps
from covaex.synth import REPO_ROOT, synth_stacks

CONSTRUCT_FILE = "cdktf/infraforge/config.py"
BEFORE, AFTER = "multi_az=prod,", "multi_az=False,"


def git(*args: str, env: dict[str, str] | None = None, stdin: bytes | None = None) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=REPO_ROOT, input=stdin, capture_output=True, check=True, env={**os.environ, **(env or {})}
    )
    return proc.stdout.decode().strip()


def one_construct_commit(tmp: Path) -> str:
    source = git("show", f"HEAD:{CONSTRUCT_FILE}")
    if source.count(BEFORE) != 1:
        sys.exit(f"benchmark: expected one {BEFORE!r} in {CONSTRUCT_FILE}; update the benchmark")
    index = {"GIT_INDEX_FILE": str(tmp / "index")}
    git("read-tree", "HEAD", env=index)
    blob = git("hash-object", "-w", "--stdin", stdin=(source.replace(BEFORE, AFTER) + "\n").encode())
    git("update-index", "--cacheinfo", f"100644,{blob},{CONSTRUCT_FILE}", env=index)
    tree = git("write-tree", env=index)
    return git("commit-tree", tree, "-p", "HEAD", "-m", "benchmark: prod database single-AZ", env=index)


def timed_diff(base: str, head: str) -> tuple[float, int, dict[str, Any]]:
    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        status = run_diff(base, head, fmt="json", fail_on="high")
    return time.perf_counter() - start, status, json.loads(out.getvalue())


def main() -> None:
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    with tempfile.TemporaryDirectory(prefix="covaex-diff-bench-") as tmp_name:
        tmp = Path(tmp_name)
        base, head = git("rev-parse", "HEAD"), one_construct_commit(tmp)
        print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (1/5/15 min)")
        print(f"refs: HEAD {base[:12]} vs {head[:12]} ({CONSTRUCT_FILE}: {BEFORE} -> {AFTER})")

        start = time.perf_counter()
        synth_stacks(tmp / "plain", force=True, steps=Steps(1, quiet=True))
        baseline = time.perf_counter() - start

        sources.SYNTH_CACHE = tmp / "cache"  # an empty cache for the cold run
        cold, status, doc = timed_diff(base, head)
        warm, _, again = timed_diff(base, head)
        assert again == doc, "the warm run must print what the cold run printed"

    introduced = [f"{f['stack']}:{f['id']}" for f in doc["spof"]["introduced"]]
    print(f"diff: exit {status}, stacks changed {sorted(doc['stacks'])}, SPOF introduced {introduced}")
    print(f"{'baseline: one covaex synth --force':<44}{baseline:8.1f} s")
    print(f"{'cold: covaex diff, empty synth cache':<44}{cold:8.1f} s  ({cold / baseline:.1f}x baseline)")
    print(f"{'warm: covaex diff, both sides cached':<44}{warm:8.2f} s  ({warm / baseline:.3f}x baseline)")


if __name__ == "__main__":
    main()
