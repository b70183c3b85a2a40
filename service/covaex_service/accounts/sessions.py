"""Server-side sessions in a cookie, and the CSRF token bound to each.

* ``covaex_session``: a random id, HttpOnly, SameSite=Lax, Secure in prod
  (always: the ALB ends TLS, so the header saying so is not the authority)
  and whenever the request came over HTTPS. The database keeps only a keyed hash of it, so a
  leaked table yields no usable session; logout deletes the row (revocation).
* ``covaex_csrf``: the session's CSRF token, readable by the page's script
  (not HttpOnly), which sends it back as ``X-CSRF-Token``. Every state-changing
  request that carries a live session must match it, or gets 403.

A new session id is issued at every login (and the one the client came with
is revoked), so an id planted before login is worthless after it.

Signup and login carry no session yet, so no token can protect them: instead
they accept only ``Content-Type: application/json`` (which a cross-site HTML
form cannot send, and a cross-site ``fetch`` can only send after a CORS
preflight this service never grants) and refuse a foreign ``Origin``
(:func:`guard_credentials`): a page elsewhere cannot log its visitor into the
attacker's account (login CSRF).
"""

from __future__ import annotations

import hmac
import secrets

from sanic import Request
from sanic.response import HTTPResponse

from covaex_service.accounts.context import Accounts, accounts_of
from covaex_service.accounts.storage import Session
from covaex_service.clock import now_ms
from covaex_service.errors import Forbidden, Unauthorized, UnsupportedMediaType
from covaex_service.origin import is_foreign_origin

SESSION_COOKIE = "covaex_session"
CSRF_COOKIE = "covaex_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _id_hash(accounts: Accounts, session_id: str) -> str:
    return accounts.keyed_hash("session", session_id)


async def current_session(request: Request) -> Session | None:
    """The live session the request's cookie names, if any (looked up once per request)."""
    if not hasattr(request.ctx, "session"):
        session_id = request.cookies.get(SESSION_COOKIE)
        session = None
        if session_id:
            accounts = accounts_of(request)
            session = await accounts.store.session(_id_hash(accounts, session_id), now_ms())
        request.ctx.session = session
    found = request.ctx.session
    assert found is None or isinstance(found, Session)
    return found


def check_csrf(request: Request, session: Session) -> None:
    """403 unless a state-changing request carries the session's CSRF token."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
        raise Forbidden(f"missing or wrong {CSRF_HEADER} header: send the value of the {CSRF_COOKIE} cookie")


async def require_session(request: Request) -> Session:
    """The caller's session (401 without one), CSRF-checked when the request changes state."""
    session = await current_session(request)
    if session is None:
        raise Unauthorized("log in first")
    check_csrf(request, session)
    return session


async def guard_credentials(request: Request) -> Session | None:
    """For signup and login, open to anyone: JSON from this site only; a live session still needs its token."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != "application/json":
        raise UnsupportedMediaType("send the body as JSON with the header Content-Type: application/json")
    if is_foreign_origin(request):
        raise Forbidden("requests from another site's page are refused here", code="cross_origin")
    session = await current_session(request)
    if session is not None:
        check_csrf(request, session)
    return session


async def start_session(request: Request, user_id: str) -> tuple[str, str]:
    """Create a session for ``user_id``, revoking the one the request came with; return (id, csrf token)."""
    accounts = accounts_of(request)
    session_id = secrets.token_urlsafe(32)
    csrf_token = secrets.token_urlsafe(32)
    old = request.cookies.get(SESSION_COOKIE)
    now = now_ms()
    await accounts.store.start_session(
        _id_hash(accounts, session_id),
        user_id,
        csrf_token,
        now,
        now + accounts.config.session_ttl_s * 1000,
        replacing=_id_hash(accounts, old) if old else None,
    )
    return session_id, csrf_token


async def end_session(request: Request) -> None:
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        accounts = accounts_of(request)
        await accounts.store.end_session(_id_hash(accounts, session_id))


def _secure(request: Request) -> bool:
    # In prod every user reaches the service over HTTPS at the ALB, whatever X-Forwarded-Proto says.
    return request.app.ctx.settings.env == "prod" or request.scheme == "https"


def set_session_cookies(request: Request, response: HTTPResponse, session_id: str, csrf_token: str) -> None:
    max_age = accounts_of(request).config.session_ttl_s
    secure = _secure(request)
    response.add_cookie(
        SESSION_COOKIE, session_id, path="/", max_age=max_age, httponly=True, samesite="Lax", secure=secure
    )
    set_csrf_cookie(request, response, csrf_token)


def set_csrf_cookie(request: Request, response: HTTPResponse, csrf_token: str) -> None:
    max_age = accounts_of(request).config.session_ttl_s
    # Readable by the page's script on purpose: it echoes the value in X-CSRF-Token.
    response.add_cookie(
        CSRF_COOKIE,
        csrf_token,
        path="/",
        max_age=max_age,
        httponly=False,
        samesite="Lax",
        secure=_secure(request),
    )


def clear_session_cookies(request: Request, response: HTTPResponse) -> None:
    secure = _secure(request)
    for name, httponly in ((SESSION_COOKIE, True), (CSRF_COOKIE, False)):
        response.add_cookie(name, "", path="/", max_age=0, httponly=httponly, samesite="Lax", secure=secure)
