"""mkdocs hooks (``hooks:`` in mkdocs.yml): regenerate pages while ``mkdocs serve`` runs.

On every (re)build under ``serve``, the generated pages are brought up to
date first, in a child process so that edited service modules are imported
afresh (the serving process would keep the first version it imported).
``covaex docs build`` only writes files whose bytes changed, so the rebuild
it may trigger finds nothing new and stops: no reload loop. ``mkdocs build``
(tests, CI) leaves ``docs/generated/`` alone: it publishes what is
committed, which ``covaex docs check`` keeps honest.

Under ``serve`` the screenshots are taken once, by the first build, when
Chromium is here and none exist yet (:func:`build_flags`); later rebuilds keep
them (they need a service and a browser); ``covaex docs build`` retakes them, and
:func:`on_page_markdown` shows whatever it left in ``docs/screenshots/``, or
why there is nothing (:mod:`covaex.docsite.screenshots`).
"""

from __future__ import annotations

import logging
import posixpath
import subprocess
import sys
from pathlib import Path
from typing import Any

from covaex.docsite.screenshots import CHROMIUM, GALLERY_MARKER, gallery

log = logging.getLogger("mkdocs.hooks.covaex")
SLIDES_SRC = "generated/slides/"
SLIDES_URL = "slides/"
_state: dict[str, str] = {}


def on_startup(*, command: str, dirty: bool) -> None:
    _state["command"] = command


def on_pre_build(config: Any) -> None:
    if _state.get("command") != "serve":
        return
    proc = subprocess.run(  # noqa: S603 - our own interpreter and CLI, fixed flags
        [sys.executable, "-m", "covaex.cli", "docs", "build", *build_flags(Path(config["docs_dir"]))],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:  # keep serving the last good pages; say why they are old
        lines = (proc.stderr or "").strip().splitlines()
        log.error("covaex docs build failed, pages not regenerated: %s", lines[-1] if lines else proc.returncode)


def on_files(files: Any, *, config: Any) -> Any:
    """The slide deck, generated under ``docs/generated/slides/`` (drift-gated with the pages), is served at
    ``slides/``: ``mkdocs serve``, then open ``/slides/`` (:mod:`covaex.docsite.slides`)."""
    for file in files:
        if file.src_uri.startswith(SLIDES_SRC):
            file.dest_uri = SLIDES_URL + file.src_uri.removeprefix(SLIDES_SRC)
    return files


def build_flags(docs_dir: Path, chromium: Path = CHROMIUM) -> list[str]:
    """``covaex docs build``'s flags under ``serve``: the first build takes the screenshots when Chromium is
    here and none were taken yet (so the main page shows them), every later rebuild keeps them."""
    if chromium.is_file() and not _state.get("shots_tried") and not any((docs_dir / "screenshots").glob("*.png")):
        _state["shots_tried"] = "1"
        return []
    return ["--no-screenshots"]


def on_page_markdown(markdown: str, *, page: Any, config: Any, files: Any) -> str:
    """The screenshot gallery in place of its marker (the generated Markdown stays the same everywhere)."""
    if GALLERY_MARKER not in markdown:
        return markdown
    return markdown.replace(GALLERY_MARKER, gallery(Path(config["docs_dir"]), posixpath.dirname(page.file.src_uri)))
