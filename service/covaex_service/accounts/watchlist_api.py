"""``/api/v1/watchlist``: the logged-in user's list, single-item changes and the guest sync."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from covaex_service.accounts import inputs
from covaex_service.accounts.context import accounts_of
from covaex_service.accounts.guest import WatchItem, merge_guest_watchlist
from covaex_service.accounts.sessions import require_session
from covaex_service.accounts.storage.store import SyncRetention
from covaex_service.accounts.watchlist import add_symbol, remove_symbol, replace_with
from covaex_service.clock import now_ms
from covaex_service.errors import NotFound

watchlist = Blueprint("accounts_watchlist", url_prefix="/api/v1/watchlist")


def _items_response(items: list[WatchItem]) -> HTTPResponse:
    return json({"items": [item.to_json() for item in items]})


@watchlist.get("")
async def get_watchlist(request: Request) -> HTTPResponse:
    session = await require_session(request)
    return _items_response(await accounts_of(request).store.watchlist(session.user_id))


@watchlist.put("")
async def replace_watchlist(request: Request) -> HTTPResponse:
    session = await require_session(request)
    accounts = accounts_of(request)
    symbols = inputs.replacement_symbols(inputs.json_object(request), accounts.known_symbols)
    items = await accounts.store.rewrite_watchlist(session.user_id, replace_with(symbols, now_ms()))
    return _items_response(items)


@watchlist.put("/<symbol:str>")
async def add_to_watchlist(request: Request, symbol: str) -> HTTPResponse:
    session = await require_session(request)
    accounts = accounts_of(request)
    wanted = inputs.symbol_text(symbol, "path")
    if wanted not in accounts.known_symbols:
        raise NotFound(f"unknown market symbol {wanted!r}", code="unknown_symbol")
    return _items_response(await accounts.store.rewrite_watchlist(session.user_id, add_symbol(wanted, now_ms())))


@watchlist.delete("/<symbol:str>")
async def remove_from_watchlist(request: Request, symbol: str) -> HTTPResponse:
    session = await require_session(request)
    # Any symbol may be removed, even one the service stopped listing since it was added.
    items = await accounts_of(request).store.rewrite_watchlist(
        session.user_id, remove_symbol(inputs.symbol_text(symbol, "path"))
    )
    return _items_response(items)


@watchlist.post("/sync")
async def sync_guest_watchlist(request: Request) -> HTTPResponse:
    session = await require_session(request)
    accounts = accounts_of(request)
    sync_id, guest = inputs.guest_sync(inputs.json_object(request))
    config = accounts.config
    body = await accounts.store.sync_watchlist(
        session.user_id,
        sync_id,
        inputs.items_digest(guest),
        lambda server: merge_guest_watchlist(server, guest, accounts.known_symbols),
        now_ms(),
        retention=SyncRetention(per_user=config.max_sync_records_per_user, ttl_ms=config.sync_record_ttl_s * 1000),
    )
    return json(body)
