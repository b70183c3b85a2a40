"""The slide deck: built by the same build, served at ``slides/``, offline, driven by the arrow keys, every
slide fitting 1280x720 with no word under 11 px (measured in Debian's Chromium), the drawings landscape."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, sync_playwright

from covaex.docsite.paths import DOCS_DIR, REPO_ROOT
from covaex.docsite.screenshots import CHROMIUM, CHROMIUM_ARGS
from covaex.docsite.slides import DECK, REVEAL_VERSION, SLIDE_SIZE

pytestmark = pytest.mark.slow

VENDORED = DOCS_DIR / "assets" / "vendor" / f"reveal.js-{REVEAL_VERSION}"
NPM = REPO_ROOT / "tools" / "lint"
MIN_TEXT_PX = 11.0
STORY = [
    "표지",
    "문제와 As-Is",
    "As-Is: 온프레미스 한 대",
    "To-Be v1",
    "To-Be v1 · prod",
    "To-Be v1 · dev (저비용)",
    "Platform v2",
    "Platform v2 · prod",
    "운영",
    "앱 데모",
    "결과",
    "회복력의 비용",
    "결과: 장애별 목표",
    "참고 자료",
]


@pytest.fixture(scope="module")
def page(site: Path) -> Any:
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is not installed")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": SLIDE_SIZE[0], "height": SLIDE_SIZE[1]})
        tab = context.new_page()
        tab.goto((site / "slides" / "index.html").as_uri())
        tab.wait_for_function("() => window.Reveal && Reveal.isReady()")
        yield tab
        browser.close()


def test_reveal_is_the_pinned_npm_packages_own_files() -> None:
    pinned = json.loads((NPM / "package.json").read_text())["devDependencies"]["reveal.js"]
    assert pinned == REVEAL_VERSION
    installed = NPM / "node_modules" / "reveal.js"
    if not installed.is_dir():
        pytest.fail(f"{installed} is missing: scripts/setup.sh installs the pinned npm packages")
    assert json.loads((installed / "package.json").read_text())["version"] == pinned
    for name in ("reveal.js", "reveal.css"):
        assert (VENDORED / name).read_bytes() == (installed / "dist" / name).read_bytes(), name
    assert (VENDORED / "LICENSE").read_bytes() == (installed / "LICENSE").read_bytes()


def test_the_deck_is_generated_served_at_slides_and_linked_from_home(rendered: dict[str, bytes], site: Path) -> None:
    assert DECK in rendered
    deck = (site / "slides" / "index.html").read_text(encoding="utf-8")
    assert deck == rendered[DECK].decode()
    home = (site / "index.html").read_text(encoding="utf-8")
    assert re.search(r'href="slides/(index\.html)?"[^>]*>발표 모드', home)
    # Offline: every script, style and image is a file of the built site.
    links = re.findall(r'(?:src|href)="([^"#]+)"', deck)
    assert links
    for link in links:
        assert not re.match(r"[a-z]+:", link), f"the deck must not load {link}"
        target = (site / "slides" / link).resolve()
        assert target.is_file() or (target / "index.html").is_file(), link


def test_one_slide_per_story_step_and_the_arrow_keys_drive_them(page: Page) -> None:
    steps = page.eval_on_selector_all(".reveal .slides > section", "s => s.map(x => x.dataset.step)")
    assert steps == STORY
    page.evaluate("Reveal.slide(0)")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("Reveal.getIndices().h") == 2
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("Reveal.getIndices().h") == 1


def test_every_slide_fits_1280x720_and_no_word_is_under_11px(page: Page) -> None:
    assert page.evaluate("Reveal.getScale()") == pytest.approx(1.0, abs=0.01)
    for index, step in enumerate(STORY):
        page.evaluate(f"Reveal.slide({index})")
        size = page.evaluate(
            """() => { const s = Reveal.getCurrentSlide();
                       return [s.scrollWidth, s.scrollHeight, s.offsetWidth, s.offsetHeight]; }"""
        )
        assert size[0] <= SLIDE_SIZE[0] and size[1] <= SLIDE_SIZE[1], (step, size)
        smallest = page.evaluate(
            """() => { const s = Reveal.getCurrentSlide(), k = Reveal.getScale(), out = [];
                       const walk = document.createTreeWalker(s, NodeFilter.SHOW_TEXT);
                       while (walk.nextNode()) { const t = walk.currentNode;
                         if (!t.textContent.trim()) continue;
                         out.push([parseFloat(getComputedStyle(t.parentElement).fontSize) * k, t.textContent.trim()]); }
                       return out.sort((a, b) => a[0] - b[0])[0]; }"""
        )
        assert smallest[0] >= MIN_TEXT_PX, (step, smallest)
        for img in page.eval_on_selector_all(
            ".reveal .slides > section.present img",
            "i => i.map(x => [x.getAttribute('src'), x.clientWidth, x.clientHeight])",
        ):
            _assert_drawing_readable(page, step, *img)


def _assert_drawing_readable(page: Page, step: str, src: str, width: int, height: int) -> None:
    """The drawing, shown in the box the slide gives it, writes every word at >= 11 px, and is landscape."""
    path = Path(page.url.removeprefix("file://").split("#")[0]).parent / src
    svg = path.read_text(encoding="utf-8")
    inner = re.search(r'<svg x="[0-9.]+" y="[0-9.]+" width="([0-9.]+)" height="([0-9.]+)"', svg)
    assert inner is not None, f"{src}: not a slide drawing"
    assert float(inner.group(1)) / float(inner.group(2)) >= 1.2, f"{step}: the drawing is not landscape"
    probe = page.context.new_page()
    try:
        body = svg[svg.index("<svg") :]
        probe.set_content(f'<div id="box" style="width:{width}px;height:{height}px">{body}</div>')
        sizes = probe.evaluate(
            """() => { const s = document.querySelector('#box > svg');
                       s.setAttribute('width', '100%'); s.setAttribute('height', '100%');
                       return [...s.querySelectorAll('text')].filter(t => t.textContent.trim())
                         .map(t => [parseFloat(t.getAttribute('font-size')) * t.getScreenCTM().a, t.textContent])
                         .sort((a, b) => a[0] - b[0]); }"""
        )
    finally:
        probe.close()
    assert sizes, src
    assert sizes[0][0] >= MIN_TEXT_PX, (step, src, sizes[0])
