"""The site as a Korean talk: the nav tells the story in order, and speaks Korean."""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from covaex.docsite.facts.site_nav import MKDOCS_YML, _Loader, epics, load_nav, nav_pages
from covaex.docsite.inputs import Inputs
from covaex.docsite.sections import FactError

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


def test_the_panels_status_comes_from_the_renderers(tmp_path: Path, rendered: Mapping[str, bytes]) -> None:
    from covaex.docsite.facts.service import panel_renderers

    page = rendered["epic7/panel-placeholders.md"].decode()
    assert "| `alerts` | 동작 (live) |" in page and "placeholder (준비 중)" not in page
    js = tmp_path / "panels.js"
    js.write_text("const renderers = {\n  watchlist: () => 1,\n  recent: () => 2,\n};\n", encoding="utf-8")
    assert panel_renderers(js) == ["recent", "watchlist"]
    js.write_text("const other = {};\n", encoding="utf-8")
    with pytest.raises(FactError, match=r"panels\.js: no `const renderers"):
        panel_renderers(js)


CALCULATED = (
    "배포 중단 시간 (Deploy downtime)",
    "데이터베이스 복구 시간 (RTO)",
    "데이터 손실 범위 (RPO)",
    "장애 감지 시간 (Time to detect)",
    "메인 페이지 월간 가용성 (Monthly availability)",
)


def test_success_metrics_and_the_incident_quote_the_computed_targets(real_inputs: Inputs) -> None:
    """metrics.yaml and incident.yaml type no number a definition decides: each is a placeholder."""
    from covaex.docsite.facts.narrative import incident_detection, metrics
    from covaex.docsite.render import seconds

    raw = {m["name"]: m for m in real_inputs.data["metrics"]["metrics"]}
    for name in CALCULATED:
        assert not re.search(r"\d", re.sub(r"\{\w+\}", "", raw[name]["target"])), (name, raw[name]["target"])
    # the incident's durations are placeholders too: computed from its own timeline
    for key in ("summary", "impact", "detection"):
        assert not re.search(r"\d", re.sub(r"\{\w+\}", "", real_inputs.data["incident"][key])), key
    shown = {m["name"]: m for m in metrics(real_inputs)}
    targets = real_inputs.data["resilience"]["targets"]
    assert seconds(targets["db-primary"]["rto_s"]) in shown["데이터베이스 복구 시간 (RTO)"]["target"]
    assert seconds(targets["db-primary"]["rpo_s"]) in shown["데이터 손실 범위 (RPO)"]["target"]
    assert shown["배포 중단 시간 (Deploy downtime)"]["target"].startswith("0 s ")
    assert "{detect_within}" in real_inputs.data["incident"]["detection"]
    detect = shown["장애 감지 시간 (Time to detect)"]["target"].split(" (")[0].removeprefix("<= ")  # "15 min"
    assert f"목표: {detect} 안에 경보로 감지" in incident_detection(real_inputs)
    availability = shown["메인 페이지 월간 가용성 (Monthly availability)"]
    assert availability["target"] == ">= 99.9% (월 중단 44분 이하)"  # 0.1% of the cost page's 730-hour month
    assert "월 7.3시간" in availability["baseline"]
    changed = Inputs(
        stacks=real_inputs.stacks,
        data={
            **real_inputs.data,
            "resilience": {
                **real_inputs.data["resilience"],
                "targets": {**targets, "db-primary": {"rto_s": 600, "rpo_s": 60}},
            },
        },
    )
    moved = {m["name"]: m for m in metrics(changed)}
    assert "600 s (10분)" in moved["데이터베이스 복구 시간 (RTO)"]["target"]
    assert moved["데이터 손실 범위 (RPO)"]["target"].startswith("<= 60 s ")


def test_the_image_page_reads_the_dockerfile_and_flags_a_secret_build_arg(
    tmp_path: Path, rendered: Mapping[str, bytes]
) -> None:
    from covaex.docsite.facts.gitops import read_image_build

    page = rendered["epic5/no-secrets.md"].decode()
    assert "| 비밀처럼 보이는 빌드 인자 | 없음 |" in page and "`covaex ./covaex`" in page
    (tmp_path / "Dockerfile").write_text("FROM x\nARG VERSION=1\nARG DB_PASSWORD\nCOPY . /app\n", encoding="utf-8")
    (tmp_path / ".dockerignore").write_text(".git\n", encoding="utf-8")
    found = read_image_build(tmp_path)
    assert found["secret_args"] == ["DB_PASSWORD"]
    assert found["copies"] == [". /app"] and not found["deny_all_first"]


def test_namespaces_show_what_kustomize_renders_per_environment(rendered: Mapping[str, bytes]) -> None:
    """The prod overlay patches requests, limits, the HPA and the PDB: the page shows the patched values."""
    overlay = yaml.safe_load((MKDOCS_YML.parent / "deploy/k8s/overlays/prod/hpa.yaml").read_text(encoding="utf-8"))
    page = rendered["epic6/namespaces.md"].decode()
    prod = next(line for line in page.splitlines() if line.startswith("| **prod** | `covaex-prod` | 3 |"))
    spec = overlay["spec"]
    assert f"{spec['minReplicas']}–{spec['maxReplicas']} 파드" in prod
    assert "cpu `250m`, memory `256Mi`" in prod and "`minAvailable: 2`" in prod


def test_the_keyword_rule_is_the_code_s_and_both_sides_must_agree(
    real_inputs: Inputs, rendered: Mapping[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    from covaex_service.ui import page as ui_page

    from covaex.docsite.facts.service import keyword_rule

    shown = rendered["epic7/keyword-blocks.md"].decode()
    assert f"24시간 변동률 (`changePct`)이 가장 큰 {ui_page.CHIP_COUNT}개" in shown
    monkeypatch.setattr(ui_page, "CHIP_COUNT", ui_page.CHIP_COUNT + 1)
    with pytest.raises(FactError, match=r"keywords\.js picks 3 coins per chip group, ui/page\.py 4"):
        keyword_rule(real_inputs)


def test_serve_takes_the_screenshots_once_when_chromium_is_here_and_none_exist(tmp_path: Path) -> None:
    from covaex.docsite import mkdocs_hooks

    browser = tmp_path / "chromium"
    browser.write_text("", encoding="utf-8")
    mkdocs_hooks._state.pop("shots_tried", None)
    assert mkdocs_hooks.build_flags(tmp_path, chromium=tmp_path / "absent") == ["--no-screenshots"]
    assert mkdocs_hooks.build_flags(tmp_path, chromium=browser) == []  # first build under serve: take them
    assert mkdocs_hooks.build_flags(tmp_path, chromium=browser) == ["--no-screenshots"]  # then never again
    mkdocs_hooks._state.pop("shots_tried", None)
    (tmp_path / "screenshots").mkdir()
    (tmp_path / "screenshots" / "main.png").write_bytes(b"png")
    assert mkdocs_hooks.build_flags(tmp_path, chromium=browser) == ["--no-screenshots"]
    mkdocs_hooks._state.pop("shots_tried", None)


def test_thin_pages_name_the_tests_that_prove_them(tmp_path: Path, rendered: Mapping[str, bytes]) -> None:
    from covaex.docsite.facts.evidence import tests_about

    page = rendered["epic9/local-persistence.md"].decode()
    assert "`tests/ui/test_main_page.py`: `test_starring_as_a_guest_survives_a_reload`" in page
    for folder in ("service", "infra"):
        (tmp_path / "tests" / folder).mkdir(parents=True)
    (tmp_path / "tests" / "service" / "test_x.py").write_text(
        "def test_guest_one():\n    pass\n\ndef test_other():\n    pass\n\nasync def test_a_guest_two():\n    pass\n",
        encoding="utf-8",
    )
    # a test elsewhere that happens to share the word proves nothing about the service's page
    (tmp_path / "tests" / "infra" / "test_y.py").write_text("def test_guest_network():\n    pass\n", encoding="utf-8")
    assert tests_about(("guest",), tmp_path / "tests") == [
        ("tests/service/test_x.py", "test_a_guest_two"),
        ("tests/service/test_x.py", "test_guest_one"),
    ]
