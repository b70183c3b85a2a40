"""Keep ``docs/generated/`` equal to a rendered file set, touching only what changed.

``mkdocs serve`` watches ``docs/``: rewriting an unchanged file would wake it
again and again, so ``write_tree`` writes a file only when its bytes differ
and removes only files that are no longer produced. ``diff_tree`` is the same
comparison without writing: the drift gate behind ``covaex docs check``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DIFF_LINES_PER_FILE = 12


@dataclass(frozen=True)
class TreeDiff:
    """How a folder differs from the wanted files (paths relative to it, sorted)."""

    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.changed or self.missing or self.stale)

    def lines(self, prefix: str) -> list[str]:
        """One ``<path> (changed|missing|stale)`` line per differing file."""
        tagged = [(p, "changed") for p in self.changed] + [(p, "missing") for p in self.missing]
        tagged += [(p, "not produced any more") for p in self.stale]
        return [f"{prefix}{path} ({why})" for path, why in sorted(tagged)]


def unified_diff(root: Path, rel: str, wanted: bytes, *, limit: int = DIFF_LINES_PER_FILE) -> list[str]:
    """What changed in one file, as the first ``limit`` lines of a unified diff (images: one line)."""
    path = root / rel
    old = path.read_bytes() if path.is_file() else b""
    try:
        before, after = old.decode("utf-8"), wanted.decode("utf-8")
    except UnicodeDecodeError:
        return [f"Binary files {rel} differ"]
    if rel.endswith(".svg"):
        return [f"--- {rel}: diagram redrawn ({len(old)} -> {len(wanted)} bytes)"]
    lines = list(
        difflib.unified_diff(
            before.splitlines(),
            after.splitlines(),
            f"{rel} (committed)",
            f"{rel} (from the definitions)",
            n=1,
            lineterm="",
        )
    )
    if len(lines) > limit:
        return [*lines[:limit], f"... {len(lines) - limit} more diff lines in {rel}"]
    return lines


def diff_tree(root: Path, wanted: Mapping[str, bytes]) -> TreeDiff:
    diff = TreeDiff()
    for rel in sorted(wanted):
        path = root / rel
        if not path.is_file():
            diff.missing.append(rel)
        elif path.read_bytes() != wanted[rel]:
            diff.changed.append(rel)
    diff.stale.extend(sorted(set(_existing(root)) - set(wanted)))
    return diff


def write_tree(root: Path, wanted: Mapping[str, bytes]) -> TreeDiff:
    """Make ``root`` hold exactly ``wanted``; returns what had to change."""
    diff = diff_tree(root, wanted)
    for rel in diff.changed + diff.missing:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(wanted[rel])
    for rel in diff.stale:
        (root / rel).unlink()
    # Drop folders left empty by removed pages, deepest first.
    if root.is_dir():
        for folder in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
            if not any(folder.iterdir()):
                folder.rmdir()
    return diff


def _existing(root: Path) -> list[str]:
    if not root.is_dir():
        return []
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
