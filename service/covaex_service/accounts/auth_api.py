"""``/api/v1/auth``: signup, login, logout and me."""

from __future__ import annotations

import logging
import uuid

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from covaex_service.accounts import inputs
from covaex_service.accounts.context import accounts_of
from covaex_service.accounts.sessions import (
    clear_session_cookies,
    end_session,
    guard_credentials,
    require_session,
    set_csrf_cookie,
    set_session_cookies,
    start_session,
)
from covaex_service.accounts.throttle import login_throttle, signup_throttle
from covaex_service.clock import now_ms
from covaex_service.errors import BadRequest, Conflict, Unauthorized, Unavailable

log = logging.getLogger("covaex.accounts")

BAD_CREDENTIALS = "wrong username or password"

auth = Blueprint("accounts_auth", url_prefix="/api/v1/auth")


def client_address(request: Request) -> str:
    # remote_addr is set only when the proxy headers are trusted (PROXIES_COUNT / FORWARDED_SECRET).
    return request.remote_addr or request.ip or "unknown"


@auth.post("/signup")
async def signup(request: Request) -> HTTPResponse:
    await guard_credentials(request)
    username, password = inputs.new_account(inputs.json_object(request))
    accounts = accounts_of(request)
    # Counted before the strength check and the hash: a flood from one address is refused before it costs
    # tens of milliseconds of CPU and 64 MiB a request.
    throttle = signup_throttle(accounts, client_address(request))
    await throttle.reserve(now_ms())
    try:
        weak = await accounts.hasher.run(inputs.weak_password_reason, username, password)
        if weak is not None:
            raise BadRequest(weak)
        password_hash = await accounts.hasher.hash(password)
    except (BadRequest, Unavailable):
        await throttle.release()  # no account made: a weak password or a busy queue costs no signup
        raise
    user = await accounts.store.create_user(uuid.uuid4().hex, username, password_hash, now_ms())
    if user is None:
        raise Conflict(f"the username {username!r} is taken", code="username_taken")
    log.info("account created: %s", username)
    return json({"username": user.username}, status=201)


@auth.post("/login")
async def login(request: Request) -> HTTPResponse:
    await guard_credentials(request)
    username, password = inputs.credentials(inputs.json_object(request))
    accounts = accounts_of(request)
    throttle = login_throttle(accounts, username, client_address(request))
    # Reserved before the check: parallel attempts cannot all pass a count read before any failed.
    await throttle.reserve(now_ms())
    # Input no account could match is refused without hashing: a megabyte "password" costs nothing.
    plausible = inputs.is_valid_username(username) and len(password) <= inputs.PASSWORD_MAX
    user = await accounts.store.user_by_username(inputs.canonical_username(username)) if plausible else None
    try:
        matched = user is not None and await accounts.hasher.verify(user.password_hash, password)
        if user is None and plausible:
            await accounts.hasher.burn(password)
    except Unavailable:
        await throttle.release()  # turned away before any check: not a failed login
        raise
    if user is None or not matched:
        log.info("failed login from %s", client_address(request))
        raise Unauthorized(BAD_CREDENTIALS, code="bad_credentials")
    await throttle.release()  # only failures count
    if accounts.hasher.needs_rehash(user.password_hash):
        await accounts.store.set_password_hash(user.id, await accounts.hasher.hash(password))
    session_id, csrf_token = await start_session(request, user.id)
    response = json({"username": user.username, "csrfToken": csrf_token})
    set_session_cookies(request, response, session_id, csrf_token)
    return response


@auth.post("/logout")
async def logout(request: Request) -> HTTPResponse:
    await require_session(request)
    await end_session(request)
    response = json({"loggedOut": True})
    clear_session_cookies(request, response)
    return response


@auth.get("/me")
async def me(request: Request) -> HTTPResponse:
    session = await require_session(request)
    response = json({"username": session.username, "csrfToken": session.csrf_token})
    # Restores the cookie if the page's script lost it; the value is the session's own.
    set_csrf_cookie(request, response, session.csrf_token)
    return response
