"""The boot drill: the To-Be v1 prod instance's user data, run by real systemd, then broken on purpose.

One instance is booted for the module (:func:`instance`); the drills run on
it in file order and each prints its timing (``[drill] ...``, shown with
``pytest -s`` and in the report of a failure). What this proves and what it
cannot: docs/runbooks (README "Deploy to AWS").
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from typing import Any

import httpx
import pytest
from covaex_service.market.gateway.protocol import CLOSE_GOING_AWAY
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from covaex.synth import SynthResult
from tests.boot.booting import CLIENT, DB_USER, REQUEST_TIMEOUT_SECONDS, Booted, booted_instance
from tests.boot.drill import new_password, timed, wait_for

# One boot plus six drills (one of them a 60 s outage) and a reboot.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


@pytest.fixture(scope="module")
def booted(can_boot: None, synthesized: SynthResult, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Booted]:
    yield from booted_instance(synthesized, tmp_path_factory.mktemp("boot-drill"))


def test_first_boot_is_healthy_within_the_grace_period_and_serves(booted: Booted) -> None:
    assert booted.boot_seconds < booted.grace_seconds
    # Binance is unreachable from the container: COVAEX_FEED=auto falls back to the labelled simulator.
    with timed("healthy to 20 markets served"):
        wait_for("GET /api/v1/markets lists every symbol",
                 lambda: len(booted.get("/api/v1/markets").json()["markets"]) == 20, timeout=90)  # fmt: skip
    with timed("WebSocket subscribe to snapshot"), connect(booted.instance.url("/ws/v1/market", booted.port).replace(
        "http", "ws"), additional_headers=CLIENT, open_timeout=REQUEST_TIMEOUT_SECONDS) as ws:  # fmt: skip
        ws.send(json.dumps({"op": "subscribe", "symbols": ["BTCUSDT"], "id": 1}))
        frames = [json.loads(ws.recv(timeout=REQUEST_TIMEOUT_SECONDS)) for _ in range(2)]
    assert [f["type"] for f in frames] == ["subscribed", "snapshot"]
    assert frames[1]["data"][0]["symbol"] == "BTCUSDT"
    # The service runs the released wheel from the venv, not a checkout.
    pip_show = booted.instance.sh("/opt/covaex/venv/bin/pip show covaex").stdout
    assert "Version: " in pip_show
    # The service extra only: none of the IaC and docs toolchain on the instance.
    toolchain = booted.instance.sh("ls /opt/covaex/venv/lib/python3.11/site-packages", check=False).stdout.split()
    assert not {"cdktf", "mkdocs", "diagrams"} & set(toolchain)


def test_redis_outage_keeps_instances_in_service_and_recovers(booted: Booted) -> None:
    # A worker takes the lease a moment after /healthz first answers: count from there.
    wait_for("a worker leads the feed", lambda: booted.feed_starts() > 0, timeout=30, interval=0.5)
    feed_starts = booted.feed_starts()
    booted.stand.redis.stop()
    outage_end = time.monotonic() + 60
    health_codes: set[int] = set()
    readyz: dict[str, Any] = {}
    stale = False
    with timed("Redis stopped for 60 s"):
        while time.monotonic() < outage_end:
            health_codes.add(booted.health())
            ready = booted.get("/readyz")
            if ready.status_code == 503:
                readyz = ready.json()
            stale = stale or booted.get("/api/v1/markets").json()["stale"]
            time.sleep(2)
    assert health_codes == {200}, "the ALB's health path stays 200: instances stay in service"
    assert readyz.get("status") == "not_ready" and readyz["checks"]["cache"] != "ok", readyz
    assert stale, "prices are labelled stale while the cache is down"

    booted.stand.redis.start()  # empty, as after a failover that lost the lease key
    back = time.monotonic()
    first: dict[str, float] = {}

    def recovered() -> bool:
        checks = {
            "/readyz 200": booted.get("/readyz").status_code == 200,
            "prices fresh": not booted.get("/api/v1/markets").json()["stale"],
        }
        for name, ok in checks.items():
            if ok:
                first.setdefault(name, time.monotonic() - back)
        return all(checks.values())

    with timed("Redis back: /readyz ready and prices fresh") as took:
        try:
            wait_for("fresh again", recovered, timeout=10, interval=0.1)
        except AssertionError as exc:
            raise AssertionError(f"{exc} (first seen: {first})\n{booted.instance.diagnose()}") from None
    print("[drill]   " + ", ".join(f"{name} after {seconds:.1f} s" for name, seconds in first.items()))
    assert took["seconds"] < 10
    # The service's design bound (market/ingest.py): the leader keeps its feed through the outage.
    assert booted.feed_starts() == feed_starts, "the feed restarted across the outage"


@contextmanager
def _login(booted: Booted, username: str, password: str) -> Iterator[httpx.Client]:
    url = booted.instance.url("", booted.port)
    with httpx.Client(base_url=url, headers=CLIENT, timeout=REQUEST_TIMEOUT_SECONDS) as client:
        response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
        response.raise_for_status()
        client.headers["X-CSRF-Token"] = response.json()["csrfToken"]
        # In prod the cookies are Secure (the ALB ends TLS), and httpx keeps Secure cookies
        # off plain http: send them by hand, as the browser does through the ALB.
        client.headers["Cookie"] = "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar)
        yield client


def test_database_secret_rotation_heals_without_anyone_restarting(booted: Booted) -> None:
    username, password = "drill_rotation", "correct horse battery staple"
    signup = httpx.post(booted.instance.url("/api/v1/auth/signup", booted.port), headers=CLIENT,
                        timeout=REQUEST_TIMEOUT_SECONDS, json={"username": username, "password": password})  # fmt: skip
    assert signup.status_code == 201, signup.text
    with _login(booted, username, password) as client:
        assert client.put("/api/v1/watchlist/BTCUSDT").status_code in (200, 204)
    restarts_before = booted.instance.sh("systemctl show -p NRestarts --value covaex").stdout.strip()

    # RDS's rotation: a new password in the secret and in PostgreSQL; the old one no longer works.
    rotated = new_password()
    booted.stand.moto.client("secretsmanager").put_secret_value(
        SecretId=booted.db_secret_arn, SecretString=json.dumps({"username": DB_USER, "password": rotated})
    )
    booted.stand.postgres.sql(f"ALTER ROLE {DB_USER} PASSWORD '{rotated}'")
    booted.stand.postgres.sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{DB_USER}'")

    def works() -> bool:
        with _login(booted, username, password) as client:
            return "BTCUSDT" in client.get("/api/v1/watchlist").text

    with timed("DB secret rotated: logins and watchlist work again") as took:
        wait_for("login and watchlist after rotation", works, timeout=60, interval=1)
    assert took["seconds"] < 60
    restarts_after = booted.instance.sh("systemctl show -p NRestarts --value covaex").stdout.strip()
    print(f"[drill] systemd restarts of covaex during the rotation: {restarts_before} -> {restarts_after}")


def _kill_and_wait(booted: Booted, label: str, victims: list[int]) -> None:
    killed = time.monotonic()
    booted.instance.sh(f"kill -KILL {' '.join(map(str, victims))}")

    def answering_without_them() -> bool:
        workers = booted.workers()
        return len(workers) == 2 and not set(victims) & set(workers) and booted.healthy()

    # Bound: back before the ALB's health check would take the instance out (threshold x interval).
    with timed(f"SIGKILL of {label}: answering again (ALB window {booted.alb_window_seconds} s)") as took:
        try:
            wait_for(f"answering after SIGKILL of {label}", answering_without_them, timeout=booted.alb_window_seconds)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{booted.instance.diagnose()}") from None
    print(f"[drill]   {booted.restart_phases(killed)}")
    assert booted.get("/api/v1/markets").status_code == 200
    assert took["seconds"] < booted.alb_window_seconds


def test_killed_workers_are_replaced(booted: Booted) -> None:
    # Start from a settled service (the previous drill may have just restarted it).
    wait_for("both workers started and serving", booted.settled, timeout=30)
    workers = booted.workers()
    assert len(workers) == 2, f"two Sanic workers expected, found {workers}"
    _kill_and_wait(booted, "one worker", workers[:1])
    _kill_and_wait(booted, "every worker", booted.workers())


def test_restart_with_websocket_clients_connected(booted: Booted) -> None:
    url = booted.instance.url("/ws/v1/market", booted.port).replace("http", "ws")
    with ExitStack() as stack:
        clients = [
            stack.enter_context(connect(url, additional_headers=CLIENT, open_timeout=REQUEST_TIMEOUT_SECONDS))
            for _ in range(5)
        ]
        for ws in clients:
            ws.send(json.dumps({"op": "subscribe", "symbols": ["ETHUSDT"], "id": 1}))
            ws.recv(timeout=REQUEST_TIMEOUT_SECONDS)
        window = booted.alb_window_seconds
        with timed(f"systemctl restart covaex, 5 WebSocket clients: answering again (ALB window {window} s)") as took:
            asked = time.monotonic()
            booted.instance.sh("systemctl restart covaex")
            wait_for("answering after restart", booted.healthy, timeout=window)
        print(f"[drill]   {booted.restart_phases(asked)}")
        assert took["seconds"] < window
        assert booted.instance.sh("systemctl is-active covaex").stdout.strip() == "active"
        # KillMode=mixed lets the main process stop its workers in order: clients are told "going away".
        assert [_close_code(ws) for ws in clients] == [CLOSE_GOING_AWAY] * len(clients)


def _close_code(ws: ClientConnection) -> int | None:
    """The code the server closed ``ws`` with (frames still queued are skipped); TimeoutError if still open."""
    with suppress(ConnectionClosed):
        while True:
            ws.recv(timeout=REQUEST_TIMEOUT_SECONDS)
    return ws.close_code


def test_reboot_brings_the_service_back_with_secrets_read_afresh(booted: Booted) -> None:
    fresh_key = new_password() * 3
    secrets = booted.stand.moto.client("secretsmanager")
    secrets.put_secret_value(SecretId=booted.session_secret_arn, SecretString=fresh_key)
    hard_exits = booted.hard_exits()
    with timed("reboot: container up and the service answering") as took:
        down = booted.instance.reboot(within=booted.grace_seconds)
        wait_for("healthy after reboot", booted.healthy, timeout=booted.grace_seconds - down, interval=1)
    print(f"[drill]   container down after {down:.1f} s; covaex stops that needed the hard exit: "
          f"{booted.hard_exits() - hard_exits}")  # fmt: skip
    assert took["seconds"] < booted.grace_seconds
    env = booted.instance.sh("cat /run/covaex/env").stdout
    assert f"COVAEX_SECRET_KEY={fresh_key}" in env, "the env file is rewritten from the secret store at each start"
    # The user data ran once (first boot); the service came back because it is enabled, not re-installed.
    ran = booted.instance.sh("systemctl show -p ExecMainStartTimestampMonotonic --value drill-user-data").stdout
    assert ran.strip() in ("", "0"), "the user data does not run again on a reboot"
