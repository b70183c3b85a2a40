"""Rendering bugs, by kind, on every generated page: a line swallowed by the table above it, a heading,
admonition or tab printed inside the paragraph before it (a cut-off intro), HTML entities shown literally
inside code, comments flattened into one run of text."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from covaex.docsite.render import prose, quote, separate_blocks

pytestmark = pytest.mark.slow

BLOCK_START = ("#", "!!! ", "??? ", '=== "')


def _unfenced(page: str) -> Iterator[tuple[int, str, str]]:
    """(line number, line, next line) outside fenced code."""
    lines, fenced = page.split("\n"), False
    for i, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if not fenced:
            yield i + 1, line, lines[i + 1] if i + 1 < len(lines) else ""


def _pages(rendered: Mapping[str, bytes]) -> dict[str, str]:
    return {p: b.decode() for p, b in rendered.items() if p.endswith(".md")}


def test_no_line_is_swallowed_by_the_table_above_it(rendered: Mapping[str, bytes]) -> None:
    bad = [
        (path, n, following[:60])
        for path, page in _pages(rendered).items()
        for n, line, following in _unfenced(page)
        if line.lstrip().startswith("|") and following.strip() and not following.lstrip().startswith("|")
    ]
    assert bad == []


def test_no_heading_admonition_or_tab_runs_into_the_text_before_it(rendered: Mapping[str, bytes]) -> None:
    bad = [
        (path, n, following[:60])
        for path, page in _pages(rendered).items()
        for n, line, following in _unfenced(page)
        if line.strip() and not line.startswith("<!--") and following.lstrip().startswith(BLOCK_START)
    ]
    assert bad == []


def test_no_entity_is_shown_literally_inside_code(rendered: Mapping[str, bytes]) -> None:
    bad = [
        (path, span[:60])
        for path, page in _pages(rendered).items()
        for span in (m.group(0) for m in re.finditer(r"(`+)([^`\n]+?)\1", page))
        if re.search(r"&(lt|gt|amp);", span)
    ]
    assert bad == []


def test_the_built_pages_show_none_of_these_bugs(site: Path) -> None:
    for html in site.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        assert not re.search(r"<code>[^<]*&amp;(lt|gt|amp);", text), html
        assert not re.search(r"<p>[^<]*(!!! |=== &quot;|=== \")", text), html
        assert not re.search(r"<td>\s*#+ ", text), html


def test_separate_blocks_closes_tables_and_opens_blocks_but_leaves_fences() -> None:
    source = '| a |\n| --- |\n| 1 |\n**next**\nintro\n=== "tab"\n```\n| x |\ny\n```'
    assert separate_blocks(source) == '| a |\n| --- |\n| 1 |\n\n**next**\nintro\n\n=== "tab"\n```\n| x |\ny\n```'
    indented = "    | a |\n    #### h"
    assert separate_blocks(indented) == "    | a |\n\n    #### h"


def test_prose_escapes_text_but_not_code_spans() -> None:
    assert prose("tag v<semver> as ``tobe-v1-<env>`` or `<x>` & more") == (
        "tag v&lt;semver&gt; as ``tobe-v1-<env>`` or `<x>` &amp; more"
    )


def test_quote_keeps_paragraphs_and_usage_lines() -> None:
    text = "Build the image.\nPush it.\n\nUsage:\n\n    covaex serve --port 8000\n    covaex docs build\n\n- one\n- two"
    assert quote(text) == (
        "Build the image. Push it.\n>\n> Usage:\n>\n"
        "> `covaex serve --port 8000`<br>`covaex docs build`\n>\n> - one<br>- two"
    )
