"""The site as a Korean talk: the nav tells the story in order, and speaks Korean."""

from __future__ import annotations

import re
from typing import Any

import yaml

from covaex.docsite.facts.site_nav import MKDOCS_YML, _Loader, epics, load_nav, nav_pages

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _labels(nav: list[Any]) -> list[str]:
    out = []
    for entry in nav:
        if isinstance(entry, dict):
            ((label, value),) = entry.items()
            out.append(str(label))
            if isinstance(value, list):
                out.extend(_labels(value))
    return out


def test_the_nav_follows_the_story() -> None:
    nav = load_nav()
    top = [next(iter(e)) if isinstance(e, dict) else e for e in nav]
    assert top == [
        "홈",
        "문제와 As-Is (EPIC 1)",
        "To-Be v1 하이브리드 기반 (EPIC 2)",
        "Platform v2 컨테이너 플랫폼 (EPIC 3)",
        "운영",
        "앱 데모",
        "결과",
        "참고 자료",
    ]
    pages = nav_pages(nav)
    # The footer's "next" walks this list: the EPICs in order, then the results, then the reference.
    firsts = [pages.index(f"generated/epic{n}/index.md") for n in range(1, 10)]
    assert firsts == sorted(firsts)
    assert firsts[-1] < pages.index("generated/results.md") < pages.index("generated/cost.md")
    assert pages[0] == "index.md"
    assert sorted(epics(nav)) == list(range(1, 10))


def test_every_nav_label_speaks_korean_and_the_theme_too() -> None:
    silent = [label for label in _labels(load_nav()) if not HANGUL.search(label)]
    assert silent == []
    config = yaml.load(MKDOCS_YML.read_text(encoding="utf-8"), Loader=_Loader)
    assert config["theme"]["language"] == "ko"
