"""The guest watchlist's browser storage, run: ``static/js/store.js`` executed under Node against each kind of
stored value a browser can hold.

The module is imported as the page imports it (an ES module, with the page's
configuration JSON from `covaex_service.ui.views.page_config` in a
``covaex-config`` element), over a stand-in ``localStorage`` that can be
emptied, filled with another app's JSON, a wrong schema version or broken
JSON, or made to throw as a disabled or full storage does. Each case records
what ``readGuestWatchlist`` returned and, for the write cases, what
``updateGuestWatchlist`` answered and what it stored.
"""

from __future__ import annotations

import json
from typing import Any

from covaex.docsite.facts.browser_js import JS_DIR, run_module
from covaex.docsite.inputs import Inputs

STORE_JS = JS_DIR / "store.js"

# (case, what localStorage holds under the guest key (None: nothing), storage behaviour, write?)
CASES: tuple[tuple[str, Any, str, bool], ...] = (
    ("저장된 것 없음", None, "ok", False),
    ("정상 (v1, 중복 포함)", "VALID", "ok", False),
    ("다른 앱의 JSON", ["BTCUSDT", "ETHUSDT"], "ok", False),
    ("다른 스키마 버전 (v 2)", "V2", "ok", False),
    ("깨진 JSON", "{not json", "raw", False),
    ("별 추가 (정상 저장소)", None, "ok", True),
    ("별 추가 (저장소 꺼짐: 읽기·쓰기 예외)", None, "disabled", True),
    ("별 추가 (용량 초과: 쓰기 예외)", None, "full", True),
)

_SCRIPT = r"""
const key = config.guestStorageKey;
let mode = "ok";
const data = new Map();
globalThis.window = {
  localStorage: {
    getItem: (k) => {
      if (mode === "disabled") throw new Error("SecurityError");
      return data.has(k) ? data.get(k) : null;
    },
    setItem: (k, v) => {
      if (mode !== "ok" && mode !== "raw") throw new Error("QuotaExceededError");
      data.set(k, String(v));
    },
    removeItem: (k) => { data.delete(k); },
  },
};
const store = await import(moduleUrl);
const out = [];
for (const [name, held, how, write] of arg) {
  data.clear();
  mode = "ok";
  if (held !== null) data.set(key, how === "raw" ? held : JSON.stringify(held));
  mode = how;
  let read, answer = null;
  try { read = store.readGuestWatchlist(); } catch (e) { read = "threw " + e.message; }
  if (write) {
    try { answer = store.updateGuestWatchlist((items) => [...items, { symbol: "BTCUSDT", addedAt: 1700000000000 }]); }
    catch (e) { answer = "threw " + e.message; }
  }
  mode = "ok";
  out.push({ name, read, answer, stored: data.has(key) ? data.get(key) : null });
}
console.log(JSON.stringify(out));
"""


def guest_storage(inputs: Inputs) -> dict[str, Any]:
    """``{"cases": [{case, read, answer, stored}], "cap": watchlist cap, "key": storage key}``."""
    from covaex_service.ui.views import page_config

    config = page_config()
    version = config["guestSchemaVersion"]
    fixtures = {
        "VALID": {
            "v": version,
            "items": [
                {"symbol": "BTCUSDT", "addedAt": 1},
                {"symbol": "ETHUSDT", "addedAt": 2},
                {"symbol": "BTCUSDT", "addedAt": 3},
                {"symbol": 7, "addedAt": 4},
            ],
        },
        "V2": {"v": version + 1, "items": [{"symbol": "BTCUSDT", "addedAt": 1}]},
    }
    cases = [
        [name, fixtures.get(held, held) if isinstance(held, str) else held, how, write]
        for name, held, how, write in CASES
    ]
    ran = run_module(STORE_JS, _SCRIPT, cases)
    held = {name: h for name, h, _, _ in cases}
    return {
        "cases": [
            {
                "case": r["name"],
                "held": "없음"
                if held[r["name"]] is None
                else (held[r["name"]] if isinstance(held[r["name"]], str) else json.dumps(held[r["name"]])),
                "read": r["read"],
                "answer": r["answer"],
                "stored": r["stored"],
            }
            for r in ran
        ],
        "cap": config["watchlistCap"],
        "key": config["guestStorageKey"],
    }
