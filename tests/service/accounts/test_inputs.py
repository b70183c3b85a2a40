"""Validation of request bodies, without the server."""

from __future__ import annotations

import pytest
from covaex_service.accounts import inputs
from covaex_service.accounts.guest import WatchItem
from covaex_service.errors import BadRequest

KNOWN = frozenset({"BTCUSDT", "ETHUSDT"})


@pytest.mark.parametrize("name", ["abc", "Alice_01", "a.b-c", "x" * 32, "0zero"])
def test_valid_usernames(name: str) -> None:
    assert inputs.is_valid_username(name)


@pytest.mark.parametrize(
    "name", ["ab", "x" * 33, "_lead", ".lead", "has space", "semi;colon", "quote'", "ünï", "a\nb", "abc\n"]
)
def test_invalid_usernames(name: str) -> None:
    assert not inputs.is_valid_username(name)


def test_new_account_canonicalises_the_username() -> None:
    assert inputs.new_account({"username": "MiXeD", "password": "a long passphrase"}) == ("mixed", "a long passphrase")


def test_replacement_symbols_are_upper_cased_and_checked() -> None:
    body = {"items": [{"symbol": " ethusdt "}, {"symbol": "BTCUSDT"}]}
    assert inputs.replacement_symbols(body, KNOWN) == ["ETHUSDT", "BTCUSDT"]
    with pytest.raises(BadRequest, match="unknown symbols: DOGEUSDT"):
        inputs.replacement_symbols({"items": [{"symbol": "dogeusdt"}, {"symbol": "DOGEUSDT"}]}, KNOWN)


def test_guest_sync_canonicalises_the_sync_id_and_keeps_unknown_symbols_for_the_merge() -> None:
    sync_id, items = inputs.guest_sync(
        {"syncId": "8D0F5A47-6C0B-4D0E-9B8E-2F7E1C4A9D11", "items": [{"symbol": "nopeusdt", "addedAt": 0}]}
    )
    assert sync_id == "8d0f5a47-6c0b-4d0e-9b8e-2f7e1c4a9d11"
    assert items == [WatchItem("NOPEUSDT", 0)]


@pytest.mark.parametrize("added_at", [True, -1, 2**53, "5", None, 1.0])
def test_guest_sync_refuses_bad_timestamps(added_at: object) -> None:
    body = {"syncId": "8d0f5a47-6c0b-4d0e-9b8e-2f7e1c4a9d11", "items": [{"symbol": "BTCUSDT", "addedAt": added_at}]}
    with pytest.raises(BadRequest, match="'addedAt' must be a whole number"):
        inputs.guest_sync(body)


@pytest.mark.parametrize("symbol", ["", "X" * 33, 12, None])
def test_symbols_must_be_short_strings(symbol: object) -> None:
    with pytest.raises(BadRequest, match="'symbol' must be a string of 1 to 32"):
        inputs.symbol_text(symbol, "items[0]")
