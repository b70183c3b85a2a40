"""REST snapshot and operations endpoints of the market area; every one reads the cache, never the upstream.

* ``GET /api/v1/markets`` — ``{"asOf", "stale", "source", "markets": [...]}``
* ``GET /api/v1/markets/<symbol>`` — one market (its fields, plus ``source`` and ``stale``);
  404 for a symbol the service does not carry, 503 while it has no price yet
* ``GET /api/v1/markets/<symbol>/klines?interval=1m&limit=N`` — candles from the cache,
  ``{"symbol", "interval", "source", "stale", "klines": [...]}`` oldest first
* ``GET /healthz`` — liveness: the process answers. The ALB and the Auto
  Scaling group check this one: a failing instance is replaced (the rule v1
  and v2 share: :mod:`.health`).
* ``GET /readyz`` — readiness: 200 when the cache answers and the feed is fresh, else 503;
  the body names each check. Not a reason to replace an instance (Redis and the
  feed are shared, so every instance fails together): each worker also logs a
  ``not_ready`` event every :data:`READINESS_REPORT_SECONDS` while it is not
  ready, which a CloudWatch metric filter turns into the ``app-not-ready`` alarm.
* ``GET /metrics`` — Prometheus text format (:mod:`.metrics`)
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, raw

from covaex_service.errors import BadRequest, NotFound, Unavailable
from covaex_service.market.cache.contract import CacheUnavailable
from covaex_service.market.candles import INTERVALS, KLINES_KEPT
from covaex_service.market.health import LIVENESS_PATH, READINESS_PATH
from covaex_service.market.metrics import CONTENT_TYPE

blueprint = Blueprint("market")
log = logging.getLogger("covaex.market")
READINESS_REPORT_SECONDS = 60.0


@blueprint.get("/api/v1/markets")
async def markets(request: Request) -> HTTPResponse:
    # The same bytes for every request until the snapshot changes (encoded once per version).
    return raw(await request.app.ctx.market.view.snapshot_bytes(), content_type="application/json")


def _carried(request: Request, symbol: str) -> str:
    wanted = symbol.strip().upper()
    if wanted not in request.app.ctx.settings.symbols:
        raise NotFound(f"unknown symbol {symbol!r}; GET /api/v1/markets lists the symbols carried")
    return wanted


@blueprint.get("/api/v1/markets/<symbol:str>")
async def market(request: Request, symbol: str) -> HTTPResponse:
    wanted = _carried(request, symbol)
    body = await request.app.ctx.market.view.snapshot_json()
    for item in body["markets"]:
        if item["symbol"] == wanted:
            return json({**item, "source": body["source"], "stale": body["stale"]})
    raise Unavailable(f"no price for {wanted} yet; the feed is starting or unreachable")


def _klines_query(request: Request) -> tuple[str, int]:
    interval = request.args.get("interval", "1m")
    if interval not in INTERVALS:
        raise BadRequest(f"interval must be one of {', '.join(INTERVALS)}, got {interval!r}", code="unknown_interval")
    raw_limit = request.args.get("limit", str(KLINES_KEPT))
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= KLINES_KEPT:
        raise BadRequest(f"limit must be a whole number from 1 to {KLINES_KEPT}, got {raw_limit!r}")
    return interval, int(raw_limit)


@blueprint.get("/api/v1/markets/<symbol:str>/klines")
async def klines(request: Request, symbol: str) -> HTTPResponse:
    wanted = _carried(request, symbol)
    interval, limit = _klines_query(request)
    area = request.app.ctx.market
    try:
        stored = await area.cache.klines(wanted, interval)
    except CacheUnavailable as exc:
        raise Unavailable("the market cache is unreachable; try again shortly") from exc
    if stored is None:
        raise Unavailable(f"no {interval} candles for {wanted} yet; the feed is starting or unreachable")
    source, series = stored
    _, stale = await area.view.snapshot()
    return json(
        {
            "symbol": wanted,
            "interval": interval,
            "source": source,
            "stale": stale,
            "klines": [kline.to_json() for kline in series[-limit:]],
        }
    )


@blueprint.get(LIVENESS_PATH)
async def healthz(request: Request) -> HTTPResponse:
    return json({"status": "ok"})


async def readiness(app: Any) -> tuple[bool, dict[str, Any]]:
    """Whether this worker is ready (cache answers, feed fresh) and the body that says why."""
    area = app.ctx.market
    checks: dict[str, str] = {}
    try:
        await area.cache.ping()
        checks["cache"] = "ok"
    except CacheUnavailable as exc:
        checks["cache"] = f"unreachable: {exc}"
    snap, stale = await area.view.snapshot()
    checks["feed"] = "stale" if stale else "fresh"
    ready = checks["cache"] == "ok" and not stale
    return ready, {"status": "ready" if ready else "not_ready", "source": snap.source, "checks": checks}


@blueprint.get(READINESS_PATH)
async def readyz(request: Request) -> HTTPResponse:
    ready, body = await readiness(request.app)
    return json(body, status=200 if ready else 503)


async def _report_readiness(app: Any) -> None:
    while True:
        await asyncio.sleep(READINESS_REPORT_SECONDS)
        ready, body = await readiness(app)
        if not ready:
            log.warning("not ready: %s", body["checks"], extra={"event": "not_ready", "checks": body["checks"]})


async def start_readiness_reports(app: Any) -> None:
    """``after_server_start`` listener (:mod:`.area`): the worker's readiness reports.

    Kept with the area's other tasks, which ``after_server_stop`` cancels (``app.add_task``
    cannot name a task under ``create_server``, which the tests and benchmarks use).
    """
    app.ctx.market.tasks.append(asyncio.create_task(_report_readiness(app), name="covaex-readiness-reports"))


@blueprint.get("/metrics")
async def metrics(request: Request) -> HTTPResponse:
    return raw(request.app.ctx.market.metrics.render(), content_type=CONTENT_TYPE)
