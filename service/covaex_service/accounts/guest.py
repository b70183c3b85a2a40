"""The guest watchlist: its browser-side schema and the rule that merges it into an account.

A visitor who is not logged in keeps a watchlist in the browser's localStorage
under :data:`GUEST_STORAGE_KEY`, as versioned JSON::

    {"v": 1, "items": [{"symbol": "BTCUSDT", "addedAt": 1732590000000}, ...]}

``addedAt`` is milliseconds since the Unix epoch. After login the client posts
those items to ``POST /api/v1/watchlist/sync`` with a fresh ``syncId`` (a UUID)
and clears its copy only after a 2xx answer; replaying the same ``syncId``
(a retry after a lost answer) changes nothing and returns the first answer.

This module is the one place the schema and the merge rule are written down:
the UI, the OpenAPI document and the generated docs import these names.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

GUEST_STORAGE_KEY = "covaex.watchlist"
"""localStorage key of the guest watchlist."""

GUEST_SCHEMA_VERSION = 1
"""Value of ``v`` in the stored JSON; bump it when the shape changes."""

WATCHLIST_CAP = 50
"""Most symbols a watchlist (guest or account) may hold."""

MAX_GUEST_ITEMS = 500
"""Most items one sync request may carry; more is a malformed request, not a guest list."""

GUEST_WATCHLIST_JSON_SCHEMA: dict[str, object] = {
    "title": "Guest watchlist (localStorage)",
    "description": (
        f"Stored by the browser under the key '{GUEST_STORAGE_KEY}' while nobody is logged in; "
        "sent to POST /api/v1/watchlist/sync after login and cleared only after a 2xx answer."
    ),
    "type": "object",
    "required": ["v", "items"],
    "properties": {
        "v": {"type": "integer", "enum": [GUEST_SCHEMA_VERSION], "description": "schema version"},
        "items": {
            "type": "array",
            "maxItems": WATCHLIST_CAP,
            "items": {
                "type": "object",
                "required": ["symbol", "addedAt"],
                "properties": {
                    "symbol": {"type": "string", "description": "market symbol, e.g. BTCUSDT"},
                    "addedAt": {"type": "integer", "minimum": 0, "description": "ms since the Unix epoch"},
                },
            },
        },
    },
}
"""The stored JSON as a JSON Schema: for the UI's reader, the docs and the OpenAPI document."""


@dataclass(frozen=True)
class WatchItem:
    """One watchlist entry: a market symbol and when it was added (ms since epoch)."""

    symbol: str
    added_at: int

    def to_json(self) -> dict[str, str | int]:
        return {"symbol": self.symbol, "addedAt": self.added_at}


@dataclass(frozen=True)
class MergeResult:
    """Outcome of a guest merge: the new list and what happened to each guest symbol.

    ``added`` were appended, ``skipped`` are symbols the service does not know,
    ``truncated`` did not fit under :data:`WATCHLIST_CAP`. A guest symbol
    already on the server list appears in none of them: it is simply kept.
    """

    items: tuple[WatchItem, ...]
    added: tuple[str, ...]
    skipped: tuple[str, ...]
    truncated: tuple[str, ...]

    def to_json(self) -> dict[str, list[dict[str, str | int]] | list[str]]:
        return {
            "items": [item.to_json() for item in self.items],
            "added": list(self.added),
            "skipped": list(self.skipped),
            "truncated": list(self.truncated),
        }


def merge_guest_watchlist(
    server: Sequence[WatchItem],
    guest: Sequence[WatchItem],
    known_symbols: Collection[str],
    *,
    cap: int = WATCHLIST_CAP,
) -> MergeResult:
    """Merge a guest list into a server list (the rule of INTERFACE.md).

    * the server list keeps its items and their order; nothing on it is removed;
    * guest symbols not already present are appended in ``addedAt`` order
      (ties keep the guest's order), each keeping its guest ``addedAt``;
    * a symbol the guest lists twice counts once, at its earliest ``addedAt``;
    * unknown symbols go to ``skipped``;
    * the list is capped at ``cap``: what does not fit goes to ``truncated``.

    Pure: the same inputs always give the same result, so a retried merge over
    its own result adds nothing.
    """
    items = list(server)
    present = {item.symbol for item in items}
    added: list[str] = []
    skipped: list[str] = []
    truncated: list[str] = []
    seen: set[str] = set()
    # sorted() is stable, so equal timestamps keep the order the guest sent.
    for item in sorted(guest, key=lambda g: g.added_at):
        if item.symbol in seen:
            continue
        seen.add(item.symbol)
        if item.symbol not in known_symbols:
            skipped.append(item.symbol)
        elif item.symbol in present:
            continue
        elif len(items) >= cap:
            truncated.append(item.symbol)
        else:
            items.append(item)
            present.add(item.symbol)
            added.append(item.symbol)
    return MergeResult(tuple(items), tuple(added), tuple(skipped), tuple(truncated))
