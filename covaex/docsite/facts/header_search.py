"""The header search, run: ``static/js/search.js``'s ``searchMarkets`` under Node over the service's default
markets, for the kinds of query a Korean user types (a symbol, 초성, a Korean or English name, a pair as
another exchange writes it)."""

from __future__ import annotations

from typing import Any

from covaex.docsite.facts.browser_js import JS_DIR, run_module
from covaex.docsite.inputs import Inputs

QUERIES: tuple[tuple[str, str], ...] = (
    ("심볼", "btc"),
    ("초성", "ㅂㅌ"),
    ("한글 이름 앞부분", "이더"),
    ("영문 이름", "solana"),
    ("다른 거래소의 쌍 표기", "BTC/USDT"),
    ("업비트식 원화 쌍", "KRW-ETH"),
    ("없는 코인", "zzz"),
)

_SCRIPT = r"""
const search = await import(moduleUrl);
const out = arg.queries.map(([kind, query]) => ({
  kind, query, needle: search.normalizeQuery(query),
  hits: search.searchMarkets(arg.symbols, query).map((info) => ({ symbol: info.symbol, ko: info.ko, en: info.en })),
}));
console.log(JSON.stringify(out));
"""


def header_search(inputs: Inputs) -> dict[str, Any]:
    """``{"symbols": count, "queries": [{kind, query, needle, hits: [{symbol, ko, en}]}]}``."""
    from covaex_service.settings import DEFAULT_SYMBOLS

    ran = run_module(JS_DIR / "search.js", _SCRIPT, {"symbols": list(DEFAULT_SYMBOLS), "queries": QUERIES})
    return {"symbols": len(DEFAULT_SYMBOLS), "queries": ran}
