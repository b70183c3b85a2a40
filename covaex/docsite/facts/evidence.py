"""Which tests prove what a page states: the test functions whose names speak of the page's subject.

A thin page (a rule stated in a sentence) lists the tests that exercise it,
found by name in ``tests/`` (read with ``ast``, never imported), so the page
names its evidence and a removed test disappears from it.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from covaex.docsite.inputs import Inputs
from covaex.docsite.paths import REPO_ROOT

TESTS_DIR = REPO_ROOT / "tests"
# Where the service's and the UI's tests live: a word like "snapshot" also names a database's final
# snapshot in the infrastructure tests, which prove nothing about the page.
SERVICE_TEST_FOLDERS = ("service", "ui")
# Page subject -> words a test's name must contain one of.
TOPICS: dict[str, tuple[str, ...]] = {
    "guest": ("guest",),
    "header": ("header", "menu"),
    "panel": ("panel",),
    "ssr": ("ssr", "snapshot", "first_paint"),
}


def tests_about(words: tuple[str, ...], root: Path = TESTS_DIR) -> list[tuple[str, str]]:
    """``(path, test name)`` of every test function whose name contains one of ``words``, sorted."""
    return _about(_test_functions(root), words)


def _about(functions: list[tuple[str, str]], words: tuple[str, ...]) -> list[tuple[str, str]]:
    return sorted((path, name) for path, name in functions if any(w in name for w in words))


def _test_functions(root: Path) -> list[tuple[str, str]]:
    """``(path, name)`` of every test function of the service's and the UI's tests (each file parsed once)."""
    found = []
    paths = sorted(p for folder in SERVICE_TEST_FOLDERS for p in (root / folder).rglob("test_*.py"))
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_"):
                found.append((path.relative_to(root.parent).as_posix(), node.name))
    return found


def evidence(inputs: Inputs) -> dict[str, Any]:
    functions = _test_functions(TESTS_DIR)  # parsed once for every topic
    return {topic: _about(functions, words) for topic, words in TOPICS.items()}
