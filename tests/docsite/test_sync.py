"""write_tree / diff_tree: only changed files are written, stale ones removed, drift named."""

from __future__ import annotations

from pathlib import Path

from covaex.docsite.sync import diff_tree, unified_diff, write_tree


def test_write_tree_writes_only_what_changed(tmp_path: Path) -> None:
    first = write_tree(tmp_path, {"a.md": b"one\n", "sub/b.md": b"two\n"})
    assert sorted(first.missing) == ["a.md", "sub/b.md"]
    before = (tmp_path / "a.md").stat().st_mtime_ns

    again = write_tree(tmp_path, {"a.md": b"one\n", "sub/b.md": b"two!\n"})

    assert again.changed == ["sub/b.md"] and not again.missing and not again.stale
    # An unchanged file is not rewritten: mkdocs serve would otherwise reload forever.
    assert (tmp_path / "a.md").stat().st_mtime_ns == before


def test_write_tree_removes_pages_no_longer_produced(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.md": b"x", "old/gone.md": b"y"})
    diff = write_tree(tmp_path, {"a.md": b"x"})
    assert diff.stale == ["old/gone.md"]
    assert not (tmp_path / "old").exists()


def test_diff_tree_names_every_differing_file(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.md": b"x", "b.md": b"y", "c.md": b"z"})
    diff = diff_tree(tmp_path, {"a.md": b"x", "b.md": b"changed", "d.md": b"new"})
    assert diff.lines("docs/generated/") == [
        "docs/generated/b.md (changed)",
        "docs/generated/c.md (not produced any more)",
        "docs/generated/d.md (missing)",
    ]
    assert not diff.clean


def test_unified_diff_shows_what_changed_and_stays_short(tmp_path: Path) -> None:
    old = "".join(f"line {i}\n" for i in range(100))
    write_tree(tmp_path, {"a.md": old.encode()})
    new = old.replace("line 10\n", "line ten\n").replace("line 80\n", "line eighty\n")
    lines = unified_diff(tmp_path, "a.md", new.encode(), limit=6)
    assert lines[0] == "--- a.md (committed)"
    assert "-line 10" in lines and "+line ten" in lines
    assert len(lines) == 7 and lines[-1].startswith("... ")
