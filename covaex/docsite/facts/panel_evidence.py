"""The side panel's contract, read from the page template and ``panels.js`` and checked against each other.

From ``ui/templates/base.html.j2`` (parsed as HTML): the quick bar's buttons
(their ``data-panel``, label, ``aria-controls`` and initial ``aria-expanded``)
and the panel element's dialog attributes. From ``static/js/panels.js``: the
title and the renderer of each panel kind, and the statements that move the
focus and keep ``aria-expanded`` in step. A quick-bar button whose panel has
no title or no renderer, or a button that controls another element than the
panel, or a behaviour whose statement is gone from ``panels.js``, fails the build.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from covaex.docsite.facts.browser_js import JS_DIR
from covaex.docsite.inputs import Inputs
from covaex.docsite.paths import REPO_ROOT
from covaex.docsite.sections import FactError

TEMPLATE = REPO_ROOT / "service" / "covaex_service" / "ui" / "templates" / "base.html.j2"
PANELS_JS = JS_DIR / "panels.js"

# (what the page promises, the statement of panels.js that keeps it)
BEHAVIOUR: tuple[tuple[str, str], ...] = (
    ("열면 패널 제목으로 포커스가 감 (스크린 리더가 제목을 읽음)", "this.title.focus();"),
    ("닫으면 패널을 연 버튼으로 포커스가 돌아감", "this.opener.focus();"),
    ("퀵 바 버튼의 aria-expanded가 열린 패널과 맞춰짐", 'button.setAttribute("aria-expanded"'),
    ("한 번에 한 패널: 다른 버튼은 같은 패널의 내용을 바꿈", "this.panel.dataset.kind = kind;"),
)


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.buttons: list[dict[str, str]] = []
        self.panel: dict[str, str | None] = {}
        self._label: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "button" and "quick" in (found.get("class") or "").split():
            self._label = {k: v or "" for k, v in found.items()} | {"label": ""}
            self.buttons.append(self._label)
        if found.get("id") == "panel":
            self.panel = {"tag": tag, **found}

    def handle_endtag(self, tag: str) -> None:
        if tag == "button":
            self._label = None

    def handle_data(self, data: str) -> None:
        if self._label is not None and data.strip():
            self._label["label"] += data.strip()


def panel_contract(inputs: Inputs) -> dict[str, Any]:
    page = _Page()
    page.feed(TEMPLATE.read_text(encoding="utf-8"))
    js = PANELS_JS.read_text(encoding="utf-8")
    titles = dict(re.findall(r'^\s+(\w+): "([^"]+)",$', _block(js, "const TITLES = {"), re.M))
    renderers = set(re.findall(r"^\s+(\w+): \(\) => this\.\w+\(\),$", _block(js, "const renderers = {"), re.M))
    where = _rel(TEMPLATE)
    if not page.buttons or not page.panel:
        raise FactError(f"{where}: no quick-bar button or no element with id=panel")
    rows = []
    for button in page.buttons:
        kind = button.get("data-panel", "")
        if kind not in titles or kind not in renderers:
            raise FactError(f"{where}: quick-bar button {kind!r} has no title or no renderer in panels.js")
        if button.get("aria-controls") != "panel":
            raise FactError(
                f"{where}: quick-bar button {kind!r} controls {button.get('aria-controls')!r}, not the panel"
            )
        rows.append(
            {"kind": kind, "label": button["label"], "title": titles[kind], "expanded": button.get("aria-expanded")}
        )
    lost = [code for _, code in BEHAVIOUR if code not in js]
    if lost:
        raise FactError(f"{_rel(PANELS_JS)}: no `{lost[0]}` any more: the panel page would say so")
    behaviour = [{"what": what, "code": code} for what, code in BEHAVIOUR]
    attrs = {k: page.panel.get(k) for k in ("tag", "role", "aria-modal", "aria-labelledby")}
    attrs["hidden"] = "예" if "hidden" in page.panel else "아니오"
    return {"buttons": rows, "panel": attrs, "behaviour": behaviour}


def _block(text: str, opening: str) -> str:
    start = text.find(opening)
    if start < 0:
        raise FactError(f"{_rel(PANELS_JS)}: `{opening}` not found")
    return text[start : text.index("};", start)]


def _rel(path: Path) -> str:
    return (path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path).as_posix()
