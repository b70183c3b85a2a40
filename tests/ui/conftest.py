"""Fixtures of the UI tests: a real ``covaex serve`` on the simulator feed, real headless Chromium.

The service runs as a child process on a free port with a throw-away SQLite
database; the browser is Debian's ``/usr/bin/chromium`` driven by Playwright
(never a downloaded browser). Every page fixture records console errors and
uncaught page errors, and a test fails when any were logged.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Playwright,
    ViewportSize,
    expect,
    sync_playwright,
)

from covaex.localserve import free_port, service_process
from tests.ui.local_market import LocalMarket, local_market

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
REPO_ROOT = Path(__file__).resolve().parents[2]
COVAEX = REPO_ROOT / ".venv" / "bin" / "covaex"
START_TIMEOUT_S = 30.0

# "Within a few seconds" on a busy shared machine: assertions retry for up to 10 s.
expect.set_options(timeout=10_000)

DESKTOP: ViewportSize = {"width": 1440, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}


@dataclass
class Service:
    base_url: str
    log_path: Path

    def markets(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.base_url}/api/v1/markets", timeout=5).json())


@contextmanager
def running_service(workdir: Path, *args: str, env: Mapping[str, str] | None = None) -> Iterator[Service]:
    """``covaex serve ARGS`` on a free port with a throw-away database, ready once it has prices."""
    port = free_port()
    log_path = workdir / "serve.log"
    environment = {
        **os.environ,
        "COVAEX_DATABASE_URL": f"sqlite:///{workdir / 'covaex.db'}",
        "COVAEX_ENV": "dev",
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    environment.pop("COVAEX_REDIS_URL", None)
    service = Service(base_url=f"http://127.0.0.1:{port}", log_path=log_path)
    with service_process([*args, "--port", str(port)], env=environment, log_path=log_path, cwd=workdir) as process:
        _wait_until_ready(service, process)
        yield service


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """``covaex serve --feed simulator``: the market most tests look at."""
    with running_service(tmp_path_factory.mktemp("covaex-ui"), "--feed", "simulator") as running:
        yield running


@dataclass
class LocalFeed:
    """A service fed by :class:`LocalMarket` (the Binance protocol, from a market the test controls)."""

    service: Service
    market: LocalMarket


@pytest.fixture(scope="session")
def local_feed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalFeed]:
    """``covaex serve --feed binance`` against the local Binance server: known candles, stageable outages."""
    with (
        local_market() as market,
        running_service(tmp_path_factory.mktemp("covaex-ui-binance"), "--feed", "binance", env=market.env()) as running,
    ):
        _wait_until_drawn(running, len(market.server.tickers) - 1)
        yield LocalFeed(running, market)


def _wait_until_drawn(service: Service, lines: int) -> None:
    """Ready once the list draws every candle history: the client fetches them after the prices, and
    the page re-reads candles every few seconds (``market.recent``)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if httpx.get(service.base_url + "/", timeout=5).text.count("data-spark ") >= lines:
            return
        time.sleep(0.5)
    pytest.fail(f"the list did not draw {lines} sparklines in {START_TIMEOUT_S}s")


def _wait_until_ready(service: Service, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"covaex serve exited with {process.returncode}:\n{service.log_path.read_text()[-3000:]}")
        try:
            if httpx.get(f"{service.base_url}/healthz", timeout=2).status_code == 200 and service.markets().get(
                "markets"
            ):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    pytest.fail(f"covaex serve did not get ready in {START_TIMEOUT_S}s:\n{service.log_path.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip(f"{CHROMIUM} is not installed")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


@dataclass
class Console:
    """Errors a page logged: console ``error`` messages and uncaught exceptions."""

    errors: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                self.errors.append(f"console: {message.text} ({message.location.get('url', '')})")

        def on_page_error(error: Error) -> None:
            self.errors.append(f"pageerror: {error.message}")

        page.on("console", on_console)
        page.on("pageerror", on_page_error)


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=DESKTOP, locale="ko-KR", timezone_id="Asia/Seoul")
    # Actions (click, fill) may wait longer on a loaded machine; assertions keep their 10 s.
    context.set_default_timeout(20_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext, console: Console) -> Iterator[Page]:
    """A desktop page; the test fails if it logged any console error."""
    page = context.new_page()
    console.watch(page)
    yield page
    assert console.errors == [], "the page logged errors:\n" + "\n".join(console.errors)


PASSWORD = "correct-horse-battery-42"


def sign_up_and_log_in(context: BrowserContext, service: Service, username: str | None = None) -> str:
    """A fresh account, logged in for every page of ``context`` (the cookies are the context's)."""
    import uuid

    username = username or f"ui{uuid.uuid4().hex[:12]}"
    created = context.request.post(
        f"{service.base_url}/api/v1/auth/signup", data={"username": username, "password": PASSWORD}
    )
    assert created.status in (201, 409), created.text()
    logged_in = context.request.post(
        f"{service.base_url}/api/v1/auth/login", data={"username": username, "password": PASSWORD}
    )
    assert logged_in.ok, logged_in.text()
    return username


def open_live(page: Page, service: Service, path: str = "/") -> None:
    """Load a page and wait until its scripts ran and the live feed is connected."""
    page.goto(service.base_url + path)
    expect(page.locator("html[data-ready=true]")).to_have_count(1)
    expect(page.locator('.conn[data-conn="live"]')).to_have_count(1)
