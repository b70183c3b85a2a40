"""The shared-render cache: pages rendered once per snapshot version, never older than the snapshot they claim.

Unit tests for the cache and the Accept-Encoding negotiation, then the real
service on a loopback socket, its embedded cache written directly (a feed
that never ticks), read with a real HTTP client.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from covaex_service.market.area import MarketOptions
from covaex_service.market.cache.contract import STALE_AFTER_MS
from covaex_service.market.model import Market
from covaex_service.market.view import READ_INTERVAL_SECONDS
from covaex_service.ui.render_cache import RenderCache, SharedPage, negotiate, snapshot_version

from tests.support.service import RunningApp, make_settings, running_app

# -- unit ------------------------------------------------------------------


def test_one_render_per_version_and_the_newest_version_replaces_the_old() -> None:
    pages = RenderCache()
    calls: list[str] = []

    def render(text: str) -> Any:
        return lambda: calls.append(text) or text

    first = pages.get("main", (1, "binance", False), render("one"))
    again = pages.get("main", (1, "binance", False), render("not called"))
    assert again is first and calls == ["one"]
    newer = pages.get("main", (2, "binance", False), render("two"))
    assert newer.identity == b"two" and calls == ["one", "two"]
    stale = pages.get("main", (2, "binance", True), render("two, stale"))
    assert stale.identity == b"two, stale" and pages.renders == 3


def test_page_keys_are_bounded_least_recently_used_first() -> None:
    pages = RenderCache(max_pages=2)
    pages.get("a", 1, lambda: "a")
    pages.get("b", 1, lambda: "b")
    pages.get("a", 1, lambda: "a again")  # a is now the most recent
    pages.get("c", 1, lambda: "c")
    assert pages.get("a", 1, lambda: "a rendered again").identity == b"a"
    assert pages.get("b", 1, lambda: "b rendered again").identity == b"b rendered again"


def test_a_compressed_variant_is_made_once_and_decodes_to_the_page() -> None:
    page = SharedPage(1, ("<p>시세</p>" * 500).encode())
    packed = page.body("gzip")
    assert page.body("gzip") is packed and page.variants_made == ("gzip",)
    assert gzip.decompress(packed) == page.identity and len(packed) < len(page.identity) / 10
    assert page.body("identity") is page.identity
    with pytest.raises(ValueError, match="unsupported"):
        page.body("compress")


@pytest.mark.parametrize(
    ("header", "coding"),
    [
        ("", "identity"),
        ("gzip", "gzip"),
        ("gzip, deflate, br, zstd", "gzip"),
        ("GZIP;q=0.5", "gzip"),
        ("x-gzip", "gzip"),
        ("*", "gzip"),
        ("br", "identity"),
        ("gzip;q=0", "identity"),
        ("*;q=0", "identity"),
        ("gzip;q=0, *", "identity"),
        ("*, gzip;q=0", "identity"),
        ("gzip;q=oops", "identity"),
        ("identity", "identity"),
        (" , ;q=1, gzip ; q=1.0 ", "gzip"),
    ],
)
def test_accept_encoding_is_negotiated(header: str, coding: str) -> None:
    assert negotiate(header) == coding


def test_the_version_is_as_of_source_and_staleness() -> None:
    body = {"asOf": 5, "source": "binance", "stale": False, "markets": [{"symbol": "BTCUSDT"}]}
    assert snapshot_version(body) == (5, "binance", False)
    assert snapshot_version({**body, "stale": True}) != snapshot_version(body)
    assert snapshot_version({**body, "source": "simulator"}) != snapshot_version(body)
    assert snapshot_version({"asOf": None, "stale": True}) == (None, None, True)


# -- the real service --------------------------------------------------------

CONFIG = re.compile(r'<script type="application/json" id="covaex-config">(.*?)</script>', re.S)


class SilentFeed:
    """A live-looking feed that never ticks: the test writes the cache itself."""

    source = "binance"
    runs = 0

    def is_live(self) -> bool:
        return False

    async def run(self, sink: Any) -> None:
        SilentFeed.runs += 1
        await asyncio.Event().wait()


def market(symbol: str, last: str) -> Market:
    return Market.from_json(
        {"symbol": symbol, "last": last, "open": "1.00", "high": last, "low": "1.00", "changePct": "0.000",
         "volume": "1.00", "quoteVolume": "100.00", "eventTime": 1},
        "binance",
    )  # fmt: skip


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[RunningApp]:
    def configure(options: MarketOptions) -> None:
        options.feed_factory = lambda settings, stats: SilentFeed()  # type: ignore[assignment,return-value]

    async with running_app(make_settings(tmp_path), configure) as running:
        yield running


async def publish(service: RunningApp, last: str, at_ms: int) -> None:
    """Write one snapshot, as the ingest leader would: every symbol, BTCUSDT at ``last``, heartbeat ``at_ms``."""
    everything = [market(s, last if s == "BTCUSDT" else "2.00") for s in service.settings.symbols]
    await service.market.cache.write(everything, everything, "binance", at_ms)


def read_page(html: str) -> tuple[dict[str, Any], str, bool]:
    """(the page's config JSON, BTCUSDT's price on the page, whether the stale badge shows)."""
    match = CONFIG.search(html)
    assert match is not None, "no covaex-config on the page"
    row = re.search(r'data-symbol="BTCUSDT"[^>]*data-last="([^"]*)"', html)
    assert row is not None, "no BTCUSDT row"
    badge = re.search(r'<span class="badge badge--stale" data-badge="stale"\s*(hidden)?', html)
    assert badge is not None, "no stale badge"
    return json.loads(match.group(1)), row.group(1), badge.group(1) is None


async def next_read() -> None:
    """Let the view's snapshot reuse window pass, so the next request reads the cache."""
    await asyncio.sleep(READ_INTERVAL_SECONDS * 1.5)


async def test_a_new_snapshot_is_on_the_next_request_and_one_version_renders_once(service: RunningApp) -> None:
    now = int(time.time() * 1000)
    await publish(service, "100.00", now)
    await next_read()
    async with httpx.AsyncClient(base_url=service.http) as http:
        first = await http.get("/")
        config, last, stale_badge = read_page(first.text)
        assert (config["asOf"], last, config["stale"], stale_badge) == (now, "100.00", False, False)
        renders = service.app.ctx.pages.renders
        for _ in range(30):
            again = await http.get("/", headers={"Accept-Encoding": "identity"})
            assert again.content == first.content
        assert service.app.ctx.pages.renders == renders, "the same snapshot was rendered again"

        await publish(service, "101.00", now + 1)
        await next_read()
        config, last, _ = read_page((await http.get("/")).text)
        assert (config["asOf"], last) == (now + 1, "101.00")
        assert service.app.ctx.pages.renders == renders + 1
    assert SilentFeed.runs <= 1, "a page view must never start an upstream connection"  # 0: ingest not started yet


async def test_a_stale_snapshot_is_labelled_and_fresh_again_after_a_write(service: RunningApp) -> None:
    old = int(time.time() * 1000) - STALE_AFTER_MS - 5_000
    await publish(service, "90.00", old)
    await next_read()
    async with httpx.AsyncClient(base_url=service.http) as http:
        config, last, stale_badge = read_page((await http.get("/")).text)
        assert (config["asOf"], last, config["stale"], stale_badge) == (old, "90.00", True, True)
        now = int(time.time() * 1000)
        await publish(service, "91.00", now)
        await next_read()
        config, last, stale_badge = read_page((await http.get("/")).text)
        assert (config["asOf"], last, config["stale"], stale_badge) == (now, "91.00", False, False)


async def test_gzip_and_identity_carry_the_same_page_with_vary(service: RunningApp) -> None:
    await publish(service, "100.00", int(time.time() * 1000))
    await next_read()
    async with httpx.AsyncClient(base_url=service.http) as http:
        plain = await http.get("/", headers={"Accept-Encoding": "identity"})
        packed = await http.get("/", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "content-encoding" not in plain.headers and plain.headers["vary"] == "Accept-Encoding"
    assert packed.headers["content-encoding"] == "gzip" and packed.headers["vary"] == "Accept-Encoding"
    assert int(packed.headers["content-length"]) < int(plain.headers["content-length"]) / 4
    assert packed.content == plain.content  # httpx decoded the gzip body
    for headers in (plain.headers, packed.headers):
        assert headers["content-type"] == "text/html; charset=utf-8"
        assert headers["cache-control"] == "no-store" and "default-src 'self'" in headers["content-security-policy"]


async def test_pages_under_concurrent_writes_are_never_older_than_the_snapshot_they_claim(
    service: RunningApp,
) -> None:
    """Each page's BTCUSDT price is the one written with the asOf the page claims, and asOf never goes back."""
    base = int(time.time() * 1000)
    await publish(service, "0.00", base)
    await next_read()
    writes = 25

    async def writer() -> None:
        for i in range(1, writes + 1):
            await publish(service, f"{i}.00", base + i)
            await asyncio.sleep(READ_INTERVAL_SECONDS / 2)

    async def reader(http: httpx.AsyncClient, encoding: str) -> list[int]:
        seen: list[int] = []
        while not seen or seen[-1] < base + writes:
            config, last, _ = read_page((await http.get("/", headers={"Accept-Encoding": encoding})).text)
            assert last == f"{config['asOf'] - base}.00", "the page's prices are not the snapshot it claims"
            seen.append(config["asOf"])
            await asyncio.sleep(0.01)
        return seen

    async with httpx.AsyncClient(base_url=service.http) as http:
        task = asyncio.create_task(writer())
        seen_by = await asyncio.wait_for(asyncio.gather(reader(http, "gzip"), reader(http, "identity")), 60)
        await task
    for seen in seen_by:
        assert seen == sorted(seen), "a page went back to an older snapshot"
        assert len(set(seen)) > 1
    assert service.app.ctx.pages.renders <= writes + 1
