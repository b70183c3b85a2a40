"""Parsing and validating request bodies of the accounts area.

Each function turns untrusted JSON into checked values or raises
:class:`~covaex_service.errors.BadRequest` with a message that says what to fix.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Collection
from typing import Any

from sanic import Request

from covaex_service.accounts.guest import MAX_GUEST_ITEMS, WATCHLIST_CAP, WatchItem
from covaex_service.errors import BadRequest

USERNAME_MIN, USERNAME_MAX = 3, 32
PASSWORD_MIN, PASSWORD_MAX = 12, 128
PASSWORD_DISTINCT_MIN = 4
USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$"
SYMBOL_MAX = 32
MAX_TIMESTAMP_MS = 2**53 - 1  # the largest integer a JavaScript client keeps exact

_USERNAME = re.compile(USERNAME_PATTERN)
_COMMON_PASSWORDS = frozenset(
    {"123456789012", "password1234", "passwordpassword", "qwertyuiopas", "111111111111", "iloveyou1234"}
)


def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object, or a 400 saying why it is not one."""
    try:
        body = json.loads(request.body or b"")
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("the request body must be JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


def _string(body: dict[str, Any], field: str) -> str:
    value = body.get(field)
    if not isinstance(value, str):
        raise BadRequest(f"'{field}' is required and must be a string")
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
    """Validated signup input: the canonical username and the password."""
    username, password = credentials(body)
    if not is_valid_username(username):
        raise BadRequest(
            f"username must be {USERNAME_MIN} to {USERNAME_MAX} characters: letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise BadRequest(f"password must be {PASSWORD_MIN} to {PASSWORD_MAX} characters long")
    if password.strip() == "" or len(set(password)) < PASSWORD_DISTINCT_MIN:
        raise BadRequest(f"password is too simple: use a mix of at least {PASSWORD_DISTINCT_MIN} different characters")
    if canonical_username(username) in password.lower() or password.lower() in _COMMON_PASSWORDS:
        raise BadRequest("password is too easy to guess: it must not contain the username or be a common password")
    return canonical_username(username), password


def symbol_text(value: object, where: str) -> str:
    """A symbol as the client sent it, upper-cased (market symbols are upper case)."""
    if not isinstance(value, str) or not 1 <= len(value) <= SYMBOL_MAX:
        raise BadRequest(f"{where}: 'symbol' must be a string of 1 to {SYMBOL_MAX} characters")
    return value.strip().upper()


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
