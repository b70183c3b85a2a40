"""mkdocs hooks (``hooks:`` in mkdocs.yml): regenerate pages while ``mkdocs serve`` runs.

On every (re)build under ``serve``, the generated pages are brought up to
date first, in a child process so that edited service modules are imported
afresh (the serving process would keep the first version it imported).
``covaex docs build`` only writes files whose bytes changed, so the rebuild
it may trigger finds nothing new and stops: no reload loop. ``mkdocs build``
(tests, CI) leaves ``docs/generated/`` alone: it publishes what is
committed, which ``covaex docs check`` keeps honest.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from typing import Any

log = logging.getLogger("mkdocs.hooks.covaex")
_state: dict[str, str] = {}


def on_startup(*, command: str, dirty: bool) -> None:
    _state["command"] = command


def on_pre_build(config: Any) -> None:
    if _state.get("command") != "serve":
        return
    proc = subprocess.run(  # our own interpreter and CLI
        [sys.executable, "-m", "covaex.cli", "docs", "build"], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:  # keep serving the last good pages; say why they are old
        lines = (proc.stderr or "").strip().splitlines()
        log.error("covaex docs build failed, pages not regenerated: %s", lines[-1] if lines else proc.returncode)
