"""EPIC 7-9 pages from the service's code: cache keys, the WebSocket contract, the guest policy, the UI.

Values come from importing the modules that define them (normal imports,
so mypy and a rename see the dependency), so a page changes when the code
does; a worked merge example is computed by the real ``merge_guest_watchlist``.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from covaex_service import headers as headers_module
from covaex_service.accounts import config as accounts_config
from covaex_service.accounts import guest as guest_module
from covaex_service.accounts import inputs as account_inputs
from covaex_service.accounts import passwords, sessions, throttle
from covaex_service.accounts.storage import store
from covaex_service.market import ingest, metrics
from covaex_service.market.cache import contract
from covaex_service.market.feeds import auto, binance, binance_client
from covaex_service.market.gateway import guard, handler, hub, protocol
from covaex_service.ui import names, page, views

from covaex.docsite import screenshots
from covaex.docsite.facts.codefacts import ModuleFacts, function_doc, js_header, module_facts
from covaex.docsite.inputs import Inputs
from covaex.docsite.paths import REPO_ROOT
from covaex.docsite.sections import FactError

UI_DIR = REPO_ROOT / "service" / "covaex_service" / "ui"
_HOOK = re.compile(r'data-(action|panel|field|badge|sort|chips)="([^"{]+)"')


def cache_contract(inputs: Inputs) -> ModuleFacts:
    return module_facts(contract)


def cache_candle_keys(_inputs: Inputs) -> dict[str, str]:
    """The candle keys as ``contract.Keys`` names them (placeholders for the symbol and interval): the Redis
    key page lists them beside the constants, so a key the contract adds is not missing from the page."""
    keys = contract.Keys()
    return {"klines": keys.klines("<SYMBOL>", "<INTERVAL>"), "open_kline": keys.open_kline("<SYMBOL>", "<INTERVAL>")}


def ws_protocol(inputs: Inputs) -> dict[str, Any]:
    facts = module_facts(protocol)
    return {
        "protocol": facts,
        "hub": module_facts(hub),
        "path": handler.WS_PATH,
        "errors": facts.get("ERROR_CODES").value,
    }


def feed(inputs: Inputs) -> dict[str, ModuleFacts]:
    return {
        "binance": module_facts(binance),
        "client": module_facts(binance_client),
        "auto": module_facts(auto),
        "ingest": module_facts(ingest),
    }


def ssr(inputs: Inputs) -> dict[str, str]:
    return {
        "views": module_facts(views).doc,
        "main_page": function_doc(page.main_page),
        "page": module_facts(page).doc,
    }


def guest(inputs: Inputs) -> dict[str, Any]:
    facts = module_facts(guest_module)
    return {
        "module": facts,
        "merge_doc": function_doc(guest_module.merge_guest_watchlist),
        "example": _merge_example(),
        "sessions": module_facts(sessions),
        "store_js": js_header(UI_DIR / "static" / "js" / "store.js"),
        "session_js": js_header(UI_DIR / "static" / "js" / "session.js"),
    }


def _merge_example() -> dict[str, Any]:
    """A small merge run through the real function, cap lowered to 3 so truncation shows."""
    item = guest_module.WatchItem
    server = [item("BTCUSDT", 1_700_000_000_000), item("ETHUSDT", 1_700_000_100_000)]
    guest_items = [
        item("SOLUSDT", 1_732_000_300_000),
        item("BTCUSDT", 1_732_000_100_000),
        item("NOSUCHCOIN", 1_732_000_200_000),
        item("XRPUSDT", 1_732_000_200_000),
    ]
    known = {"BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"}
    result = guest_module.merge_guest_watchlist(server, guest_items, known, cap=3)
    return {
        "server": [i.symbol for i in server],
        "guest": [(i.symbol, i.added_at) for i in guest_items],
        "cap": 3,
        "result": result.to_json(),
    }


_RENDERERS = re.compile(r"const renderers = \{(.*?)\};", re.S)


def panel_renderers(panels_js: Path) -> list[str]:
    """The panels ``panels.js`` draws (the keys of its ``renderers`` map): a panel without one is a placeholder."""
    match = _RENDERERS.search(panels_js.read_text(encoding="utf-8"))
    if match is None:
        raise FactError(f"{panels_js.name}: no `const renderers = {{...}}` map of panel renderers")
    return sorted(re.findall(r"^\s*(\w+):", match.group(1), re.M))


_RENDERER_CALL = re.compile(r"^\s*(\w+):\s*\(\)\s*=>\s*this\.(\w+)\(", re.M)


def panel_access(panels_js: Path) -> dict[str, bool]:
    """For each panel ``panels.js`` draws: whether its renderer shows a guest the login note (``loginNote``),
    read from the renderer's method body, so the gating page's table is the code's, not a description."""
    source = panels_js.read_text(encoding="utf-8")
    match = _RENDERERS.search(source)
    if match is None:
        raise FactError(f"{panels_js.name}: no `const renderers = {{...}}` map of panel renderers")
    out: dict[str, bool] = {}
    for panel, method in _RENDERER_CALL.findall(match.group(1)):
        body = re.search(rf"^  {method}\(\) \{{\n(.*?)^  \}}\n", source, re.M | re.S)
        if body is None:
            raise FactError(f"{panels_js.name}: panel `{panel}` renders with `{method}()`, which is not defined")
        out[panel] = "loginNote(" in body.group(1)
    return dict(sorted(out.items()))


def ui(inputs: Inputs) -> dict[str, Any]:
    js_dir = UI_DIR / "static" / "js"
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
        "panel_renderers": panel_renderers(js_dir / "panels.js"),
        "panel_access": panel_access(js_dir / "panels.js"),
        "chip_groups": [(g.key, g.title) for g in page.chip_groups(())],
        "page_doc": module_facts(page).doc,
        # Only what does not depend on this machine: the images themselves are the mkdocs hook's.
        "screenshots": {
            "marker": screenshots.GALLERY_MARKER,
            "desktop": f"{screenshots.DESKTOP.width}×{screenshots.DESKTOP.height}",
            "phone": f"{screenshots.PHONE.width}×{screenshots.PHONE.height}",
        },
    }


def threats(inputs: Inputs) -> dict[str, Any]:
    """The threat model's controls, each with the limit the code enforces (defaults of the config dataclasses)."""
    accounts = accounts_config.AccountsConfig()
    limits = protocol.GatewayLimits()
    headers = module_facts(headers_module)
    return {
        "accounts": dataclasses.asdict(accounts),
        "gateway": dataclasses.asdict(limits),
        # Worst-case hashing memory per worker: every admitted hash runs at once only up to the concurrency.
        "hash_memory_mib_per_worker": accounts.hash_concurrency * accounts.hash_memory_kib // 1024,
        "inputs": module_facts(account_inputs),
        "client": module_facts(binance_client),
        "guard": module_facts(guard),
        "headers": headers,
        "common_headers": headers.get("COMMON_HEADERS").value,
        "docs": {
            "throttle": module_facts(throttle).doc,
            "passwords": module_facts(passwords).doc,
            "sessions": module_facts(sessions).doc,
            "guard": module_facts(guard).doc,
            "headers": headers.doc,
            "metrics": module_facts(metrics).doc,
            "store": module_facts(store).doc,
        },
    }


_JS_CHIP_COUNT = re.compile(r"^const CHIP_COUNT = (\d+);", re.M)


def keyword_rule(inputs: Inputs) -> dict[str, Any]:
    """The chips' ranking rule as both sides run it: the server's ``chip_groups`` and the browser's
    ``rankMarkets`` must pick the same number of coins, by the same fields."""
    js = (UI_DIR / "static" / "js" / "keywords.js").read_text(encoding="utf-8")
    match = _JS_CHIP_COUNT.search(js)
    if match is None:
        raise FactError("keywords.js: no `const CHIP_COUNT = <n>;`")
    if int(match.group(1)) != page.CHIP_COUNT:
        raise FactError(f"keywords.js picks {match.group(1)} coins per chip group, ui/page.py {page.CHIP_COUNT}")
    for field in ("changePct", "quoteVolume"):
        if field not in js:
            raise FactError(f"keywords.js no longer ranks by `{field}`: the keyword-blocks page states it does")
    return {"count": page.CHIP_COUNT, "groups": [(g.key, g.title) for g in page.chip_groups(())]}
