"""mkdocs hooks (``hooks:`` in mkdocs.yml): regenerate pages while ``mkdocs serve`` runs.

On every (re)build under ``serve``, the generated pages are brought up to
date first. ``covaex docs build`` only writes files whose bytes changed, so
the rebuild it may trigger finds nothing new and stops: no reload loop.
``mkdocs build`` (tests, CI) leaves ``docs/generated/`` alone: it publishes
what is committed, which ``covaex docs check`` keeps honest.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("mkdocs.hooks.covaex")
_state: dict[str, str] = {}


def on_startup(*, command: str, dirty: bool) -> None:
    _state["command"] = command


def on_pre_build(config: Any) -> None:
    if _state.get("command") != "serve":
        return
    from covaex_service.errors import CovaexError

    from covaex.docsite.build import build_docs

    try:
        build_docs(quiet=True)
    except CovaexError as exc:  # keep serving the last good pages; say why they are old
        log.error("covaex docs build failed, pages not regenerated: %s", exc)
