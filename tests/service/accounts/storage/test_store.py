"""The account store on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Callable

import pytest
from covaex_service.accounts.guest import MergeResult, WatchItem, merge_guest_watchlist
from covaex_service.accounts.storage import AccountStore, User, open_store
from covaex_service.accounts.storage.store import SyncIdReused, SyncRetention
from covaex_service.errors import Conflict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

KNOWN = frozenset({"BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "ADAUSDT"})


async def new_user(store: AccountStore, username: str | None = None) -> User:
    username = username or f"u_{secrets.token_hex(5)}"
    user = await store.create_user(uuid.uuid4().hex, username, "$argon2id$stub", 1)
    assert user is not None
    return user


async def test_usernames_are_unique(store: AccountStore) -> None:
    user = await new_user(store)
    assert await store.create_user(uuid.uuid4().hex, user.username, "h", 2) is None
    assert await store.user_by_username(user.username) == user
    assert await store.user_by_username(user.username + "x") is None


@pytest.mark.parametrize(
    "hostile",
    ["x' OR '1'='1", "a'; DROP TABLE users; --", 'q"; DELETE FROM sessions; --', "%", "_", "\\'\x00"],
)
async def test_sql_shaped_values_are_stored_and_matched_verbatim(store: AccountStore, hostile: str) -> None:
    """Every query is parameterised: hostile text is data, never SQL."""
    hostile = hostile.replace("\x00", "")  # PostgreSQL text cannot hold NUL
    other = await new_user(store)
    user = await new_user(store, hostile + secrets.token_hex(3))
    assert await store.user_by_username(user.username) == user
    assert await store.user_by_username(hostile) is None  # no LIKE, no wildcard match
    await store.rewrite_watchlist(user.id, lambda _: [WatchItem(hostile or "EMPTY", 1)])
    assert await store.watchlist(user.id) == [WatchItem(hostile or "EMPTY", 1)]
    assert await store.user_by_username(other.username) == other  # nothing dropped


async def test_sessions_expire_and_are_revocable(store: AccountStore) -> None:
    user = await new_user(store)
    await store.start_session("h1", user.id, "csrf1", now=1000, expires_at=5000, replacing=None)
    session = await store.session("h1", now=2000)
    assert session is not None
    assert (session.user_id, session.username, session.csrf_token) == (user.id, user.username, "csrf1")
    assert await store.session("h1", now=5000) is None  # expired
    assert await store.end_session("h1") is True
    assert await store.end_session("h1") is False


async def test_a_new_session_replaces_the_one_presented(store: AccountStore) -> None:
    user = await new_user(store)
    await store.start_session("old", user.id, "c1", now=1, expires_at=10**12, replacing=None)
    await store.start_session("new", user.id, "c2", now=2, expires_at=10**12, replacing="old")
    assert await store.session("old", now=3) is None
    assert await store.session("new", now=3) is not None


async def test_throttle_events_are_counted_per_key_and_taken_back_per_attempt(store: AccountStore) -> None:
    key, other = secrets.token_hex(8), secrets.token_hex(8)
    for at in (100, 200, 300):
        await store.record_throttle_events([key, other], at, f"attempt-{at}")
    await store.record_throttle_events([key], 300, "twin")  # same key, same millisecond
    assert await store.throttle_events_since(key, 150) == [200, 300, 300]
    await store.forget_throttle_events([key], "twin")  # only that attempt's event goes
    assert await store.throttle_events_since(key, 0) == [100, 200, 300]
    assert len(await store.throttle_events_since(other, 0)) == 3


async def test_the_purge_deletes_what_only_grew_and_keeps_what_counts(store: AccountStore) -> None:
    """Expired sessions of users who never return, spent throttle events and old sync records go."""
    gone, kept = await new_user(store), await new_user(store)
    await store.start_session("expired", gone.id, "c", now=1, expires_at=50, replacing=None)
    await store.start_session("live", kept.id, "c", now=1, expires_at=10**12, replacing=None)
    await store.record_throttle_events(["old-key"], 10, "a")
    await store.record_throttle_events(["new-key"], 990, "b")
    await store.sync_watchlist(gone.id, str(uuid.uuid4()), "d", merger([]), now=20)
    await store.sync_watchlist(kept.id, str(uuid.uuid4()), "d", merger([]), now=995)
    assert await store.purge(1000, throttle_window_ms=100, sync_ttl_ms=100) >= 3  # the database is shared

    async def left(sql: str, *args: str) -> int:
        return len(await store.db.fetch(sql, *args))

    assert await left("SELECT 1 FROM sessions WHERE id_hash IN (?, ?)", "expired", "live") == 1
    assert await left("SELECT 1 FROM login_failures WHERE key IN (?, ?)", "old-key", "new-key") == 1
    assert await left("SELECT 1 FROM watchlist_syncs WHERE user_id IN (?, ?)", gone.id, kept.id) == 1
    assert await store.session("live", now=1000) is not None


async def test_sync_records_per_user_are_bounded(store: AccountStore) -> None:
    user = await new_user(store)
    retention = SyncRetention(per_user=3, ttl_ms=10**12)
    for n in range(8):
        await store.sync_watchlist(user.id, str(uuid.uuid4()), "d", merger([]), now=n, retention=retention)
    rows = await store.db.fetch("SELECT created_at FROM watchlist_syncs WHERE user_id = ?", user.id)
    assert sorted(row[0] for row in rows) == [5, 6, 7]  # the newest three


async def test_a_failed_rewrite_changes_nothing(store: AccountStore) -> None:
    user = await new_user(store)
    await store.rewrite_watchlist(user.id, lambda _: [WatchItem("BTCUSDT", 1), WatchItem("ETHUSDT", 2)])

    def refuse(current: list[WatchItem]) -> list[WatchItem]:
        raise Conflict("no")

    with pytest.raises(Conflict):
        await store.rewrite_watchlist(user.id, refuse)
    assert [i.symbol for i in await store.watchlist(user.id)] == ["BTCUSDT", "ETHUSDT"]


async def test_watchlists_are_per_user(store: AccountStore) -> None:
    alice, bob = await new_user(store), await new_user(store)
    await store.rewrite_watchlist(alice.id, lambda _: [WatchItem("BTCUSDT", 1)])
    await store.rewrite_watchlist(bob.id, lambda _: [WatchItem("SOLUSDT", 1), WatchItem("ETHUSDT", 2)])
    assert await store.watchlist(alice.id) == [WatchItem("BTCUSDT", 1)]
    assert [i.symbol for i in await store.watchlist(bob.id)] == ["SOLUSDT", "ETHUSDT"]


def merger(guest: list[WatchItem]) -> Callable[[list[WatchItem]], MergeResult]:
    return lambda server: merge_guest_watchlist(server, guest, KNOWN)


async def test_a_replayed_sync_id_changes_nothing_and_returns_the_first_body(store: AccountStore) -> None:
    user = await new_user(store)
    sync_id = str(uuid.uuid4())
    guest = [WatchItem("ETHUSDT", 5), WatchItem("NOPEUSDT", 1)]
    first = await store.sync_watchlist(user.id, sync_id, "digest-1", merger(guest), now=10)
    assert first == {
        "items": [{"symbol": "ETHUSDT", "addedAt": 5}],
        "added": ["ETHUSDT"],
        "skipped": ["NOPEUSDT"],
        "truncated": [],
    }
    # the user changes the list, then the same sync arrives again (a retry)
    await store.rewrite_watchlist(user.id, lambda _: [WatchItem("BTCUSDT", 20)])
    replay = await store.sync_watchlist(user.id, sync_id, "digest-1", merger(guest), now=30)
    assert replay == first
    assert await store.watchlist(user.id) == [WatchItem("BTCUSDT", 20)]
    # the same syncId with other items is no retry: refused, not answered with the first body
    with pytest.raises(SyncIdReused):
        await store.sync_watchlist(user.id, sync_id, "digest-2", merger([WatchItem("SOLUSDT", 1)]), now=30)
    assert await store.watchlist(user.id) == [WatchItem("BTCUSDT", 20)]
    # the same syncId from another user is that user's own first sync
    other = await new_user(store)
    theirs = await store.sync_watchlist(other.id, sync_id, "digest-2", merger([WatchItem("SOLUSDT", 1)]), now=30)
    assert theirs["added"] == ["SOLUSDT"]


async def test_concurrent_syncs_of_one_user_lose_nothing_and_duplicate_nothing(store: AccountStore) -> None:
    user = await new_user(store)
    await store.rewrite_watchlist(user.id, lambda _: [WatchItem("BTCUSDT", 1)])
    guests = [
        [WatchItem("ETHUSDT", 2), WatchItem("SOLUSDT", 3)],
        [WatchItem("SOLUSDT", 1), WatchItem("XRPUSDT", 4)],
        [WatchItem("ADAUSDT", 9), WatchItem("ETHUSDT", 8)],
    ]
    sync_ids = [str(uuid.uuid4()) for _ in guests]
    # the same three syncs twice each, all at once: two devices retrying
    bodies = await asyncio.gather(
        *(
            store.sync_watchlist(user.id, sid, sid, merger(g), now=50)
            for sid, g in zip(sync_ids * 2, guests * 2, strict=True)
        )
    )
    assert bodies[:3] == bodies[3:]  # each replay answered with its first body
    symbols = [i.symbol for i in await store.watchlist(user.id)]
    assert symbols[0] == "BTCUSDT"
    assert sorted(symbols) == sorted(KNOWN)
    assert sum(len(b["added"]) for b in bodies[:3]) == len(KNOWN) - 1


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def property_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('prop') / 'covaex.db'}"
    return str(request.getfixturevalue("pg_database_url"))


guest_items = st.lists(
    st.builds(WatchItem, st.sampled_from([*sorted(KNOWN), "NOPEUSDT", "FAKE'--"]), st.integers(0, 20)), max_size=12
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    server=st.lists(st.sampled_from(sorted(KNOWN)), unique=True, max_size=4),
    guest=guest_items,
    retries=st.integers(1, 3),
    cap=st.sampled_from([2, 4, 50]),
)
def test_stored_syncs_follow_the_pure_rule_and_retries_change_nothing(
    property_database_url: str, server: list[str], guest: list[WatchItem], retries: int, cap: int
) -> None:
    """Property, on the real database: a sync stores exactly the merge rule's result; resending it is a no-op."""

    async def scenario() -> None:
        store = await open_store(property_database_url)
        try:
            user = await new_user(store)
            start = [WatchItem(s, i) for i, s in enumerate(server)]
            await store.rewrite_watchlist(user.id, lambda _: start)
            merge = lambda current: merge_guest_watchlist(current, guest, KNOWN, cap=cap)  # noqa: E731
            expected = merge_guest_watchlist(start, guest, KNOWN, cap=cap)
            sync_id = str(uuid.uuid4())
            first = await store.sync_watchlist(user.id, sync_id, "d", merge, now=1)
            assert first == expected.to_json()
            for _ in range(retries):
                assert await store.sync_watchlist(user.id, sync_id, "d", merge, now=2) == first
            assert await store.watchlist(user.id) == list(expected.items)
            # the same guest list under a new syncId (a second login) adds nothing more
            again = await store.sync_watchlist(user.id, str(uuid.uuid4()), "d", merge, now=3)
            assert again["added"] == [] and again["items"] == first["items"]
        finally:
            await store.db.close()

    asyncio.run(scenario())
