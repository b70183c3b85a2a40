"""Fixtures of the UI tests: a real ``covaex serve`` on the simulator feed, real headless Chromium.

The helpers they use (starting the service, the console watch, logging in)
are :mod:`tests.support.ui`. Every page fixture records console errors and
uncaught page errors, and a test fails when any were logged.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from tests.support.local_market import local_market
from tests.support.ui import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    Console,
    LocalFeed,
    Service,
    running_service,
    wait_until_drawn,
)

# "Within a few seconds" on a busy shared machine: assertions retry for up to 10 s.
expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """``covaex serve --feed simulator``: the market most tests look at."""
    with running_service(tmp_path_factory.mktemp("covaex-ui"), "--feed", "simulator") as running:
        yield running


@pytest.fixture(scope="session")
def local_feed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalFeed]:
    """``covaex serve --feed binance`` against the local Binance server: known candles, stageable outages."""
    with (
        local_market() as market,
        running_service(tmp_path_factory.mktemp("covaex-ui-binance"), "--feed", "binance", env=market.env()) as running,
    ):
        wait_until_drawn(running, len(market.server.tickers) - 1)
        yield LocalFeed(running, market)


# Per module, not per session: Playwright's sync API holds the thread's event loop while it is open,
# and the worker that ran the browser lane goes on with async tests (pytest-asyncio refuses to start
# theirs inside a running loop). A module's end closes it; the next module starts its own (~1 s).
@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip(f"{CHROMIUM} is not installed")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


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
