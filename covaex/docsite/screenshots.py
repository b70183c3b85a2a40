"""The UI's screenshots for the docs, taken by ``covaex docs build`` (never tracked, never by a test).

The service is started as a user starts it (``covaex serve --feed simulator``,
embedded cache, a throw-away SQLite database, a free port), and Debian's
Chromium, driven by Playwright, photographs the main page and a coin page on
a desktop (1366x900) and a phone (390x844), in the light and the dark colour
scheme: :data:`SHOTS`, eight PNGs written to :data:`SCREENSHOTS_DIR`
(``docs/screenshots/``, ignored by git, outside ``docs/generated/`` and so
outside the drift gate). One browser, one page per device, each page loaded
once and photographed in both schemes.

The page that shows them (EPIC 7, main page) carries only the marker
:data:`GALLERY_MARKER`; the mkdocs hook replaces it with the gallery when the
eight files are there, or with a note saying why they were not built (the
reason this step left in :data:`REASON_FILE`). So the generated Markdown is
the same on every machine, with or without a browser.

Without Chromium (or Playwright, or the service's dependencies) the step says
so in one line and the rest of the docs build goes on.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from covaex.docsite.paths import DOCS_DIR
from covaex.localserve import free_port, service_process
from covaex.processes import wait_until

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking")
SCREENSHOTS_DIR = DOCS_DIR / "screenshots"
REASON_FILE = "NOT_BUILT.txt"
GALLERY_MARKER = "<!-- covaex:screenshots -->"
START_TIMEOUT_S = 30.0
SETTLE_MS = 300
"""After switching the colour scheme: the chart repaints in the scheme's colours (the price flashes are
finished by the screenshot itself, ``animations="disabled"``)."""


@dataclass(frozen=True)
class Device:
    name: str
    label: str
    width: int
    height: int
    phone: bool


@dataclass(frozen=True)
class Shot:
    page: str
    page_label: str
    path: str
    device: Device
    scheme: str

    @property
    def file_name(self) -> str:
        return f"{self.page}-{self.device.name}-{self.scheme}.png"


DESKTOP = Device("desktop", "desktop", 1366, 900, phone=False)
PHONE = Device("phone", "phone", 390, 844, phone=True)
PAGES = (("main", "Main page", "/"), ("coin", "Coin page (BTCUSDT)", "/coins/BTCUSDT"))
SCHEMES = ("light", "dark")
SHOTS: tuple[Shot, ...] = tuple(
    Shot(page, label, path, device, scheme)
    for page, label, path in PAGES
    for device in (DESKTOP, PHONE)
    for scheme in SCHEMES
)


class NotBuilt(Exception):
    """The screenshots cannot be taken here; the message says why, in one line."""


def build_screenshots(out_dir: Path = SCREENSHOTS_DIR, *, chromium: Path | None = None) -> list[Path]:
    """Take every shot of :data:`SHOTS` into ``out_dir``; raises :class:`NotBuilt` (after writing the reason)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        taken = _take(out_dir, chromium or CHROMIUM)
    except NotBuilt as exc:
        for shot in SHOTS:  # never a gallery mixing this build's failure with an older build's images
            (out_dir / shot.file_name).unlink(missing_ok=True)
        (out_dir / REASON_FILE).write_text(f"{exc}\n", encoding="utf-8")
        raise
    (out_dir / REASON_FILE).unlink(missing_ok=True)
    return taken


def _take(out_dir: Path, chromium: Path) -> list[Path]:
    if not chromium.is_file():
        raise NotBuilt(f"Chromium is not installed at {chromium} (Debian: apt install chromium)")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise NotBuilt(f"Playwright is not installed ({exc.name}); install covaex[docs]") from exc
    with tempfile.TemporaryDirectory(prefix="covaex-shots-") as workdir, _service(Path(workdir)) as base_url:
        try:
            with sync_playwright() as driver:
                browser = driver.chromium.launch(executable_path=str(chromium), args=list(CHROMIUM_ARGS))
                try:
                    taken = _device_shots(browser, DESKTOP, base_url, out_dir)
                    return taken + _device_shots(browser, PHONE, base_url, out_dir)
                finally:
                    browser.close()
        except PlaywrightError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise NotBuilt(f"Chromium could not take the screenshots: {first}") from exc


def _device_shots(browser: Any, device: Device, base_url: str, out_dir: Path) -> list[Path]:
    context = browser.new_context(
        viewport={"width": device.width, "height": device.height},
        device_scale_factor=1,
        is_mobile=device.phone,
        has_touch=device.phone,
        locale="ko-KR",
        timezone_id="Asia/Seoul",
    )
    context.set_default_timeout(20_000)
    try:
        page = context.new_page()
        taken = []
        for name, _, path in PAGES:
            page.emulate_media(color_scheme="light")
            page.goto(base_url + path)
            page.wait_for_selector("html[data-ready=true]", state="attached")
            page.wait_for_selector('.conn[data-conn="live"]', state="attached")
            if name == "coin":
                page.wait_for_selector(".chart canvas", state="attached")
            # A calm first screen: at the top, nothing hovered or focused.
            page.mouse.move(0, device.height - 1)
            page.evaluate("() => { document.activeElement.blur(); window.scrollTo(0, 0); }")
            for scheme in SCHEMES:
                page.emulate_media(color_scheme=scheme)
                page.wait_for_timeout(SETTLE_MS)
                target = out_dir / Shot(name, "", path, device, scheme).file_name
                page.screenshot(path=str(target), animations="disabled")
                taken.append(target)
        return taken
    finally:
        context.close()


@contextmanager
def _service(workdir: Path) -> Iterator[str]:
    """``covaex serve --feed simulator`` on embedded defaults and a free port, until the block ends."""
    port = free_port()
    env = {
        **os.environ,
        "COVAEX_DATABASE_URL": f"sqlite:///{workdir / 'covaex.db'}",
        "COVAEX_ENV": "dev",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("COVAEX_REDIS_URL", "COVAEX_FEED", "COVAEX_WORKERS"):
        env.pop(name, None)
    log_path = workdir / "serve.log"
    args = ["--feed", "simulator", "--port", str(port)]
    with service_process(args, env=env, log_path=log_path, cwd=workdir) as process:
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_ready(base_url, process, log_path)
        yield base_url


def _wait_until_ready(base_url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    def has_prices() -> bool:
        with urllib.request.urlopen(f"{base_url}/api/v1/markets", timeout=2) as answer:  # noqa: S310 - our loopback
            return bool(json.load(answer).get("markets"))

    wait_until(
        lambda: process.poll() is not None or has_prices(),
        within=START_TIMEOUT_S,
        interval=0.3,
        what="the service's first prices",
        error=NotBuilt,
    )
    if process.poll() is not None:
        lines = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        raise NotBuilt(f"the service did not start: {lines[-1] if lines else f'exit {process.returncode}'}")


def gallery(docs_dir: Path, page_dir: str) -> str:
    """The Markdown that replaces :data:`GALLERY_MARKER` on a page in ``page_dir`` (relative to ``docs_dir``)."""
    folder = docs_dir / SCREENSHOTS_DIR.relative_to(DOCS_DIR)
    if not all((folder / shot.file_name).is_file() for shot in SHOTS):
        reason_file = folder / REASON_FILE
        reason = reason_file.read_text(encoding="utf-8").strip() if reason_file.is_file() else ""
        return (
            '!!! warning "Screenshots not built"\n'
            "    `covaex docs build` takes them (Debian's Chromium, the simulator feed); "
            + (f"this build could not: {reason}" if reason else "it has not run here yet.")
            + "\n"
        )
    relative = Path(os.path.relpath(folder, docs_dir / page_dir)).as_posix()
    blocks = []
    for page, label, _ in PAGES:
        for device in (DESKTOP, PHONE):
            width = f'{{ width="{device.width}" }}' if device.phone else ""
            images = "\n\n".join(
                f"    ![{label}, {device.label}, {scheme} scheme]"
                f"({relative}/{Shot(page, label, '', device, scheme).file_name}){width}"
                for scheme in SCHEMES
            )
            blocks.append(f'=== "{label}, {device.label}"\n\n{images}\n')
    return "\n".join(blocks)
