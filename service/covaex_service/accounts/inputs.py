"""Parsing and validating request bodies of the accounts area.

Each function turns untrusted JSON into checked values or raises
:class:`~covaex_service.errors.BadRequest` with a message that says what to fix.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import uuid
from collections.abc import Collection
from typing import Any

from sanic import Request
from zxcvbn import zxcvbn  # type: ignore[import-untyped]  # zxcvbn ships no type information

from covaex_service.accounts.guest import MAX_GUEST_ITEMS, WATCHLIST_CAP, WatchItem
from covaex_service.errors import BadRequest

USERNAME_MIN, USERNAME_MAX = 3, 32
PASSWORD_MIN, PASSWORD_MAX = 12, 128
USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$"
SYMBOL_MAX = 32
MAX_TIMESTAMP_MS = 2**53 - 1  # the largest integer a JavaScript client keeps exact

PASSWORD_MIN_SCORE = 3
"""zxcvbn's score (0-4) a new password needs: 3 is "safely unguessable" (about 10^8 guesses or more)."""
STRENGTH_CHECKED_CHARS = 72
"""zxcvbn's own input limit (its cost is quadratic in the length)."""
SERVICE_WORDS = ("covaex", "coin", "crypto", "bitcoin", "watchlist")
"""Context-specific words (NIST SP 800-63B 5.1.1.2) a password is also checked against."""

_USERNAME = re.compile(USERNAME_PATTERN)


def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object, or a 400 saying why it is not one."""
    try:
        body = json.loads(request.body or b"")
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("the request body must be JSON") from None
    except RecursionError:
        # json.loads recurses once per nesting level: [[[[... deep enough exhausts the stack.
        raise BadRequest("the request body is nested too deeply") from None
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


def _string(body: dict[str, Any], field: str) -> str:
    value = body.get(field)
    if not isinstance(value, str):
        raise BadRequest(f"'{field}' is required and must be a string")
    return _valid_unicode(value, f"'{field}'")


def _valid_unicode(value: str, where: str) -> str:
    try:
        value.encode()
    except UnicodeEncodeError:
        # JSON allows "\ud800" alone; it is no character and cannot be stored or hashed.
        raise BadRequest(f"{where} holds an unpaired UTF-16 surrogate: send valid Unicode text") from None
    return value


def credentials(body: dict[str, Any]) -> tuple[str, str]:
    """``username`` and ``password`` as sent (login checks them only against the database)."""
    return _string(body, "username"), _string(body, "password")


def canonical_username(username: str) -> str:
    """Usernames are case-insensitive: ``Alice`` and ``alice`` are one account."""
    return username.lower()


def is_valid_username(username: str) -> bool:
    return _USERNAME.fullmatch(username) is not None


def new_account(body: dict[str, Any]) -> tuple[str, str]:
    """Signup input past the cheap checks: the canonical username and the password.

    The strength check (:func:`weak_password_reason`) costs tens of milliseconds of
    CPU, so the caller runs it off the event loop, after the signup limit.
    """
    username, password = credentials(body)
    if not is_valid_username(username):
        raise BadRequest(
            f"username must be {USERNAME_MIN} to {USERNAME_MAX} characters: letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    text = unicodedata.normalize("NFKC", password)
    if not PASSWORD_MIN <= len(text) <= PASSWORD_MAX:
        raise BadRequest(f"password must be {PASSWORD_MIN} to {PASSWORD_MAX} characters long")
    if canonical_username(username) in text.lower():
        raise BadRequest("password is too easy to guess: it must not contain the username")
    return canonical_username(username), password


def weak_password_reason(username: str, password: str) -> str | None:
    """Why a new password is refused, or ``None``: NIST SP 800-63B 5.1.1.2.

    Length counts characters after Unicode NFKC normalisation (what is hashed); no
    composition rules. zxcvbn (pinned) carries the lists of common passwords, words and
    names and spots repeats, sequences and keyboard patterns; the username and the
    service's own words count as known to an attacker. zxcvbn's cost grows with the
    square of the length, so it judges the first :data:`STRENGTH_CHECKED_CHARS`
    characters: a password weak there is weak.
    """
    text = unicodedata.normalize("NFKC", password)[:STRENGTH_CHECKED_CHARS]
    if zxcvbn(text, user_inputs=[username, *SERVICE_WORDS])["score"] < PASSWORD_MIN_SCORE:
        return (
            "password is too easy to guess: it is common, or made of repeats, sequences or keyboard patterns; "
            "a few unrelated words make a strong one"
        )
    return None


def symbol_text(value: object, where: str) -> str:
    """A symbol as the client sent it, upper-cased (market symbols are upper case)."""
    if not isinstance(value, str) or not 1 <= len(value) <= SYMBOL_MAX:
        raise BadRequest(f"{where}: 'symbol' must be a string of 1 to {SYMBOL_MAX} characters")
    return _valid_unicode(value, f"{where}: 'symbol'").strip().upper()


def _items(body: dict[str, Any], limit: int) -> list[Any]:
    items = body.get("items")
    if not isinstance(items, list):
        raise BadRequest("'items' is required and must be a list")
    if len(items) > limit:
        raise BadRequest(f"'items' may hold at most {limit} entries, got {len(items)}")
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise BadRequest(f"items[{index}] must be an object")
    return items


def replacement_symbols(body: dict[str, Any], known: Collection[str]) -> list[str]:
    """The ordered symbols of ``PUT /api/v1/watchlist``: known, no duplicates, at most the cap."""
    symbols = [symbol_text(item.get("symbol"), f"items[{i}]") for i, item in enumerate(_items(body, WATCHLIST_CAP))]
    unknown = [s for s in symbols if s not in known]
    if unknown:
        raise BadRequest(f"unknown symbols: {', '.join(dict.fromkeys(unknown))}")
    duplicates = sorted({s for s in symbols if symbols.count(s) > 1})
    if duplicates:
        raise BadRequest(f"symbols listed more than once: {', '.join(duplicates)}")
    return symbols


def items_digest(items: list[WatchItem]) -> str:
    """Fingerprint of a sync's items: a replayed ``syncId`` must carry the same ones."""
    text = "\n".join(f"{item.symbol}\t{item.added_at}" for item in items)
    return hashlib.sha256(text.encode()).hexdigest()


def guest_sync(body: dict[str, Any]) -> tuple[str, list[WatchItem]]:
    """The ``syncId`` (canonical UUID text) and the guest items of a sync request."""
    raw_id = body.get("syncId")
    try:
        sync_id = str(uuid.UUID(raw_id)) if isinstance(raw_id, str) else None
    except ValueError:
        sync_id = None
    if sync_id is None:
        raise BadRequest("'syncId' is required and must be a UUID, e.g. 0b9f8c1e-3c5a-4f7e-9d2a-6b1e2f3a4c5d")
    items: list[WatchItem] = []
    for index, item in enumerate(_items(body, MAX_GUEST_ITEMS)):
        added_at = item.get("addedAt")
        # bool is an int in Python, not in JSON: refuse true/false as a timestamp.
        if not isinstance(added_at, int) or isinstance(added_at, bool) or not 0 <= added_at <= MAX_TIMESTAMP_MS:
            raise BadRequest(f"items[{index}]: 'addedAt' must be a whole number of milliseconds since 1970")
        items.append(WatchItem(symbol_text(item.get("symbol"), f"items[{index}]"), added_at))
    return sync_id, items
