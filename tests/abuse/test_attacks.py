"""Each attack of issue 16, replayed against the real ``covaex serve --workers 2`` (see conftest).

The bounds asserted are the issue's acceptance criteria, generously: a worker's
RSS under 300 MiB and ``/healthz`` under 100 ms during a ping flood; ``/healthz``
and the page under 200 ms during a signup flood. Latencies are judged on the
90th percentile of samples taken over fresh connections (either worker may
answer), and the bound is the issue's figure *plus* the same percentile measured
just before the attack: on a quiet machine that is a few milliseconds, on a
shared, loaded one it keeps the test about the attack rather than the
neighbours. The figures are printed for the record.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from covaex_service.market.feeds.binance_client import BinanceFeed
from covaex_service.market.stats import FeedStats
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.abuse.harness import MIB, SYMBOLS, Served
from tests.support.procs import rss_bytes

pytestmark = pytest.mark.asyncio(loop_scope="module")

PASSWORD = "correct horse battery staple"
FLOODER = Path(__file__).with_name("flooder.py")


def name() -> str:
    return f"abuse_{uuid.uuid4().hex[:10]}"


def from_address(n: int) -> dict[str, str]:
    return {"X-Forwarded-For": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"}


class Sampler:
    """Latency of ``path`` over fresh connections, and the workers' largest RSS, until stopped."""

    def __init__(self, served: Served, paths: tuple[str, ...]) -> None:
        self.served, self.paths = served, paths
        self.latency: dict[str, list[float]] = {p: [] for p in paths}
        self.max_rss = 0
        self.baseline: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        # No keep-alive: every sample opens a fresh connection (any worker may answer it), without the
        # cost of a new client (its TLS context) per sample, which starved the sampler on a busy machine.
        fresh = httpx.Limits(max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=self.served.base, timeout=10, limits=fresh) as http:
            while True:
                for path in self.paths:
                    started = time.perf_counter()
                    response = await http.get(path)
                    self.latency[path].append(time.perf_counter() - started)
                    assert response.status_code == 200, (path, response.status_code)
                self.max_rss = max([self.max_rss, *(rss_bytes(pid) for pid in self.served.workers())])
                await asyncio.sleep(0.05)

    def __enter__(self) -> Sampler:
        self._task = asyncio.create_task(self._run())
        return self

    def __exit__(self, *_: object) -> None:
        assert self._task is not None
        if self._task.done():
            self._task.result()  # a failed sample fails the test
        self._task.cancel()

    async def measure_baseline(self) -> None:
        """The same samples before the attack: what the machine gives without it."""
        task = asyncio.create_task(self._run())
        # At least 2 s and 10 samples of each path (at most 30 s): a p90 of a handful says little.
        started = time.monotonic()
        while time.monotonic() - started < 2 or min(map(len, self.latency.values())) < 10:
            if task.done() or time.monotonic() - started > 30:
                break
            await asyncio.sleep(0.1)
        task.cancel()
        if task.done() and not task.cancelled() and task.exception() is not None:
            task.result()  # a failed sample fails the test
        self.baseline = {path: self.p90_ms(path) for path in self.paths}
        self.latency = {p: [] for p in self.paths}

    def bound_ms(self, path: str, issue_bound_ms: float) -> float:
        return issue_bound_ms + self.baseline.get(path, 0.0)

    def p90_ms(self, path: str) -> float:
        samples = sorted(self.latency[path])
        assert len(samples) >= 5, f"too few samples of {path}: {samples}"
        return samples[int(len(samples) * 0.9)] * 1000

    def report(self, what: str) -> str:
        parts = [f"{what}: max worker RSS {self.max_rss / MIB:.0f} MiB, p90 before the attack {self.baseline}"]
        for path, samples in self.latency.items():
            parts.append(
                f"{path} n={len(samples)} median {statistics.median(samples) * 1000:.1f} ms "
                f"p90 {self.p90_ms(path):.1f} ms max {max(samples) * 1000:.1f} ms"
            )
        return "; ".join(parts)


async def test_a_ping_flood_keeps_workers_small_and_health_fast(served: Served) -> None:
    """Item 1: before, one never-reading PING flooder took a worker from 63 MiB to 3.46 GiB in 35 s."""
    sampler = Sampler(served, ("/healthz",))
    await sampler.measure_baseline()
    with sampler:
        flooders = await asyncio.create_subprocess_exec(
            sys.executable, str(FLOODER), "--port", str(served.port), "--seconds", "8", "--sockets", "4",
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, _ = await flooders.communicate()
    cuts, held = (int(n) for n in out.decode().split())
    print(sampler.report(f"ping flood (cut {cuts} times, {held} still flooding at the end)"))
    assert cuts >= 1 and held == 0  # every flooding connection was cut; reconnects were refused
    assert sampler.max_rss < 300 * MIB
    assert sampler.p90_ms("/healthz") < sampler.bound_ms("/healthz", 100)

    async def upgrades_again() -> bool:  # the flooding address is refused for a while, then served again
        try:
            async with connect(served.ws):
                return True
        except InvalidStatus as refused:
            assert refused.response.status_code == 429
            return False

    await eventually(upgrades_again, within=30)


async def test_a_signup_flood_degrades_signups_only(served: Served) -> None:
    """Items 3 and the Argon2 queue: 80 signups at once (from many addresses, past the per-address limit)."""
    sampler = Sampler(served, ("/healthz", "/"))
    await sampler.measure_baseline()
    with sampler:
        async with httpx.AsyncClient(base_url=served.base, timeout=60) as http:
            answers = await asyncio.gather(
                *(
                    http.post("/api/v1/auth/signup", json={"username": name(), "password": PASSWORD},
                              headers=from_address(n))
                    for n in range(80)
                )
            )  # fmt: skip
    statuses = Counter(a.status_code for a in answers)
    print(sampler.report(f"signup flood {dict(statuses)}"))
    assert set(statuses) <= {201, 503} and statuses[503] > 0, statuses
    assert all(int(a.headers["Retry-After"]) >= 1 for a in answers if a.status_code == 503)
    assert sampler.p90_ms("/healthz") < sampler.bound_ms("/healthz", 200)
    assert sampler.p90_ms("/") < sampler.bound_ms("/", 200)
    assert sampler.max_rss < 400 * MIB  # at most one 64 MiB hash per worker at a time
    # and one address alone is stopped by the signup limit
    async with httpx.AsyncClient(base_url=served.base, timeout=60) as http:
        one = [
            (await http.post("/api/v1/auth/signup", json={"username": name(), "password": PASSWORD},
                             headers=from_address(99_999))).status_code
            for _ in range(22)
        ]  # fmt: skip
    assert one.count(201) <= 20 and one[-1] == 429, one


async def signup(http: httpx.AsyncClient, username: str, address: int) -> None:
    for _ in range(20):  # the previous test's flood may still fill the hashing queue
        response = await http.post(
            "/api/v1/auth/signup", json={"username": username, "password": PASSWORD}, headers=from_address(address)
        )
        if response.status_code != 503:
            assert response.status_code == 201, response.text
            return
        await asyncio.sleep(float(response.headers["Retry-After"]))
    pytest.fail("signup stayed busy")


async def test_parallel_logins_check_at_most_the_limit(served: Served) -> None:
    """Item 2: 60 logins at once for one user from one client: 59 x 401 before; now at most 5 checked."""
    victim = name()
    async with httpx.AsyncClient(base_url=served.base, timeout=60) as http:
        await signup(http, victim, 1001)
        answers = await asyncio.gather(
            *(
                http.post("/api/v1/auth/login", json={"username": victim, "password": "wrong password!!"},
                          headers=from_address(1002))
                for _ in range(60)
            )
        )  # fmt: skip
    statuses = Counter(a.status_code for a in answers)
    assert statuses[401] <= 5 and statuses[429] >= 40, statuses


async def test_nobody_can_lock_an_account_from_elsewhere(served: Served) -> None:
    """Item 5: five wrong passwords from one address do not lock the owner out of their own."""
    victim = name()
    async with httpx.AsyncClient(base_url=served.base, timeout=60) as http:
        await signup(http, victim, 2001)
        wrong = {"username": victim, "password": "wrong password!!"}
        for _ in range(7):
            await http.post("/api/v1/auth/login", json=wrong, headers=from_address(2002))
        right = {"username": victim, "password": PASSWORD}
        assert (await http.post("/api/v1/auth/login", json=right, headers=from_address(2002))).status_code == 429
        assert (await http.post("/api/v1/auth/login", json=right, headers=from_address(2003))).status_code == 200


async def logged_in(http: httpx.AsyncClient, address: int) -> str:
    username = name()
    await signup(http, username, address)
    response = await http.post(
        "/api/v1/auth/login", json={"username": username, "password": PASSWORD}, headers=from_address(address)
    )
    assert response.status_code == 200, response.text
    return str(response.json()["csrfToken"])


async def test_login_csrf_and_weak_passwords_are_refused(served: Served) -> None:
    """Items 4 and 12."""
    async with httpx.AsyncClient(base_url=served.base, timeout=60) as http:
        body = json.dumps({"username": name(), "password": PASSWORD})
        as_form = await http.post("/api/v1/auth/signup", content=body, headers={"Content-Type": "text/plain"})
        assert as_form.status_code == 415
        evil = {"Content-Type": "application/json", "Origin": "https://evil.example"}
        assert (await http.post("/api/v1/auth/signup", content=body, headers=evil)).status_code == 403
        assert (await http.post("/api/v1/auth/login", content=body, headers=evil)).status_code == 403
        for weak in ("            abcd", "12341234abcd", "password1234"):
            response = await http.post("/api/v1/auth/signup", json={"username": name(), "password": weak})
            assert response.status_code == 400, weak


async def test_sync_floods_stay_bounded_and_replays_are_explicit(served: Served) -> None:
    """Items 6 and 14: 60 syncs with new ids and 500 unknown symbols; a syncId replayed with other items."""
    async with httpx.AsyncClient(base_url=served.base, timeout=60) as http:
        headers = {"X-CSRF-Token": await logged_in(http, 3001)}
        junk = [{"symbol": f"JUNK{n}", "addedAt": n} for n in range(500)]
        for _ in range(60):
            body = {"syncId": str(uuid.uuid4()), "items": junk}
            assert (await http.post("/api/v1/watchlist/sync", json=body, headers=headers)).status_code in (200, 400)
        sync_id = str(uuid.uuid4())
        first = {"syncId": sync_id, "items": [{"symbol": "BTCUSDT", "addedAt": 1}]}
        assert (await http.post("/api/v1/watchlist/sync", json=first, headers=headers)).status_code == 200
        other = {"syncId": sync_id, "items": [{"symbol": "ETHUSDT", "addedAt": 2}]}
        replay = await http.post("/api/v1/watchlist/sync", json=other, headers=headers)
        assert replay.status_code == 409 and replay.json()["error"]["code"] == "sync_id_reused"
    conn = await asyncpg.connect(served.database_url)
    try:
        most = await conn.fetchval(
            "SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) n FROM watchlist_syncs GROUP BY user_id) c"
        )
    finally:
        await conn.close()
    assert most <= 10


async def test_malformed_input_is_never_a_500(served: Served) -> None:
    """Item 8: deep nesting and lone surrogates over HTTP, deep nesting over the WebSocket."""
    async with httpx.AsyncClient(base_url=served.base, timeout=60) as http:
        headers = {"Content-Type": "application/json", "X-CSRF-Token": await logged_in(http, 4001)}
        for method, path in (("POST", "/api/v1/auth/login"), ("PUT", "/api/v1/watchlist")):
            assert (await http.request(method, path, content=b"[" * 20_000, headers=headers)).status_code == 400
        http.cookies.clear()
        lone = b'{"username": "%s", "password": "\\ud800\\ud800 twelve chars"}' % name().encode()
        response = await http.post("/api/v1/auth/signup", content=lone, headers={"Content-Type": "application/json"})
        assert response.status_code == 400
    async with connect(served.ws) as ws:
        await ws.send("[" * 5000 + "]" * 5000)
        frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
        while frame["type"] == "status":
            frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert frame["code"] == "malformed_json"


async def test_every_response_carries_the_security_headers(served: Served) -> None:
    """Item 10."""
    async with httpx.AsyncClient(base_url=served.base, timeout=60) as http:
        for path in ("/healthz", "/api/v1/markets", "/static/app.css", "/metrics", "/nothing/here", "/"):
            response = await http.get(path)
            assert response.headers.get("X-Content-Type-Options") == "nosniff", path
            assert "Content-Security-Policy" in response.headers and "Referrer-Policy" in response.headers, path


async def test_websocket_origin_and_per_address_cap(served: Served) -> None:
    """Item 11: another site's page cannot connect; one address cannot hold 1,000 sockets."""
    with pytest.raises(InvalidStatus) as refused:
        await connect(served.ws, origin="https://evil.example")  # type: ignore[arg-type]
    assert refused.value.response.status_code == 403
    opened, statuses = [], Counter[int]()
    try:
        for _ in range(160):  # 50 per address and worker: at most 100 of these can be open
            try:
                opened.append(await connect(served.ws, open_timeout=10))
                statuses[101] += 1
            except InvalidStatus as error:
                statuses[error.response.status_code] += 1
    finally:
        for ws in opened:
            await ws.close()
    assert statuses[101] <= 100 and statuses[429] >= 60, statuses


async def test_metrics_answer_for_the_instance_whichever_worker_answers(served: Served) -> None:
    """Item 7: before, six scrapes said ticks_ingested_total 0 five times and 2644 once."""
    ticks = []
    for _ in range(8):
        async with httpx.AsyncClient(base_url=served.base) as http:  # fresh connection: any worker
            text = (await http.get("/metrics")).text
        found = re.search(r"^covaex_ticks_ingested_total ([0-9.e+]+)$", text, re.MULTILINE)
        assert found is not None
        ticks.append(float(found.group(1)))
        await asyncio.sleep(0.1)
    assert ticks[0] > 0, f"no ingested ticks in /metrics: {ticks}"
    assert ticks == sorted(ticks), ticks


async def eventually(check: Callable[[], Awaitable[bool]], within: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within:
        if await check():
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    pytest.fail(f"not within {within} s")


async def test_a_failover_of_the_database_is_503_never_500(served: Served) -> None:
    """Item 9: after pg_terminate_backend, /auth/me answered 500."""
    async with httpx.AsyncClient(base_url=served.base, timeout=60) as http:
        await logged_in(http, 5001)
        admin = await asyncpg.connect(served.database_url)
        try:
            for _ in range(3):
                await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                statuses = {(await http.get("/api/v1/auth/me")).status_code for _ in range(4)}
                assert statuses <= {200, 503}, statuses
        finally:
            await admin.close()


async def test_prices_return_within_seconds_of_the_upstream(served: Served) -> None:
    """Item 15: the reconnect backoff reached ~30 s; prices came back 13 s after the upstream did."""

    async def as_of() -> Any:
        async with httpx.AsyncClient(base_url=served.base) as http:
            return (await http.get("/api/v1/markets")).json()["asOf"]

    async def reconnects() -> float:
        async with httpx.AsyncClient(base_url=served.base) as http:
            text = (await http.get("/metrics")).text
        found = re.search(r"^covaex_upstream_reconnects_total ([0-9.e+]+)$", text, re.MULTILINE)
        assert found is not None
        return float(found.group(1))

    # Attempts after which the backoff's ceiling is its cap (the wait the bug let grow to ~30 s),
    # from the feed's own defaults; waited for, instead of sleeping a fixed 12 s.
    feed = BinanceFeed(SYMBOLS, "ws://unused", "http://unused", FeedStats())
    to_cap = math.ceil(math.log2(feed.backoff_cap / feed.backoff_base)) + 1
    served.upstream.stop()
    stopped_at = await reconnects()

    async def backoff_at_cap() -> bool:
        return await reconnects() >= stopped_at + to_cap

    await eventually(backoff_at_cap, within=120)
    before = await as_of()
    served.upstream.start()

    async def fresh() -> bool:
        return bool(await as_of() != before)

    took = await eventually(fresh, within=15)
    print(f"prices back {took:.1f} s after the upstream")
    assert took < 8
