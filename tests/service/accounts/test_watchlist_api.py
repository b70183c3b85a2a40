"""The watchlist and the guest sync over HTTP, and who may touch whose list."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
import pytest_asyncio

from tests.support.accounts import LiveApp, app_settings, serve, signed_up

# One live app per module and backend (see conftest.live): every test runs in the module's loop.
pytestmark = pytest.mark.asyncio(loop_scope="module")

WL = "/api/v1/watchlist"


def symbols_of(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["symbol"] for item in response.json()["items"]]


class User:
    """A logged-in browser: its cookies live in the client, its CSRF token here."""

    def __init__(self, client: httpx.AsyncClient, csrf: str) -> None:
        self.client, self.csrf = client, csrf

    async def request(self, method: str, path: str, json: Any = None, *, csrf: bool = True) -> httpx.Response:
        headers = {"X-CSRF-Token": self.csrf} if csrf else {}
        return await self.client.request(method, path, json=json, headers=headers)


@pytest_asyncio.fixture(loop_scope="module")
async def alice(live: LiveApp) -> Any:
    async with live.client() as client:
        yield User(client, await signed_up(client))


@pytest_asyncio.fixture(loop_scope="module")
async def bob(live: LiveApp) -> Any:
    async with live.client() as client:
        yield User(client, await signed_up(client))


async def test_every_watchlist_endpoint_needs_a_session(live: LiveApp) -> None:
    async with live.client() as anonymous:
        for method, path, body in [
            ("GET", WL, None),
            ("PUT", WL, {"items": []}),
            ("PUT", f"{WL}/BTCUSDT", None),
            ("DELETE", f"{WL}/BTCUSDT", None),
            ("POST", f"{WL}/sync", {"syncId": str(uuid.uuid4()), "items": []}),
        ]:
            response = await anonymous.request(method, path, json=body)
            assert response.status_code == 401, (method, path)
            assert response.json()["error"]["code"] == "unauthorized"


async def test_a_new_account_has_an_empty_list(alice: User) -> None:
    assert symbols_of(await alice.request("GET", WL)) == []


async def test_replace_keeps_the_order_and_existing_added_at(alice: User) -> None:
    first = await alice.request("PUT", WL, {"items": [{"symbol": "ETHUSDT"}, {"symbol": "BTCUSDT"}]})
    assert symbols_of(first) == ["ETHUSDT", "BTCUSDT"]
    eth_added = first.json()["items"][0]["addedAt"]
    second = await alice.request("PUT", WL, {"items": [{"symbol": "solusdt"}, {"symbol": "ETHUSDT"}]})
    assert symbols_of(second) == ["SOLUSDT", "ETHUSDT"]
    assert second.json()["items"][1]["addedAt"] == eth_added
    assert symbols_of(await alice.request("GET", WL)) == ["SOLUSDT", "ETHUSDT"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"items": [{"symbol": "BTCUSDT"}, {"symbol": "NOPEUSDT"}]}, "unknown symbols: NOPEUSDT"),
        ({"items": [{"symbol": "BTCUSDT"}, {"symbol": "btcusdt"}]}, "more than once: BTCUSDT"),
        ({"items": [{"symbol": "BTCUSDT"}] * 51}, "at most 50 entries"),
        ({"items": [{"symbol": 7}]}, "'symbol' must be a string"),
        ({"items": ["BTCUSDT"]}, "items[0] must be an object"),
        ({"items": {"symbol": "BTCUSDT"}}, "'items' is required and must be a list"),
        ({"items": [{"symbol": "BTCUSDT' OR '1'='1"}]}, "unknown symbols"),
    ],
)
async def test_replace_refuses_bad_input_and_changes_nothing(alice: User, body: Any, fragment: str) -> None:
    await alice.request("PUT", WL, {"items": [{"symbol": "XRPUSDT"}]})
    response = await alice.request("PUT", WL, body)
    assert response.status_code == 400
    assert fragment in response.json()["error"]["message"]
    assert symbols_of(await alice.request("GET", WL)) == ["XRPUSDT"]


async def test_single_items_are_added_once_and_removed(alice: User) -> None:
    assert symbols_of(await alice.request("PUT", f"{WL}/BTCUSDT")) == ["BTCUSDT"]
    assert symbols_of(await alice.request("PUT", f"{WL}/ethusdt")) == ["BTCUSDT", "ETHUSDT"]
    assert symbols_of(await alice.request("PUT", f"{WL}/BTCUSDT")) == ["BTCUSDT", "ETHUSDT"]
    assert symbols_of(await alice.request("DELETE", f"{WL}/BTCUSDT")) == ["ETHUSDT"]
    assert symbols_of(await alice.request("DELETE", f"{WL}/BTCUSDT")) == ["ETHUSDT"]  # idempotent


async def test_unknown_and_hostile_path_symbols_are_404(alice: User) -> None:
    for raw in ("NOPEUSDT", "BTCUSDT' OR '1'='1", "x;DROP TABLE watchlist_items"):
        response = await alice.request("PUT", f"{WL}/{httpx.URL(raw).raw_path.decode()}")
        assert response.status_code == 404, raw
        assert response.json()["error"]["code"] in ("unknown_symbol", "not_found")
    assert symbols_of(await alice.request("GET", WL)) == []


async def test_a_full_list_refuses_one_more(database_url: str) -> None:
    markets = tuple(f"COIN{i}USDT" for i in range(60))
    async with serve(app_settings(database_url, symbols=markets)) as live, live.client() as client:
        user = User(client, await signed_up(client))
        assert len(symbols_of(await user.request("PUT", WL, {"items": [{"symbol": s} for s in markets[:50]]}))) == 50
        response = await user.request("PUT", f"{WL}/{markets[50]}")
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "watchlist_full"
        assert symbols_of(await user.request("PUT", f"{WL}/{markets[0]}")) == list(markets[:50])  # present: fine
        synced = await user.request(
            "POST", f"{WL}/sync", {"syncId": str(uuid.uuid4()), "items": [{"symbol": markets[55], "addedAt": 1}]}
        )
        assert synced.json()["truncated"] == [markets[55]]
        assert len(symbols_of(await user.request("GET", WL))) == 50


async def test_user_a_cannot_read_or_change_user_b_list(alice: User, bob: User) -> None:
    await bob.request("PUT", WL, {"items": [{"symbol": "SOLUSDT"}]})
    await alice.request("PUT", WL, {"items": [{"symbol": "BTCUSDT"}]})
    assert symbols_of(await alice.request("GET", WL)) == ["BTCUSDT"]
    assert symbols_of(await bob.request("GET", WL)) == ["SOLUSDT"]

    # Alice's session with Bob's CSRF token (say, read from a shared machine) is refused
    stolen = User(alice.client, bob.csrf)
    for method, path, body in [
        ("PUT", WL, {"items": []}),
        ("DELETE", f"{WL}/SOLUSDT", None),
        ("POST", f"{WL}/sync", {"syncId": str(uuid.uuid4()), "items": [{"symbol": "ETHUSDT", "addedAt": 1}]}),
    ]:
        assert (await stolen.request(method, path, body)).status_code == 403
    # Alice's own changes only ever touch her list
    await alice.request("DELETE", f"{WL}/SOLUSDT")
    await alice.request("PUT", WL, {"items": []})
    assert symbols_of(await bob.request("GET", WL)) == ["SOLUSDT"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", WL, {"items": [{"symbol": "ETHUSDT"}]}),
        ("PUT", f"{WL}/ETHUSDT", None),
        ("DELETE", f"{WL}/BTCUSDT", None),
        ("POST", f"{WL}/sync", {"syncId": "8d0f5a47-6c0b-4d0e-9b8e-2f7e1c4a9d11", "items": []}),
    ],
)
async def test_state_changes_without_the_csrf_token_are_403(alice: User, method: str, path: str, body: Any) -> None:
    await alice.request("PUT", WL, {"items": [{"symbol": "BTCUSDT"}]})
    missing = await alice.request(method, path, body, csrf=False)
    wrong = await User(alice.client, alice.csrf[::-1]).request(method, path, body)
    for response in (missing, wrong):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
    assert symbols_of(await alice.request("GET", WL)) == ["BTCUSDT"]


async def test_sync_merges_reports_and_replays(alice: User) -> None:
    await alice.request("PUT", WL, {"items": [{"symbol": "BTCUSDT"}]})
    body = {
        "syncId": str(uuid.uuid4()),
        "items": [
            {"symbol": "SOLUSDT", "addedAt": 300},
            {"symbol": "ETHUSDT", "addedAt": 100},
            {"symbol": "BTCUSDT", "addedAt": 50},
            {"symbol": "FAKE'--", "addedAt": 10},
        ],
    }
    first = await alice.request("POST", f"{WL}/sync", body)
    assert first.status_code == 200
    assert first.json() == {
        "items": [
            {"symbol": "BTCUSDT", "addedAt": first.json()["items"][0]["addedAt"]},
            {"symbol": "ETHUSDT", "addedAt": 100},
            {"symbol": "SOLUSDT", "addedAt": 300},
        ],
        "added": ["ETHUSDT", "SOLUSDT"],
        "skipped": ["FAKE'--"],
        "truncated": [],
    }
    await alice.request("DELETE", f"{WL}/ETHUSDT")
    replay = await alice.request("POST", f"{WL}/sync", body)
    assert replay.json() == first.json()
    assert symbols_of(await alice.request("GET", WL)) == ["BTCUSDT", "SOLUSDT"]  # the replay changed nothing


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"syncId": "not-a-uuid", "items": []}, "'syncId' is required and must be a UUID"),
        ({"items": []}, "'syncId' is required"),
        ({"syncId": str(uuid.uuid4()), "items": [{"symbol": "BTCUSDT", "addedAt": True}]}, "'addedAt' must be"),
        ({"syncId": str(uuid.uuid4()), "items": [{"symbol": "BTCUSDT", "addedAt": -1}]}, "'addedAt' must be"),
        ({"syncId": str(uuid.uuid4()), "items": [{"symbol": "BTCUSDT", "addedAt": 1.5}]}, "'addedAt' must be"),
        ({"syncId": str(uuid.uuid4()), "items": [{"symbol": "BTCUSDT"}] * 501}, "at most 500 entries"),
    ],
)
async def test_sync_refuses_malformed_requests(alice: User, body: Any, fragment: str) -> None:
    response = await alice.request("POST", f"{WL}/sync", body)
    assert response.status_code == 400
    assert fragment in response.json()["error"]["message"]


async def test_two_devices_syncing_at_once_lose_nothing(alice: User) -> None:
    await alice.request("PUT", WL, {"items": [{"symbol": "BTCUSDT"}]})
    phone = {
        "syncId": str(uuid.uuid4()),
        "items": [{"symbol": "ETHUSDT", "addedAt": 1}, {"symbol": "SOLUSDT", "addedAt": 2}],
    }
    laptop = {
        "syncId": str(uuid.uuid4()),
        "items": [{"symbol": "SOLUSDT", "addedAt": 1}, {"symbol": "XRPUSDT", "addedAt": 3}],
    }
    responses = await asyncio.gather(
        *(alice.request("POST", f"{WL}/sync", body) for body in (phone, laptop, phone, laptop))
    )
    assert all(r.status_code == 200 for r in responses)
    assert responses[0].json() == responses[2].json() and responses[1].json() == responses[3].json()
    final = symbols_of(await alice.request("GET", WL))
    assert final[0] == "BTCUSDT"
    assert sorted(final) == ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"]
