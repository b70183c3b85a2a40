"""What the UI tests share: ``covaex serve`` as a user runs it, and the browser's helpers.

The service runs as a child process (:mod:`covaex.localserve`: own process
group, stopped whole) on a free port with a throw-away SQLite database, ready
once it has prices; the browser is Debian's ``/usr/bin/chromium`` driven by
Playwright (never a downloaded browser). The fixtures that use these are in
``tests/ui/conftest.py``.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import BrowserContext, ConsoleMessage, Error, Page, ViewportSize, expect

from covaex.localserve import free_port, service_process
from tests.support.local_market import LocalMarket
from tests.support.wait import wait_until

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
START_TIMEOUT_S = 30.0

DESKTOP: ViewportSize = {"width": 1440, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
PASSWORD = "correct-horse-battery-42"  # pragma: allowlist secret (a test account's password)


@dataclass
class Service:
    base_url: str
    log_path: Path

    def markets(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.base_url}/api/v1/markets", timeout=5).json())

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


@dataclass
class LocalFeed:
    """A service fed by :class:`LocalMarket` (the Binance protocol, from a market the test controls)."""

    service: Service
    market: LocalMarket


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
        try:
            wait_until(lambda: _ready(service, process), within=START_TIMEOUT_S, what="covaex serve ready with prices")
        except AssertionError as failure:
            raise AssertionError(f"{failure}\n{service.log_tail()}") from None
        yield service


def _ready(service: Service, process: subprocess.Popen[bytes]) -> bool:
    assert process.poll() is None, f"covaex serve exited with {process.returncode}"
    healthy = httpx.get(f"{service.base_url}/healthz", timeout=2).status_code == 200
    return healthy and bool(service.markets().get("markets"))


def wait_until_drawn(service: Service, lines: int) -> None:
    """Until the list draws ``lines`` candle histories: the client fetches them after the prices, and
    the page re-reads candles every few seconds (``market.recent``)."""
    wait_until(
        lambda: httpx.get(service.base_url + "/", timeout=5).text.count("data-spark ") >= lines,
        within=START_TIMEOUT_S,
        interval=0.5,
        what=f"the list drawing {lines} sparklines",
    )


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


def sign_up_and_log_in(context: BrowserContext, service: Service, username: str | None = None) -> str:
    """A fresh account, logged in for every page of ``context`` (the cookies are the context's)."""
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
