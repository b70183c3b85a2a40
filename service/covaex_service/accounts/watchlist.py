"""Pure changes of a user's watchlist; the store applies them inside one transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from covaex_service.accounts.guest import WATCHLIST_CAP, WatchItem
from covaex_service.errors import Conflict

Rewrite = Callable[[list[WatchItem]], list[WatchItem]]


def replace_with(symbols: Sequence[str], now: int) -> Rewrite:
    """The list becomes ``symbols`` in that order; a symbol already there keeps its ``addedAt``."""

    def rewrite(current: list[WatchItem]) -> list[WatchItem]:
        added_at = {item.symbol: item.added_at for item in current}
        return [WatchItem(symbol, added_at.get(symbol, now)) for symbol in symbols]

    return rewrite


def add_symbol(symbol: str, now: int, *, cap: int = WATCHLIST_CAP) -> Rewrite:
    """Append ``symbol`` unless it is there already; 409 when the list is full."""

    def rewrite(current: list[WatchItem]) -> list[WatchItem]:
        if any(item.symbol == symbol for item in current):
            return current
        if len(current) >= cap:
            raise Conflict(f"the watchlist is full ({cap} symbols): remove one first", code="watchlist_full")
        return [*current, WatchItem(symbol, now)]

    return rewrite


def remove_symbol(symbol: str) -> Rewrite:
    """Drop ``symbol`` if present (removing an absent symbol changes nothing)."""

    def rewrite(current: list[WatchItem]) -> list[WatchItem]:
        return [item for item in current if item.symbol != symbol]

    return rewrite
