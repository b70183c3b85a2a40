"""Steady user load through the stand-in ALB, recorded for the measurements.

Bounded in count (:class:`LoadShape`) and in time (the scenario stops it): page and
REST readers (no cookie, so the ALB spreads them), WebSocket clients that behave as
the browser's ``live.js`` (subscribe to every symbol, an app-level ping after
``QUIET_S`` of silence, declared dead ``PONG_TIMEOUT_S`` later, reconnect with capped
jittered backoff reset by a snapshot), and logged-in users who add and remove
watchlist items (sticky, as a browser is), each acknowledged write recorded.

The load runs on its own event-loop thread; the scenario reads its records.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import secrets
import statistics
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import connect

# live.js's constants (service/covaex_service/ui/static/js/live.js)
BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 30.0
QUIET_S = 1.0
PONG_TIMEOUT_S = 3.0
WATCHDOG_S = 0.5

REQUEST_TIMEOUT_S = 5.0
READER_PAUSE_S = 0.25
WRITER_PAUSE_S = 0.3


@dataclass(frozen=True)
class LoadShape:
    readers: int = 3
    ws_clients: int = 8
    writers: int = 3


@dataclass
class User:
    """A logged-in user: cookies (session, CSRF, the ALB's stickiness) and the CSRF token."""

    username: str
    cookies: dict[str, str]
    csrf: str
    symbols: tuple[str, ...]


@dataclass
class Request:
    start: float
    end: float
    kind: str
    ok: bool


@dataclass
class Write:
    start: float
    end: float
    user: str
    symbol: str
    add: bool
    acked: bool


@dataclass
class Records:
    requests: list[Request] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    updates: list[float] = field(default_factory=list)
    """Arrival times of WebSocket ``update`` frames (prices), every client."""
    ws_down: dict[int, float] = field(default_factory=dict)
    """Client -> when its socket closed or was declared dead, while it is not live again."""
    ws_reconnects: list[tuple[float, float]] = field(default_factory=list)
    """(down at, live again at) of every reconnect."""
    ws_live: set[int] = field(default_factory=set)


def signup_users(base: str, count: int, symbols: Sequence[str]) -> list[User]:
    """Sign up and log in ``count`` users through the ALB (strong random passwords)."""
    users = []
    per_user = max(1, len(symbols) // max(count, 1))
    with httpx.Client(base_url=base, timeout=30) as client:
        for index in range(count):
            username = f"drill{index}{secrets.token_hex(3)}"
            password = secrets.token_urlsafe(18)
            body = {"username": username, "password": password}
            created = client.post("/api/v1/auth/signup", json=body)
            if created.status_code != 201:
                raise RuntimeError(f"signup of {username} answered {created.status_code}: {created.text[:200]}")
            client.cookies.clear()
            login = client.post("/api/v1/auth/login", json=body)
            if login.status_code != 200:
                raise RuntimeError(f"login of {username} answered {login.status_code}: {login.text[:200]}")
            cookies = {cookie.name: str(cookie.value) for cookie in login.cookies.jar}
            cookies.update({cookie.name: str(cookie.value) for cookie in client.cookies.jar})
            client.cookies.clear()
            mine = tuple(symbols[index * per_user : (index + 1) * per_user]) or tuple(symbols[:1])
            users.append(User(username, cookies, str(login.json()["csrfToken"]), mine))
    return users


def watchlist_of(base: str, user: User) -> set[str]:
    with httpx.Client(base_url=base, timeout=30, cookies=user.cookies) as client:
        answer = client.get("/api/v1/watchlist")
        answer.raise_for_status()
        return {str(item["symbol"]) for item in answer.json()["items"]}


class Load:
    """The load on its own thread: :meth:`start`, then :meth:`stop`; :attr:`records` holds what happened."""

    def __init__(self, base: str, users: Sequence[User], symbols: Sequence[str], shape: LoadShape) -> None:
        self.base = base
        self.ws_url = base.replace("http://", "ws://", 1) + "/ws/v1/market"
        self.users = list(users)
        self.symbols = list(symbols)
        self.shape = shape
        self.records = Records()
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._stopping: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="drill-load", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(timeout=30)

    def snapshot(self) -> Records:
        """A copy of the records so far (the load thread keeps appending)."""
        with self._lock:
            return Records(
                list(self.records.requests), list(self.records.writes), list(self.records.updates),
                dict(self.records.ws_down), list(self.records.ws_reconnects), set(self.records.ws_live),
            )  # fmt: skip

    def _run(self) -> None:
        self._loop.run_until_complete(self._main())
        self._loop.close()

    async def _main(self) -> None:
        self._stopping = asyncio.Event()
        limits = httpx.Limits(max_connections=self.shape.readers * 2)
        async with httpx.AsyncClient(base_url=self.base, timeout=REQUEST_TIMEOUT_S, limits=limits) as readers:
            tasks = [asyncio.create_task(self._reader(readers, i)) for i in range(self.shape.readers)]
            tasks += [asyncio.create_task(self._ws_client(i)) for i in range(self.shape.ws_clients)]
            tasks += [asyncio.create_task(self._writer(u)) for u in self.users]
            await self._stopping.wait()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def _record(self, item: Request | Write) -> None:
        with self._lock:
            if isinstance(item, Request):
                self.records.requests.append(item)
            else:
                self.records.writes.append(item)

    async def _reader(self, client: httpx.AsyncClient, index: int) -> None:
        paths = ("/", "/api/v1/markets", f"/coins/{self.symbols[index % len(self.symbols)]}")
        turn = 0
        while True:
            path = paths[turn % len(paths)]
            turn += 1
            start = time.monotonic()
            try:
                answer = await client.get(path, headers={"cookie": ""})
                ok = answer.status_code == 200
            except httpx.HTTPError:
                ok = False
            self._record(Request(start, time.monotonic(), "page" if path != "/api/v1/markets" else "rest", ok))
            await asyncio.sleep(READER_PAUSE_S)

    async def _writer(self, user: User) -> None:
        headers = {"X-CSRF-Token": user.csrf}
        turn = 0
        async with httpx.AsyncClient(base_url=self.base, timeout=REQUEST_TIMEOUT_S, cookies=user.cookies) as client:
            while True:
                symbol = user.symbols[turn % len(user.symbols)]
                add = (turn // len(user.symbols)) % 2 == 0
                turn += 1
                start = time.monotonic()
                # Recorded before it is sent: a write cut off when the load stops is an unacknowledged attempt.
                write = Write(start, start, user.username, symbol, add, acked=False)
                self._record(write)
                try:
                    answer = await (
                        client.put(f"/api/v1/watchlist/{symbol}", headers=headers)
                        if add
                        else client.delete(f"/api/v1/watchlist/{symbol}", headers=headers)
                    )
                    acked = answer.status_code == 200
                except httpx.HTTPError:
                    acked = False
                end = time.monotonic()
                with self._lock:
                    write.end, write.acked = end, acked
                self._record(Request(start, end, "write", acked))
                await asyncio.sleep(WRITER_PAUSE_S)

    async def _ws_client(self, index: int) -> None:
        attempt = 0
        while True:
            try:
                async with connect(self.ws_url, open_timeout=REQUEST_TIMEOUT_S, ping_interval=None) as socket:
                    await socket.send(json.dumps({"op": "subscribe", "symbols": self.symbols}))
                    last_frame = time.monotonic()
                    ping_sent = 0.0
                    while True:
                        try:
                            raw = await asyncio.wait_for(socket.recv(), timeout=WATCHDOG_S)
                        except TimeoutError:
                            now = time.monotonic()
                            if ping_sent and now - ping_sent > PONG_TIMEOUT_S:
                                break  # declared dead, as live.js does
                            if not ping_sent and now - last_frame > QUIET_S:
                                ping_sent = now
                                await socket.send(json.dumps({"op": "ping"}))
                            continue
                        last_frame = time.monotonic()
                        ping_sent = 0.0
                        frame: dict[str, Any] = json.loads(raw)
                        if frame.get("type") == "snapshot":
                            attempt = 0
                            self._went_live(index, last_frame)
                        elif frame.get("type") == "update":
                            with self._lock:
                                self.records.updates.append(last_frame)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: S110  # any failure is a closed socket to the browser
                pass
            self._went_down(index, time.monotonic())
            ceiling = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt)
            attempt += 1
            await asyncio.sleep(ceiling / 2 + random.random() * ceiling / 2)  # noqa: S311  # jitter, not crypto

    def _went_live(self, index: int, at: float) -> None:
        with self._lock:
            down = self.records.ws_down.pop(index, None)
            if down is not None:
                self.records.ws_reconnects.append((down, at))
            self.records.ws_live.add(index)

    def _went_down(self, index: int, at: float) -> None:
        with self._lock:
            self.records.ws_live.discard(index)
            self.records.ws_down.setdefault(index, at)


# -- measurements ------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    http_recovered_s: float | None
    errors: int
    ws_reconnected_p50_s: float | None
    ws_reconnected_p95_s: float | None
    prices_stale_s: float | None
    writes_acknowledged: int
    writes_lost: int

    def as_json(self) -> dict[str, Any]:
        return {
            "http_recovered_s": self.http_recovered_s,
            "errors": self.errors,
            "ws_reconnected_p50_s": self.ws_reconnected_p50_s,
            "ws_reconnected_p95_s": self.ws_reconnected_p95_s,
            "prices_stale_s": self.prices_stale_s,
            "writes_acknowledged": self.writes_acknowledged,
            "writes_lost": self.writes_lost,
        }


def _r(value: float) -> float:
    return round(value, 1)


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-share * len(ordered) // 1))))
    return ordered[rank - 1]


def measure(records: Records, broke_at: float, until: float, final: dict[str, set[str]]) -> Measured:
    """The figures of one disruption from ``broke_at`` to ``until`` (monotonic seconds).

    ``http_recovered_s``: from the break to the end of the last failed request (0 with no
    failure); ``prices_stale_s``: the longest time with no price update reaching any client;
    a write is lost when it was acknowledged, was its symbol's last attempt, and the final
    list (``final``: user -> symbols, read after the restore) disagrees with it. A symbol
    whose last attempt failed may hold either state (the write may have committed).
    """
    window = [r for r in records.requests if r.end >= broke_at and r.start <= until]
    failed = [r for r in window if not r.ok]
    recovered = _r(max(r.end for r in failed) - broke_at) if failed else 0.0
    reconnects = [live - down for down, live in records.ws_reconnects if down >= broke_at - 1 and down <= until]
    updates = sorted(t for t in records.updates if broke_at <= t <= until)
    marks = [broke_at, *updates, until]
    stale = _r(max(b - a for a, b in itertools.pairwise(marks))) if len(marks) > 1 else None
    acked = [w for w in records.writes if w.acked and w.end >= broke_at and w.start <= until]
    last: dict[tuple[str, str], Write] = {}
    for write in sorted(records.writes, key=lambda w: w.start):
        last[(write.user, write.symbol)] = write
    lost = 0
    for (user, symbol), write in last.items():
        if write.acked and (symbol in final.get(user, set())) != write.add:
            lost += 1
    return Measured(
        http_recovered_s=recovered,
        errors=len(failed),
        ws_reconnected_p50_s=_r(statistics.median(reconnects)) if reconnects else None,
        ws_reconnected_p95_s=_r(percentile(reconnects, 0.95)) if reconnects else None,
        prices_stale_s=stale,
        writes_acknowledged=len(acked),
        writes_lost=lost,
    )


def quiet_since(records: Records, now: float) -> float:
    """Seconds since the last failed request (infinite when none failed)."""
    failed = [r.end for r in records.requests if not r.ok]
    return now - max(failed) if failed else float("inf")
