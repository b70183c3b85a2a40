"""The pure watchlist changes the store applies in a transaction."""

from __future__ import annotations

import pytest
from covaex_service.accounts.guest import WatchItem
from covaex_service.accounts.watchlist import add_symbol, remove_symbol, replace_with
from covaex_service.errors import Conflict

CURRENT = [WatchItem("BTCUSDT", 1), WatchItem("ETHUSDT", 2)]


def test_replace_keeps_the_new_order_and_known_added_at() -> None:
    assert replace_with(["SOLUSDT", "BTCUSDT"], now=99)(CURRENT) == [WatchItem("SOLUSDT", 99), WatchItem("BTCUSDT", 1)]


def test_add_appends_once() -> None:
    assert add_symbol("SOLUSDT", now=5)(CURRENT) == [*CURRENT, WatchItem("SOLUSDT", 5)]
    assert add_symbol("BTCUSDT", now=5)(CURRENT) == CURRENT


def test_add_to_a_full_list_is_a_conflict() -> None:
    with pytest.raises(Conflict, match="full"):
        add_symbol("SOLUSDT", now=5, cap=2)(CURRENT)
    assert add_symbol("ETHUSDT", now=5, cap=2)(CURRENT) == CURRENT  # already there: no change, no error


def test_remove_is_idempotent() -> None:
    assert remove_symbol("BTCUSDT")(CURRENT) == [WatchItem("ETHUSDT", 2)]
    assert remove_symbol("DOGEUSDT")(CURRENT) == CURRENT
