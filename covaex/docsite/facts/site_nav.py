"""The site's page structure, read from mkdocs.yml's ``nav`` (its single source).

EPIC overview pages list their tasks and sub-task pages from here, so the
nav, the overviews and the backlog cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from covaex.docsite.paths import REPO_ROOT

MKDOCS_YML = REPO_ROOT / "mkdocs.yml"
GENERATED_PREFIX = "generated/"


class _Loader(yaml.SafeLoader):
    """mkdocs.yml uses ``!!python/name`` tags; the nav does not need them resolved."""


_Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


@dataclass(frozen=True)
class NavPage:
    title: str
    path: str  # relative to docs/


@dataclass
class NavTask:
    title: str
    pages: list[NavPage] = field(default_factory=list)


@dataclass
class NavEpic:
    number: int
    title: str
    index: str
    tasks: list[NavTask] = field(default_factory=list)


def load_nav(mkdocs_yml: Path = MKDOCS_YML) -> list[Any]:
    config = yaml.load(mkdocs_yml.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    nav: list[Any] = config.get("nav") or []
    return nav


def nav_pages(nav: list[Any]) -> list[str]:
    """Every page path in the nav, in nav order."""
    found: list[str] = []
    for entry in nav:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        if isinstance(value, list):
            found.extend(nav_pages(value))
        elif isinstance(value, str):
            found.append(value)
    return found


_EPIC = re.compile(r"\bEPIC (\d+)\b")


def epics(nav: list[Any]) -> dict[int, NavEpic]:
    """``{1: NavEpic(...)}`` for every section of the nav whose title names ``EPIC n``, at any depth
    (the talk groups EPIC 4-6 under 운영 and 7-9 under 앱 데모)."""
    out: dict[int, NavEpic] = {}
    for entry in nav:
        if not isinstance(entry, dict):
            continue
        ((title, children),) = entry.items()
        if not isinstance(children, list):
            continue
        match = _EPIC.search(str(title))
        if match is None:
            out.update(epics(children))
            continue
        number = int(match.group(1))
        epic = NavEpic(number, str(title), index="")
        for child in children:
            if isinstance(child, str):
                epic.index = child
                continue
            ((task_title, value),) = child.items()
            if isinstance(value, str) and value.endswith("/index.md"):
                epic.index = value
            elif isinstance(value, str):  # a page directly under the EPIC: its own one-page task
                epic.tasks.append(NavTask(str(task_title), [NavPage(str(task_title), value)]))
            else:
                task = NavTask(str(task_title))
                for sub in value:
                    ((sub_title, path),) = sub.items()
                    task.pages.append(NavPage(str(sub_title), str(path)))
                epic.tasks.append(task)
        out[number] = epic
    return out
