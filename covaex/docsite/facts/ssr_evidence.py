"""Evidence of the SSR snapshot rule: the service's render cache exercised, and the committed SSR benchmark.

* ``render_once``: the service's own `RenderCache` and `snapshot_version`
  driven the way ``GET /`` drives them: many requests of one snapshot, then a
  new snapshot (a new ``asOf``), then the same snapshot turned stale. The page
  shows how many times the render function ran and how often the gzip
  variant was made; a change to the cache that renders per request moves it.
* ``measured``: ``benchmarks/results/http_ssr.json`` (``benchmarks/http_ssr.py``):
  requests per second and p99 of ``GET /`` per client count, beside the
  revision that rendered on every request ("before") and a Sanic hello-world
  of the same bytes (the baseline).
"""

from __future__ import annotations

import json
from typing import Any

from covaex.docsite.inputs import Inputs
from covaex.docsite.paths import REPO_ROOT
from covaex.docsite.sections import FactError

SSR_RESULTS = REPO_ROOT / "benchmarks" / "results" / "http_ssr.json"
REQUESTS = 1000


def ssr_evidence(inputs: Inputs) -> dict[str, Any]:
    return {"render_once": render_once(), "measured": measured()}


def render_once() -> list[dict[str, Any]]:
    """Per phase: requests made, renders so far, gzip variants made so far."""
    from covaex_service.ui.render_cache import RenderCache, snapshot_version

    cache = RenderCache()
    snapshot: dict[str, Any] = {"asOf": 1_700_000_000_000, "source": "binance", "stale": False, "markets": []}
    made = {"gzip": 0}
    phases = []

    def visit(count: int, phase: str) -> None:
        for _ in range(count):
            page = cache.get("main", snapshot_version(snapshot), lambda: f"<html>{snapshot['asOf']}</html>")
            if "gzip" not in page.variants_made:
                made["gzip"] += 1
            page.body("gzip")
        phases.append({"phase": phase, "requests": count, "renders": cache.renders, "gzip": made["gzip"]})

    visit(REQUESTS, "같은 스냅샷에 요청")
    snapshot = {**snapshot, "asOf": snapshot["asOf"] + 500}
    visit(REQUESTS, "새 스냅샷 (asOf 변경) 뒤 요청")
    snapshot = {**snapshot, "stale": True}
    visit(REQUESTS, "같은 스냅샷이 오래됨 (stale) 표시로 바뀐 뒤 요청")
    return phases


def measured() -> dict[str, Any] | None:
    """The committed SSR benchmark's rows, or None before it has been run."""
    if not SSR_RESULTS.is_file():
        return None
    where = SSR_RESULTS.relative_to(REPO_ROOT).as_posix()
    try:
        doc = json.loads(SSR_RESULTS.read_text(encoding="utf-8"))
        rows = [
            {
                "clients": int(r["clients"]),
                "rps": float(r["project"]["requests_per_s"]),
                "p99": float(r["project"]["p99_ms"]),
                "failed": int(r["project"]["failed"]),
                "baseline_rps": float(r["baseline"]["requests_per_s"]),
                "before_rps": float(r["before"]["requests_per_s"]) if r.get("before") else None,
                "before_p99": float(r["before"]["p99_ms"]) if r.get("before") else None,
            }
            for r in doc["rows"]
        ]
        return {"path": where, "when": str(doc["measured_at"]), "notes": dict(doc.get("notes") or {}), "rows": rows}
    except (ValueError, KeyError, TypeError) as exc:
        raise FactError(f"{where}: not an SSR benchmark results file ({type(exc).__name__}: {exc})") from None
