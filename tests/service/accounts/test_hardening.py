"""What an attack on the accounts API found (issue 16), each kept fixed by a test on the live app.

The numbers name the items of the issue; the abuse suite (tests/abuse/) replays
the expensive ones against ``covaex serve --workers 2``.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from pathlib import Path

import asyncpg
import httpx
import pytest
from covaex_service.accounts import SESSION_COOKIE
from covaex_service.accounts.storage import DatabaseUnavailable, open_store
from covaex_service.accounts.storage.postgres import _translated

from tests.support.accounts import FAST_HASHING, app_settings, serve, signed_up, unique_name

PASSWORD = "correct horse battery"
SIGNUP, LOGIN = "/api/v1/auth/signup", "/api/v1/auth/login"


async def test_signups_are_limited_per_address(database_url: str) -> None:
    """Item 3: one address cannot create accounts without end (each costs an Argon2 hash)."""
    config = replace(FAST_HASHING, max_signups_per_client=3)
    async with serve(app_settings(database_url), config) as live, live.client() as client:
        live.app.config.PROXIES_COUNT = 1

        async def signup(address: str) -> httpx.Response:
            body = {"username": unique_name(), "password": PASSWORD}
            return await client.post(SIGNUP, json=body, headers={"X-Forwarded-For": address})

        assert [(await signup("198.51.100.7")).status_code for _ in range(3)] == [201] * 3
        refused = await signup("198.51.100.7")
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(refused.headers["Retry-After"]) <= 3600
        assert (await signup("198.51.100.8")).status_code == 201


async def test_a_hashing_flood_is_refused_with_503_and_retry_after_while_health_answers(database_url: str) -> None:
    """The bounded Argon2 queue: past one hashing and one waiting, signups get 503 at once."""
    slow = replace(FAST_HASHING, hash_time_cost=6, hash_memory_kib=32 * 1024, hash_concurrency=1, hash_queue=1)
    config = replace(slow, max_signups_per_client=1000)
    async with serve(app_settings(database_url), config) as live, live.client() as client:
        bodies = [{"username": unique_name(), "password": PASSWORD} for _ in range(12)]
        finished: list[str] = []  # the order in which the answers arrive

        async def post(body: dict[str, str]) -> httpx.Response:
            answer = await client.post(SIGNUP, json=body)
            finished.append(f"signup {answer.status_code}")
            return answer

        flood = asyncio.gather(*(post(body) for body in bodies))
        await asyncio.sleep(0.02)
        health = await client.get("/healthz")
        finished.append("health")
        answers = await flood
    # Health answered before any signup that hashed: the hashing runs off the event loop
    # (ordered, not timed: on a busy machine every request is slower, the order is not).
    assert "signup 201" in finished and finished.index("health") < finished.index("signup 201"), finished
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(201) >= 2 and statuses.count(503) >= 5, statuses
    busy = next(a for a in answers if a.status_code == 503)
    assert busy.json()["error"]["code"] == "busy"
    assert int(busy.headers["Retry-After"]) >= 1
    assert health.status_code == 200


@pytest.mark.parametrize("path", [SIGNUP, LOGIN])
async def test_login_csrf_json_from_this_site_only(database_url: str, path: str) -> None:
    """Item 4: a cross-site form (text/plain) or a foreign Origin cannot sign up or log in."""
    async with serve(app_settings(database_url)) as live, live.client() as client:
        body = f'{{"username": "{unique_name()}", "password": "{PASSWORD}"}}'
        as_form = await client.post(path, content=body, headers={"Content-Type": "text/plain"})
        assert as_form.status_code == 415 and as_form.json()["error"]["code"] == "unsupported_media_type"
        json_headers = {"Content-Type": "application/json"}
        evil = await client.post(path, content=body, headers={**json_headers, "Origin": "https://evil.example"})
        assert evil.status_code == 403 and evil.json()["error"]["code"] == "cross_origin"
        sandboxed = await client.post(path, content=body, headers={**json_headers, "Origin": "null"})
        assert sandboxed.status_code == 403
        own = await client.post(path, content=body, headers={**json_headers, "Origin": live.base_url})
        assert own.status_code in (201, 401)  # past the guard: created, or an unknown user


async def test_malformed_input_is_a_400_never_a_500(database_url: str) -> None:
    """Item 8: deep nesting (RecursionError) and lone surrogates (UnicodeEncodeError in Argon2)."""
    async with serve(app_settings(database_url)) as live, live.client() as client:
        csrf = await signed_up(client)
        json_headers = {"Content-Type": "application/json", "X-CSRF-Token": csrf}
        deep = b"[" * 20_000
        for method, path in (("POST", SIGNUP), ("POST", LOGIN), ("PUT", "/api/v1/watchlist")):
            response = await client.request(method, path, content=deep, headers=json_headers)
            assert response.status_code == 400, (path, response.text)
            assert "nested too deeply" in response.json()["error"]["message"]
        client.cookies.clear()
        surrogate = b'{"username": "%s", "password": "\\ud800 and some more text"}' % unique_name().encode()
        for path in (SIGNUP, LOGIN):
            response = await client.post(path, content=surrogate, headers={"Content-Type": "application/json"})
            assert response.status_code == 400, (path, response.text)
            assert "unpaired UTF-16 surrogate" in response.json()["error"]["message"]


async def test_a_replayed_sync_id_with_other_items_is_a_409(database_url: str) -> None:
    """Item 14: the new items are not silently dropped; the client is told to send a new syncId."""
    async with serve(app_settings(database_url)) as live, live.client() as client:
        headers = {"X-CSRF-Token": await signed_up(client)}
        sync_id = str(uuid.uuid4())
        first = {"syncId": sync_id, "items": [{"symbol": "BTCUSDT", "addedAt": 1}]}
        assert (await client.post("/api/v1/watchlist/sync", json=first, headers=headers)).status_code == 200
        retry = await client.post("/api/v1/watchlist/sync", json=first, headers=headers)
        assert retry.status_code == 200
        changed = {"syncId": sync_id, "items": [{"symbol": "ETHUSDT", "addedAt": 2}]}
        conflict = await client.post("/api/v1/watchlist/sync", json=changed, headers=headers)
        assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "sync_id_reused"


async def test_sync_records_of_one_user_stay_bounded(database_url: str) -> None:
    """Item 6: a flood of new syncIds with junk symbols cannot fill the database."""
    config = replace(FAST_HASHING, max_sync_records_per_user=4)
    async with serve(app_settings(database_url), config) as live, live.client() as client:
        headers = {"X-CSRF-Token": await signed_up(client)}
        junk = [{"symbol": f"JUNK{n}", "addedAt": n} for n in range(200)]
        for _ in range(12):
            body = {"syncId": str(uuid.uuid4()), "items": junk}
            assert (await client.post("/api/v1/watchlist/sync", json=body, headers=headers)).status_code == 200
        me = await client.get("/api/v1/auth/me")
        user = await live.app.ctx.accounts.store.user_by_username(me.json()["username"])
        rows = await live.app.ctx.accounts.store.db.fetch("SELECT 1 FROM watchlist_syncs WHERE user_id = ?", user.id)
    assert len(rows) == 4


async def test_expired_rows_are_purged_when_the_server_starts(tmp_path: Path) -> None:
    """Item 13: sessions of users who never return, and spent throttle events, are deleted."""
    url = f"sqlite:///{tmp_path / 'purge.db'}"
    store = await open_store(url)
    user = await store.create_user("u1", "neverback", "hash", 1)
    assert user is not None
    await store.start_session("gone", user.id, "csrf", now=1, expires_at=2, replacing=None)
    await store.record_throttle_events(["spent"], 3, "attempt")
    await store.db.close()
    async with serve(app_settings(url)) as live:
        db = live.app.ctx.accounts.store.db
        for _ in range(50):
            if not await db.fetch("SELECT 1 FROM sessions") and not await db.fetch("SELECT 1 FROM login_failures"):
                break
            await asyncio.sleep(0.05)
        assert await db.fetch("SELECT 1 FROM sessions") == []
        assert await db.fetch("SELECT 1 FROM login_failures") == []


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.exceptions.AdminShutdownError,
        asyncpg.exceptions.CannotConnectNowError,
        asyncpg.exceptions.ReadOnlySQLTransactionError,
        asyncpg.exceptions.ConnectionDoesNotExistError,
        asyncpg.exceptions.InternalClientError,
        asyncpg.exceptions.TooManyConnectionsError,
    ],
)
def test_failover_errors_of_postgresql_are_unavailable(error: type[Exception]) -> None:
    """Item 9: what an RDS failover raises is an outage to wait out (503), not a bug (500)."""
    with pytest.raises(DatabaseUnavailable), _translated():
        raise error("failover")


async def test_a_terminated_backend_is_never_a_500(pg_database_url: str) -> None:
    """Item 9, for real: pg_terminate_backend under a logged-in client; /auth/me is 200 or 503, never 500."""
    async with serve(app_settings(pg_database_url)) as live, live.client() as client:
        await signed_up(client)
        admin = await asyncpg.connect(pg_database_url)
        try:
            for _ in range(3):
                await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                statuses = {(await client.get("/api/v1/auth/me")).status_code for _ in range(3)}
                assert statuses <= {200, 503}, statuses
        finally:
            await admin.close()


async def test_security_headers_are_on_every_response(database_url: str) -> None:
    """Item 10: not only on the page: API, static, errors; no-store where the CSRF token travels."""
    async with serve(app_settings(database_url)) as live, live.client() as client:
        await signed_up(client)
        for path in ("/healthz", "/api/v1/markets", "/static/app.css", "/no/such/page", "/api/v1/auth/me", "/"):
            response = await client.get(path)
            for header in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"):
                assert header in response.headers, (path, header)
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert "Strict-Transport-Security" not in response.headers  # dev: plain HTTP on loopback
        me = await client.get("/api/v1/auth/me")
        assert me.headers["Cache-Control"] == "no-store"
        assert "script-src 'self'" in (await client.get("/")).headers["Content-Security-Policy"]  # the page's own


async def test_prod_sends_hsts_and_secure_cookies_whatever_the_forwarded_proto(database_url: str) -> None:
    settings = app_settings(database_url, env="prod", secret_key="k" * 48, secret_generated=False)
    async with serve(settings) as live, live.client() as client:
        assert (await client.get("/healthz")).headers["Strict-Transport-Security"].startswith("max-age=")
        username = unique_name()
        await client.post(SIGNUP, json={"username": username, "password": PASSWORD})
        login = await client.post(LOGIN, json={"username": username, "password": PASSWORD})
    cookie = next(h for h in login.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
    assert "secure" in cookie.lower()


async def test_long_passwords_are_judged_not_crashed_on(database_url: str) -> None:
    """zxcvbn refuses input over 72 characters with a ValueError; the policy judges the first 72."""
    async with serve(app_settings(database_url)) as live, live.client() as client:
        long_strong = "violet orbit cactus lantern " * 4 + "tidepool"
        weak_long = "1234567890" * 12
        for password, status in ((long_strong[:128], 201), (weak_long, 400)):
            response = await client.post(SIGNUP, json={"username": unique_name(), "password": password})
            assert response.status_code == status, (password, response.text)
