"""EPIC 7-9 pages from the service's code: cache keys, the WebSocket contract, the guest policy, the UI.

Values come from importing the modules that define them, so a page changes
when the code does; a worked merge example is computed by the real
``merge_guest_watchlist``.
"""

from __future__ import annotations

import re
from typing import Any

from covaex.docsite.facts.codefacts import ModuleFacts, function_doc, js_header, load_module, module_facts
from covaex.docsite.inputs import Inputs
from covaex.docsite.paths import DOCS_DIR, REPO_ROOT

SERVICE = "covaex_service"
UI_DIR = REPO_ROOT / "service" / "covaex_service" / "ui"
SCREENSHOTS = ("main-desktop.png", "main-phone.png")
_HOOK = re.compile(r'data-(action|panel|field|badge|sort|chips)="([^"{]+)"')


def cache_contract(inputs: Inputs) -> ModuleFacts:
    return module_facts(f"{SERVICE}.market.cache.contract")


def ws_protocol(inputs: Inputs) -> dict[str, Any]:
    protocol = module_facts(f"{SERVICE}.market.gateway.protocol")
    handler = module_facts(f"{SERVICE}.market.gateway.handler")
    return {"protocol": protocol, "path": handler.get("WS_PATH").value, "errors": protocol.get("ERROR_CODES").value}


def feed(inputs: Inputs) -> dict[str, ModuleFacts]:
    return {
        "binance": module_facts(f"{SERVICE}.market.feeds.binance"),
        "client": module_facts(f"{SERVICE}.market.feeds.binance_client"),
        "auto": module_facts(f"{SERVICE}.market.feeds.auto"),
        "ingest": module_facts(f"{SERVICE}.market.ingest"),
    }


def ssr(inputs: Inputs) -> dict[str, str]:
    return {
        "views": module_facts(f"{SERVICE}.ui.views").doc,
        "main_page": function_doc(f"{SERVICE}.ui.page", "main_page"),
        "page": module_facts(f"{SERVICE}.ui.page").doc,
    }


def guest(inputs: Inputs) -> dict[str, Any]:
    facts = module_facts(f"{SERVICE}.accounts.guest")
    return {
        "module": facts,
        "merge_doc": function_doc(f"{SERVICE}.accounts.guest", "merge_guest_watchlist"),
        "example": _merge_example(),
        "sessions": module_facts(f"{SERVICE}.accounts.sessions"),
        "store_js": js_header(UI_DIR / "static" / "js" / "store.js"),
        "session_js": js_header(UI_DIR / "static" / "js" / "session.js"),
    }


def _merge_example() -> dict[str, Any]:
    """A small merge run through the real function, cap lowered to 3 so truncation shows."""
    guest_mod = load_module(f"{SERVICE}.accounts.guest")
    item = guest_mod.WatchItem
    server = [item("BTCUSDT", 1_700_000_000_000), item("ETHUSDT", 1_700_000_100_000)]
    guest_items = [
        item("SOLUSDT", 1_732_000_300_000),
        item("BTCUSDT", 1_732_000_100_000),
        item("NOSUCHCOIN", 1_732_000_200_000),
        item("XRPUSDT", 1_732_000_200_000),
    ]
    known = {"BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"}
    result = guest_mod.merge_guest_watchlist(server, guest_items, known, cap=3)
    return {
        "server": [i.symbol for i in server],
        "guest": [(i.symbol, i.added_at) for i in guest_items],
        "cap": 3,
        "result": result.to_json(),
    }


def ui(inputs: Inputs) -> dict[str, Any]:
    js_dir = UI_DIR / "static" / "js"
    names = load_module(f"{SERVICE}.ui.names")
    hooks: dict[str, list[str]] = {}
    # Every page's templates (the shared base, the list, the coin page), in a stable order.
    for template in sorted((UI_DIR / "templates").glob("*.html.j2")):
        for kind, value in _HOOK.findall(template.read_text(encoding="utf-8")):
            hooks.setdefault(kind, [])
            if value not in hooks[kind]:
                hooks[kind].append(value)
    return {
        "js": {p.name: js_header(p) for p in sorted(js_dir.glob("*.js"))},
        "coin_names": sorted(names.COIN_NAMES.items()),
        "quote_assets": list(names.QUOTE_ASSETS),
        "hooks": {k: sorted(v) for k, v in sorted(hooks.items())},
        "page_doc": module_facts(f"{SERVICE}.ui.page").doc,
        "screenshots": [
            f"assets/screenshots/{n}" for n in SCREENSHOTS if (DOCS_DIR / "assets/screenshots" / n).is_file()
        ],
    }
