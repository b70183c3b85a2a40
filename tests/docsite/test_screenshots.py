"""The UI's screenshots in the docs: taken by the docs build (a real service, Debian's Chromium), eight
PNGs of the right sizes, shown by the built site, never written into tracked files; without Chromium,
one line and a page that says so."""

from __future__ import annotations

import base64
import struct
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from covaex.docsite import screenshots
from covaex.docsite.build import build_docs
from covaex.docsite.inputs import Inputs
from covaex.docsite.paths import REPO_ROOT
from covaex.docsite.screenshots import CHROMIUM, CHROMIUM_ARGS, REASON_FILE, SHOTS, NotBuilt, build_screenshots
from tests.support.docs import mkdocs_build

pytestmark = pytest.mark.slow

MAIN_PAGE = Path("generated/epic7/main-page/index.html")


def git_status() -> str:
    return subprocess.run(
        ["git", "status", "--porcelain"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", head[16:24])
    return width, height


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is not installed")
    out = tmp_path_factory.mktemp("docs") / "screenshots"
    before = git_status()
    taken = build_screenshots(out)
    assert git_status() == before, "taking screenshots changed the work tree"
    assert sorted(taken) == sorted(out / shot.file_name for shot in SHOTS)
    return out


def test_eight_screenshots_of_the_right_sizes(shots: Path) -> None:
    assert len(SHOTS) == 8
    assert {(s.page, s.device.name, s.scheme) for s in SHOTS} == {
        (page, device, scheme)
        for page in ("main", "coin")
        for device in ("desktop", "phone")
        for scheme in ("light", "dark")
    }
    for shot in SHOTS:
        path = shots / shot.file_name
        assert png_size(path) == (shot.device.width, shot.device.height), shot.file_name
        assert path.stat().st_size > 10_000, shot.file_name  # a page, not a blank
    assert png_size(shots / "main-desktop-light.png") == (1366, 900)
    assert png_size(shots / "coin-phone-dark.png") == (390, 844)
    assert not (shots / REASON_FILE).exists()


def test_dark_screenshots_are_dark_and_light_ones_light(shots: Path) -> None:
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page()
            for shot in SHOTS:
                data = base64.b64encode((shots / shot.file_name).read_bytes()).decode()
                luminance = page.evaluate(
                    """async (data) => {
                        const image = new Image();
                        image.src = `data:image/png;base64,${data}`;
                        await image.decode();
                        const canvas = new OffscreenCanvas(image.width, image.height);
                        const context = canvas.getContext("2d");
                        context.drawImage(image, 0, 0);
                        const pixels = context.getImageData(0, 0, image.width, image.height).data;
                        let sum = 0;
                        for (let i = 0; i < pixels.length; i += 4) {
                            sum += 0.2126 * pixels[i] + 0.7152 * pixels[i + 1] + 0.0722 * pixels[i + 2];
                        }
                        return sum / (pixels.length / 4);
                    }""",
                    data,
                )
                assert (luminance < 100) == (shot.scheme == "dark"), (shot.file_name, luminance)
        finally:
            browser.close()


def test_the_built_site_shows_all_eight(shots: Path, rendered: dict[str, bytes], tmp_path: Path) -> None:
    site = mkdocs_build(tmp_path, rendered, screenshots=shots)
    page = (site / MAIN_PAGE).read_text(encoding="utf-8")
    for shot in SHOTS:
        assert f'src="../../../screenshots/{shot.file_name}"' in page, shot.file_name
        assert (site / "screenshots" / shot.file_name).is_file()
    assert "Screenshots not built" not in page


def test_without_chromium_the_build_says_so_in_one_line_and_the_page_too(
    real_inputs: Inputs,
    rendered: dict[str, bytes],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(screenshots, "CHROMIUM", tmp_path / "no-chromium")
    out = tmp_path / "screenshots"
    out.mkdir()
    (out / SHOTS[0].file_name).write_bytes(b"an older build's image")
    build_docs(generated_dir=tmp_path / "generated", quiet=True, inputs=real_inputs, screenshots_dir=out)
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"covaex: screenshots not built: Chromium is not installed at {tmp_path / 'no-chromium'} "
        "(Debian: apt install chromium)"
    ]
    assert not any(out.glob("*.png")), "no gallery of an older build's images"
    site = mkdocs_build(tmp_path / "site", rendered, screenshots=out)
    page = (site / MAIN_PAGE).read_text(encoding="utf-8")
    assert "Screenshots not built" in page and "Chromium is not installed" in page
    assert "<img" not in page.split("Screenshots not built")[1].split("UI hooks")[0]


def test_a_missing_browser_is_a_one_line_reason_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(NotBuilt) as raised:
        build_screenshots(tmp_path, chromium=tmp_path / "nothing-here")
    assert "\n" not in str(raised.value)
    assert (tmp_path / REASON_FILE).read_text(encoding="utf-8").strip() == str(raised.value)
