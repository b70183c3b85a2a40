"""The guest merge rule: examples, then properties checked by hypothesis."""

from __future__ import annotations

import jsonschema
import pytest
from covaex_service.accounts import GUEST_SCHEMA_VERSION, GUEST_STORAGE_KEY, GUEST_WATCHLIST_JSON_SCHEMA, WATCHLIST_CAP
from covaex_service.accounts.guest import WatchItem, merge_guest_watchlist
from hypothesis import given, settings
from hypothesis import strategies as st

KNOWN = frozenset(f"K{i:02d}USDT" for i in range(80))
UNKNOWN = [f"U{i}XYZ" for i in range(6)]


def items(*pairs: tuple[str, int]) -> list[WatchItem]:
    return [WatchItem(symbol, added_at) for symbol, added_at in pairs]


def test_the_schema_names_match_the_interface() -> None:
    assert GUEST_STORAGE_KEY == "covaex.watchlist"
    assert GUEST_SCHEMA_VERSION == 1
    assert WATCHLIST_CAP == 50


def test_the_json_schema_accepts_what_the_ui_stores_and_refuses_other_versions() -> None:
    stored = {"v": 1, "items": [{"symbol": "BTCUSDT", "addedAt": 1732590000000}]}
    jsonschema.validate(stored, GUEST_WATCHLIST_JSON_SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**stored, "v": 2}, GUEST_WATCHLIST_JSON_SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"v": 1, "items": [{"symbol": "BTCUSDT"}]}, GUEST_WATCHLIST_JSON_SCHEMA)


def test_guest_symbols_are_appended_in_added_at_order_after_the_server_list() -> None:
    server = items(("K01USDT", 500), ("K02USDT", 100))
    guest = items(("K05USDT", 30), ("K02USDT", 1), ("K03USDT", 10), ("U1XYZ", 5))
    result = merge_guest_watchlist(server, guest, KNOWN)
    assert [i.symbol for i in result.items] == ["K01USDT", "K02USDT", "K03USDT", "K05USDT"]
    assert result.items[1].added_at == 100  # the server's copy wins over the guest's
    assert result.items[2].added_at == 10  # an appended item keeps the guest's addedAt
    assert result.added == ("K03USDT", "K05USDT")
    assert result.skipped == ("U1XYZ",)
    assert result.truncated == ()


def test_what_does_not_fit_under_the_cap_is_truncated_in_order() -> None:
    server = [WatchItem(f"K{i:02d}USDT", i) for i in range(48)]
    guest = items(("K70USDT", 3), ("K71USDT", 1), ("K72USDT", 2), ("K73USDT", 4))
    result = merge_guest_watchlist(server, guest, KNOWN)
    assert len(result.items) == 50
    assert result.added == ("K71USDT", "K72USDT")
    assert result.truncated == ("K70USDT", "K73USDT")


def test_a_guest_duplicate_counts_once_at_its_earliest_time() -> None:
    result = merge_guest_watchlist([], items(("K01USDT", 9), ("K01USDT", 2), ("K02USDT", 5)), KNOWN)
    assert result.items == tuple(items(("K01USDT", 2), ("K02USDT", 5)))


def test_a_server_list_over_the_cap_loses_nothing() -> None:
    server = [WatchItem(f"K{i:02d}USDT", i) for i in range(55)]
    result = merge_guest_watchlist(server, items(("K79USDT", 1)), KNOWN)
    assert result.items == tuple(server)
    assert result.truncated == ("K79USDT",)


def test_to_json_is_the_interface_shape() -> None:
    result = merge_guest_watchlist([], items(("K01USDT", 7), ("U2XYZ", 1)), KNOWN)
    assert result.to_json() == {
        "items": [{"symbol": "K01USDT", "addedAt": 7}],
        "added": ["K01USDT"],
        "skipped": ["U2XYZ"],
        "truncated": [],
    }


symbols = st.sampled_from(sorted(KNOWN) + UNKNOWN)
times = st.integers(min_value=0, max_value=40)  # a small range makes equal timestamps common
server_lists = st.lists(st.sampled_from(sorted(KNOWN)), unique=True, max_size=56).flatmap(
    lambda syms: st.lists(times, min_size=len(syms), max_size=len(syms)).map(
        lambda ts: [WatchItem(s, t) for s, t in zip(syms, ts, strict=True)]
    )
)
guest_lists = st.lists(st.builds(WatchItem, symbols, times), max_size=90)
caps = st.sampled_from([WATCHLIST_CAP, 1, 5, 20])


@settings(max_examples=200, deadline=None)
@given(server=server_lists, guest=guest_lists, cap=caps)
def test_merge_properties(server: list[WatchItem], guest: list[WatchItem], cap: int) -> None:
    result = merge_guest_watchlist(server, guest, KNOWN, cap=cap)
    merged = [item.symbol for item in result.items]

    # nothing on the server list is removed, and its order is kept: it is a prefix
    assert list(result.items[: len(server)]) == server
    # no duplicates
    assert len(merged) == len(set(merged))
    # the cap holds (a server list already over it is kept whole, never cut)
    assert len(merged) <= max(cap, len(server))
    # only known symbols are added, exactly those appended, in addedAt order
    appended = list(result.items[len(server) :])
    assert [i.symbol for i in appended] == list(result.added)
    assert all(s in KNOWN for s in result.added)
    assert [i.added_at for i in appended] == sorted(i.added_at for i in appended)
    # every distinct guest symbol is accounted for exactly once
    on_server = {i.symbol for i in server}
    for symbol in {g.symbol for g in guest}:
        outcomes = [symbol in result.added, symbol in result.skipped, symbol in result.truncated]
        if symbol in on_server:
            assert outcomes == [False, False, False]
        else:
            assert sum(outcomes) == 1
    assert set(result.skipped) == {g.symbol for g in guest} - KNOWN
    # overflow is reported only when the list is full
    if result.truncated:
        assert len(merged) >= cap


@settings(max_examples=100, deadline=None)
@given(server=server_lists, guest=guest_lists, cap=caps)
def test_merging_again_changes_nothing(server: list[WatchItem], guest: list[WatchItem], cap: int) -> None:
    """A retried merge over its own result (a sync resent after a lost answer) is a no-op."""
    first = merge_guest_watchlist(server, guest, KNOWN, cap=cap)
    second = merge_guest_watchlist(first.items, guest, KNOWN, cap=cap)
    assert second.items == first.items
    assert second.added == ()


@settings(max_examples=100, deadline=None)
@given(server=server_lists, guest=guest_lists, data=st.data())
def test_the_guest_order_on_the_wire_does_not_matter(
    server: list[WatchItem], guest: list[WatchItem], data: st.DataObject
) -> None:
    """With distinct timestamps, only addedAt decides: a reshuffled resend gives the same list."""
    distinct = list({g.added_at: g for g in guest}.values())
    shuffled = data.draw(st.permutations(distinct))
    assert merge_guest_watchlist(server, shuffled, KNOWN) == merge_guest_watchlist(server, distinct, KNOWN)
