"""The two sides of a diff: a folder of synthesized stacks, a git ref, or the working tree.

    resolve(arg)                -> Source  checked at once: a folder holding stacks/<stack>/cdk.tf.json
                                           (what ``covaex synth --out DIR`` writes), a git ref, or
                                           None for the working tree; BadInput otherwise
    load(source)                -> Side    its stacks, read or synthesized (the slow part)
    folder_side(label, folder)  -> Side    a folder, shown as ``label``

A ref is synthesized from its own ``cdktf/`` and ``cdktf.json``, exported with
``git archive`` into a temporary folder: the working tree, the index and the
list of worktrees are never touched. Every synth output lands in one cache
shared by all refs, ``.cache/covaex-synth/<sources hash>/``, so two refs (or a
ref and the working tree) with the same infrastructure sources synthesize once,
and a warm diff only hashes and reads JSON.
"""

from __future__ import annotations

import fcntl
import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from covaex.errors import BadInput, CliError
from covaex.progress import Steps
from covaex.synth import DEFAULT_OUT, INFRA_SOURCES, REPO_ROOT, SynthResult, sources_hash, synth_stacks
from covaex.topology.terraform import read_terraform

SYNTH_CACHE = REPO_ROOT / ".cache" / "covaex-synth"
# Enough for a branch switched back and forth and a few pull requests; the least recently used go first.
CACHE_ENTRIES = 12
WORKING_TREE = "working tree"


@dataclass(frozen=True)
class Side:
    """One side of a diff: ``label`` as the user named it, ``commit`` for a ref, each stack's JSON and path."""

    label: str
    stacks: Mapping[str, Mapping[str, Any]]
    paths: Mapping[str, Path]
    commit: str | None = None
    origin: str = "folder"  # how it was obtained, for the progress lines: folder, synthesized, synth cache


@dataclass(frozen=True)
class Source:
    """What an argument names, checked without synthesizing: a folder, a commit, or (neither) the working tree."""

    label: str
    folder: Path | None = None
    commit: str | None = None


def resolve(arg: str | None) -> Source:
    """A folder when ``arg`` is one, else a git ref of this repository; None is the working tree."""
    if arg is None:
        return Source(WORKING_TREE)
    folder = Path(arg)
    if folder.is_dir():
        _stack_paths(folder)
        return Source(arg, folder=folder)
    if folder.is_file():
        raise BadInput(f"{arg}: a file; pass the folder holding stacks/<stack>/cdk.tf.json, or a git ref")
    return Source(arg, commit=_resolve_ref(arg))


def load(source: Source) -> Side:
    """The stacks of a resolved source: read, or synthesized (or found in the synth cache)."""
    if source.folder is not None:
        return folder_side(source.label, source.folder)
    if source.commit is not None:
        return _from_synth(source.label, _synth_ref(source.label, source.commit), source.commit)
    return _from_synth(WORKING_TREE, _synth_cached(REPO_ROOT, WORKING_TREE), None)


def folder_side(label: str, folder: Path) -> Side:
    paths = _stack_paths(folder)
    return Side(label, {name: _read(path) for name, path in paths.items()}, paths)


def _stack_paths(folder: Path) -> dict[str, Path]:
    paths = {p.parent.name: p for p in sorted(folder.glob("stacks/*/cdk.tf.json"))}
    if not paths:
        raise BadInput(f"{folder}: no stacks/<stack>/cdk.tf.json in it (write them with `covaex synth --out {folder}`)")
    return paths


def _from_synth(label: str, result: SynthResult, commit: str | None) -> Side:
    paths = {name: result.stack_json(name) for name in result.stacks}
    origin = "synth cache" if result.cached else "synthesized"
    return Side(label, {name: _read(path) for name, path in paths.items()}, paths, commit, origin)


def _read(path: Path) -> Mapping[str, Any]:
    try:
        return read_terraform(path)
    except BadInput:
        raise
    except CliError as exc:
        raise BadInput(str(exc)) from None


def _git(*args: str) -> subprocess.CompletedProcess[bytes]:
    if shutil.which("git") is None:
        raise BadInput("git is not installed: pass folders of synthesized stacks instead of refs")
    return subprocess.run(  # noqa: S603 - git with arguments we built
        ["git", *args],  # noqa: S607 - the user's git, found on PATH like any git command
        cwd=REPO_ROOT,
        capture_output=True,
        check=False,
    )


def _resolve_ref(ref: str) -> str:
    if ref.startswith("-"):
        raise BadInput(f"{ref!r}: not a folder, and a git ref cannot start with '-'")
    proc = _git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if proc.returncode != 0:
        if _git("rev-parse", "--git-dir").returncode != 0:
            raise BadInput(f"{ref!r}: no such folder, and {REPO_ROOT} is not a git checkout to look up refs in")
        raise BadInput(f"{ref!r}: no such folder, and no commit of that name in {REPO_ROOT}")
    return proc.stdout.decode().strip()


def _synth_ref(ref: str, commit: str) -> SynthResult:
    with tempfile.TemporaryDirectory(prefix="covaex-diff-") as tmp:
        root = Path(tmp)
        sources = (INFRA_SOURCES.name, "cdktf.json")
        proc = _git("archive", "--format=tar", commit, "--", *sources)
        if proc.returncode != 0:
            raise BadInput(f"{ref!r} ({commit[:12]}) has no {' and '.join(sources)} to synthesize")
        with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as archive:
            archive.extractall(root, filter="data")
        return _synth_cached(root, f"{ref} ({commit[:12]})")


def _synth_cached(root: Path, label: str) -> SynthResult:
    digest = sources_hash(root)
    out = SYNTH_CACHE / digest
    SYNTH_CACHE.mkdir(parents=True, exist_ok=True)  # the CDKTF app creates only the last folder
    # One synth per sources hash at a time, across threads and processes: BASE and HEAD load
    # in parallel, and when both have the same sources the second finds the first one's output.
    with (SYNTH_CACHE / f"{digest}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            # The checkout's own synth (`covaex synth`, the docs build) is reused when the sources match.
            result = synth_stacks(out, root=root, steps=Steps(1, quiet=True), seeds=(DEFAULT_OUT,))
        except CliError as exc:
            raise BadInput(f"{label}: {exc}") from None
        os.utime(out)  # most recently used: kept by the pruning below
    _prune(SYNTH_CACHE)
    return result


def _prune(cache: Path, keep: int = CACHE_ENTRIES) -> None:
    entries = sorted((p for p in cache.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in entries[keep:]:
        shutil.rmtree(stale, ignore_errors=True)
        stale.with_suffix(".lock").unlink(missing_ok=True)
