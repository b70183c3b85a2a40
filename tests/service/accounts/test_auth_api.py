"""Signup, login, logout and me over HTTP against the live app, on both databases."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import httpx
import pytest
from covaex_service.accounts import CSRF_COOKIE, SESSION_COOKIE
from covaex_service.accounts.context import Accounts

from tests.support.accounts import FAST_HASHING, LiveApp, app_settings, serve, signed_up, unique_name

# One live app per module and backend (see conftest.live): every test runs in the module's loop.
pytestmark = pytest.mark.asyncio(loop_scope="module")

PASSWORD = "correct horse battery"


def set_cookie(response: httpx.Response, name: str) -> str:
    headers = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    assert len(headers) == 1, response.headers.get_list("set-cookie")
    return headers[0]


async def test_signup_then_login_then_me(live: LiveApp) -> None:
    username = unique_name("Alice")
    async with live.client() as client:
        response = await client.post("/api/v1/auth/signup", json={"username": username, "password": PASSWORD})
        assert response.status_code == 201
        assert response.json() == {"username": username.lower()}
        assert SESSION_COOKIE not in response.cookies  # signup does not log in

        response = await client.post("/api/v1/auth/login", json={"username": username.upper(), "password": PASSWORD})
        assert response.status_code == 200
        csrf = response.json()["csrfToken"]
        assert response.json()["username"] == username.lower()

        session_cookie = set_cookie(response, SESSION_COOKIE).lower()
        assert "httponly" in session_cookie and "samesite=lax" in session_cookie and "path=/" in session_cookie
        assert "secure" not in session_cookie  # plain HTTP here
        csrf_cookie = set_cookie(response, CSRF_COOKIE)
        assert "httponly" not in csrf_cookie.lower()
        assert client.cookies[CSRF_COOKIE] == csrf

        me = await client.get("/api/v1/auth/me")
        assert me.status_code == 200
        assert me.json() == {"username": username.lower(), "csrfToken": csrf}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"username": "ab", "password": PASSWORD}, "username must be 3 to 32 characters"),
        ({"username": "bad name!", "password": PASSWORD}, "username must be"),
        ({"username": "x' OR '1'='1", "password": PASSWORD}, "username must be"),
        ({"username": "shorty", "password": "short"}, "password must be 12 to 128"),
        ({"username": "plainuser", "password": "a" * 200}, "password must be 12 to 128"),
        ({"username": "plainuser", "password": "abababababab"}, "too easy to guess"),
        ({"username": "plainuser", "password": "my plainuser pw"}, "must not contain the username"),
        # NIST SP 800-63B: common, repetitive, sequential and keyboard passwords (zxcvbn's lists)
        ({"username": "plainuser", "password": "            abcd"}, "too easy to guess"),
        ({"username": "plainuser", "password": "12341234abcd"}, "too easy to guess"),
        ({"username": "plainuser", "password": "password1234"}, "too easy to guess"),
        ({"username": "plainuser", "password": "qwertyuiop123"}, "too easy to guess"),
        ({"username": "plainuser", "password": "covaexcovaex1"}, "too easy to guess"),
        # NFKC: fullwidth letters are the ASCII ones, so this is "password1234" again
        ({"username": "plainuser", "password": "\uff50\uff41\uff53\uff53\uff57\uff4f\uff52\uff441234"}, "too easy"),
        ({"username": "plainuser"}, "'password' is required"),
        ({"username": 5, "password": PASSWORD}, "'username' is required and must be a string"),
        ([1, 2], "must be a JSON object"),
    ],
)
async def test_signup_refuses_bad_input_with_a_clear_message(live: LiveApp, body: object, fragment: str) -> None:
    async with live.client() as client:
        response = await client.post("/api/v1/auth/signup", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"
    assert fragment in response.json()["error"]["message"]


async def test_malformed_json_is_a_400(live: LiveApp) -> None:
    async with live.client() as client:
        response = await client.post(
            "/api/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"}
        )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "the request body must be JSON"


async def test_a_taken_username_is_409_whatever_its_case(live: LiveApp) -> None:
    username = unique_name()
    async with live.client() as client:
        assert (
            await client.post("/api/v1/auth/signup", json={"username": username, "password": PASSWORD})
        ).status_code == 201
        again = await client.post("/api/v1/auth/signup", json={"username": username.upper(), "password": PASSWORD})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "username_taken"


async def test_bad_credentials_get_one_generic_answer(live: LiveApp) -> None:
    username = unique_name()
    async with live.client() as client:
        await client.post("/api/v1/auth/signup", json={"username": username, "password": PASSWORD})
        wrong_password = await client.post(
            "/api/v1/auth/login", json={"username": username, "password": PASSWORD + "x"}
        )
        no_such_user = await client.post("/api/v1/auth/login", json={"username": username + "x", "password": PASSWORD})
        malformed_name = await client.post("/api/v1/auth/login", json={"username": "';--", "password": PASSWORD})
        huge_password = await client.post("/api/v1/auth/login", json={"username": username, "password": "x" * 10_000})
        oversized_body = await client.post("/api/v1/auth/login", json={"username": username, "password": "x" * 100_000})
    for response in (wrong_password, no_such_user, malformed_name, huge_password):
        assert response.status_code == 401
        assert response.json() == {"error": {"code": "bad_credentials", "message": "wrong username or password"}}
        assert SESSION_COOKIE not in response.cookies
    # A body past the request limit is refused before it is parsed, still as a JSON error.
    assert oversized_body.status_code == 413
    assert oversized_body.json()["error"]["code"] == "payload_too_large"


async def test_me_and_logout_need_a_session(live: LiveApp) -> None:
    async with live.client() as client:
        assert (await client.get("/api/v1/auth/me")).status_code == 401
        assert (await client.post("/api/v1/auth/logout")).status_code == 401
        client.cookies.set(SESSION_COOKIE, "forged-session-id")
        response = await client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


async def test_login_rotates_the_session_id_and_revokes_the_old_one(live: LiveApp) -> None:
    username = unique_name()
    async with live.client() as client:
        csrf = await signed_up(client, username, PASSWORD)
        first = client.cookies[SESSION_COOKIE]
        # logging in again from a logged-in browser: allowed with the CSRF token, new id each time
        response = await client.post(
            "/api/v1/auth/login", json={"username": username, "password": PASSWORD}, headers={"X-CSRF-Token": csrf}
        )
        assert response.status_code == 200
        second = client.cookies[SESSION_COOKIE]
        assert second != first
        assert response.json()["csrfToken"] != csrf
    async with live.client() as stale:
        stale.cookies.set(SESSION_COOKIE, first)
        assert (await stale.get("/api/v1/auth/me")).status_code == 401


async def test_a_planted_session_id_is_replaced_at_login(live: LiveApp) -> None:
    """Session fixation: an id the attacker set before login is not the one the user gets."""
    username = unique_name()
    async with live.client() as client:
        await client.post("/api/v1/auth/signup", json={"username": username, "password": PASSWORD})
        client.cookies.set(SESSION_COOKIE, "attacker-chosen")
        response = await client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200
    issued = set_cookie(response, SESSION_COOKIE).split(";")[0].split("=", 1)[1]
    assert issued not in ("", "attacker-chosen")


async def test_logout_needs_csrf_then_revokes_the_session_server_side(live: LiveApp) -> None:
    async with live.client() as client:
        csrf = await signed_up(client)
        session_id = client.cookies[SESSION_COOKIE]
        refused = await client.post("/api/v1/auth/logout")
        assert refused.status_code == 403
        assert (await client.get("/api/v1/auth/me")).status_code == 200  # still logged in
        response = await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
        assert response.status_code == 200
        assert response.json() == {"loggedOut": True}
        assert "max-age=0" in set_cookie(response, SESSION_COOKIE).lower()
    async with live.client() as replay:
        replay.cookies.set(SESSION_COOKIE, session_id)  # a copy of the cookie kept by an attacker
        assert (await replay.get("/api/v1/auth/me")).status_code == 401


async def test_login_with_a_live_session_but_no_csrf_token_is_403(live: LiveApp) -> None:
    username = unique_name()
    async with live.client() as client:
        await signed_up(client, username, PASSWORD)
        response = await client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 403


async def test_cookies_are_secure_behind_an_https_proxy(database_url: str) -> None:
    async with serve(app_settings(database_url)) as live:
        live.app.config.PROXIES_COUNT = 1
        async with live.client() as client:
            username = unique_name()
            await client.post("/api/v1/auth/signup", json={"username": username, "password": PASSWORD})
            response = await client.post(
                "/api/v1/auth/login",
                json={"username": username, "password": PASSWORD},
                headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
            )
    assert response.status_code == 200
    assert "secure" in set_cookie(response, SESSION_COOKIE).lower()
    assert "secure" in set_cookie(response, CSRF_COOKIE).lower()


async def test_failed_logins_are_limited_per_username_at_an_address_and_per_address(database_url: str) -> None:
    config = replace(FAST_HASHING, max_failures_per_user_address=3, max_failures_per_client=5)
    async with serve(app_settings(database_url), config) as live:
        live.app.config.PROXIES_COUNT = 1
        victim = unique_name()
        async with live.client() as client:
            await client.post("/api/v1/auth/signup", json={"username": victim, "password": PASSWORD})

            async def login(username: str, password: str, client_ip: str) -> httpx.Response:
                return await client.post(
                    "/api/v1/auth/login",
                    json={"username": username, "password": password},
                    headers={"X-Forwarded-For": client_ip},
                )

            # one address guessing one account: 3 failures, then even the right password waits
            for _ in range(3):
                assert (await login(victim, "wrong password!", "198.51.100.1")).status_code == 401
            blocked = await login(victim, PASSWORD, "198.51.100.1")
            assert blocked.status_code == 429
            assert blocked.json()["error"]["code"] == "rate_limited"
            assert 1 <= int(blocked.headers["Retry-After"]) <= 15 * 60
            # item 5: the lockout cannot be turned against the owner: from their address they get in
            assert (await login(victim, PASSWORD, "203.0.113.50")).status_code == 200
            client.cookies.clear()  # the attacker's requests below carry no session

            # per address: one address trying many usernames
            for _ in range(2):
                assert (await login(unique_name(), "wrong password!", "198.51.100.1")).status_code == 401
            assert (await login(unique_name(), "wrong password!", "198.51.100.1")).status_code == 429
            # another address is not affected
            assert (await login(unique_name(), "wrong password!", "192.0.2.10")).status_code == 401


async def test_parallel_logins_cannot_pass_the_limit(database_url: str) -> None:
    """Item 2: 60 logins at once for one user from one client: at most the limit reach the password check."""
    config = replace(FAST_HASHING, max_failures_per_user_address=5, max_failures_per_client=1000)
    async with serve(app_settings(database_url), config) as live, live.client() as client:
        victim = unique_name()
        await client.post("/api/v1/auth/signup", json={"username": victim, "password": PASSWORD})
        body = {"username": victim, "password": "wrong password!"}
        answers = await asyncio.gather(*(client.post("/api/v1/auth/login", json=body) for _ in range(60)))
    statuses = Counter(a.status_code for a in answers)
    assert statuses[401] <= 5, statuses
    assert statuses[401] + statuses[429] + statuses[503] == 60, statuses
    assert statuses[429] >= 40, statuses


@contextmanager
def all_log_records() -> Iterator[list[logging.LogRecord]]:
    """Collect records from every logger, including Sanic's that do not propagate to root."""
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collect(level=logging.DEBUG)
    loggers = [logging.getLogger()] + [
        logging.getLogger(name)
        for name in list(logging.root.manager.loggerDict)
        if name.startswith(("sanic", "covaex"))
    ]
    saved = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        yield records
    finally:
        for logger, level in saved:
            logger.removeHandler(handler)
            logger.setLevel(level)


async def test_the_password_is_never_stored_or_logged_in_clear(live: LiveApp) -> None:
    password = "Unique-Secret-" + unique_name("pw")
    username = unique_name()
    with all_log_records() as records:
        async with live.client() as client:
            await client.post("/api/v1/auth/signup", json={"username": username, "password": password})
            await client.post("/api/v1/auth/login", json={"username": username, "password": password + "?"})
            # a password typed into the username field must not land in the throttle table either
            await client.post("/api/v1/auth/login", json={"username": password, "password": password})
            assert (
                await client.post("/api/v1/auth/login", json={"username": username, "password": password})
            ).status_code == 200
    logged = "\n".join(record.getMessage() + repr(record.args) for record in records)
    assert "failed login" in logged  # the collector did see the service's log lines
    assert password not in logged

    accounts = live.app.ctx.accounts
    assert isinstance(accounts, Accounts)
    db = accounts.store.db
    stored = (
        await db.fetch("SELECT * FROM users")
        + await db.fetch("SELECT * FROM sessions")
        + await db.fetch("SELECT * FROM login_failures")
    )
    assert not any(password in str(cell) or password.lower() in str(cell) for row in stored for cell in row)
    user = await accounts.store.user_by_username(username)
    assert user is not None and user.password_hash.startswith("$argon2id$")
    # the cookie's session id is not stored either: only its keyed hash
    async with live.client() as client:
        await signed_up(client)
        session_id = client.cookies[SESSION_COOKIE]
    assert not any(session_id in str(cell) for row in await db.fetch("SELECT * FROM sessions") for cell in row)


async def test_a_stale_hash_is_upgraded_at_login(database_url: str) -> None:
    """Raising the Argon2 cost later re-hashes each password at its owner's next login."""
    username = unique_name()
    async with serve(app_settings(database_url)) as live, live.client() as client:
        await client.post("/api/v1/auth/signup", json={"username": username, "password": PASSWORD})
    stronger = replace(FAST_HASHING, hash_time_cost=2)
    async with serve(app_settings(database_url), stronger) as live, live.client() as client:
        response = await client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
        assert response.status_code == 200
        user = await live.app.ctx.accounts.store.user_by_username(username)
        assert ",t=2," in user.password_hash
