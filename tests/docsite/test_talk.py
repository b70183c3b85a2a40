"""The site as a Korean talk: the nav tells the story in order, and speaks Korean."""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping
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


def _h1_and_summary(page: str) -> tuple[str, str]:
    lines = page.splitlines()
    h1 = next(i for i, line in enumerate(lines) if line.startswith("# "))
    rest = lines[h1 + 1 :]
    start = next(i for i, line in enumerate(rest) if line.strip())
    end = next((i for i, line in enumerate(rest[start:], start) if not line.strip()), len(rest))
    return lines[h1], " ".join(rest[start:end])


def test_every_page_has_a_korean_title_and_opens_with_a_korean_summary(rendered: Mapping[str, bytes]) -> None:
    pages = {path: body.decode() for path, body in rendered.items() if path.endswith(".md")}
    assert len(pages) > 70
    for path, page in pages.items():
        title, summary = _h1_and_summary(page)
        assert HANGUL.search(title), (path, title)
        words = summary.split()
        korean = [w for w in words if HANGUL.search(w)]
        assert len(korean) >= len(words) / 2, (path, summary[:80])


def test_the_elasticache_page_puts_sessions_where_the_service_keeps_them(rendered: Mapping[str, bytes]) -> None:
    """Sessions are rows of the accounts database, never cache keys: the page must say so."""
    from covaex_service.accounts.storage import migrations
    from covaex_service.market.cache import contract

    assert "sessions" in inspect.getsource(migrations)
    assert not [name for name in vars(contract) if "SESSION" in name.upper()]
    page = rendered["epic2/elasticache.md"].decode()
    assert "로그인 세션과 관심 목록은 캐시가 아니라 데이터베이스" in page
    assert "and sessions live in" not in page
