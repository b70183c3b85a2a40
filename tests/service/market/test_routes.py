"""REST snapshot, health, readiness and metrics, end to end from the local Binance server through a real Redis."""

from __future__ import annotations

from pathlib import Path

import httpx
from covaex_service.market import read_snapshot
from covaex_service.market.candles import INTERVALS
from covaex_service.market.devtools.binance_server import LocalBinance
from covaex_service.market.health import READINESS_CHECKS
from websockets.asyncio.client import connect

from tests.support.service import make_settings, running_app
from tests.support.wait import eventually


async def test_prices_flow_exactly_from_binance_to_rest_and_websocket(
    tmp_path: Path, binance: LocalBinance, redis_url: str
) -> None:
    settings = make_settings(
        tmp_path, feed="binance", binance_ws_url=binance.ws_url, binance_rest_url=binance.rest_url, redis_url=redis_url
    )
    async with running_app(settings) as service, httpx.AsyncClient(base_url=service.http) as http:
        await eventually(lambda: binance.open_connections, what="upstream connection")
        await binance.push("PEPEUSDT", last="0.00001234", open="0.00001213", change_pct="1.732")
        await binance.push("1000SATSUSDT", last="0.0003195")

        async def rest_has_prices() -> bool:
            body = (await http.get("/api/v1/markets")).json()
            lasts = {m["symbol"]: m["last"] for m in body["markets"]}
            return lasts.get("PEPEUSDT") == "0.00001234" and lasts.get("1000SATSUSDT") == "0.0003195"

        await eventually(rest_has_prices, what="exact prices over REST")
        body = (await http.get("/api/v1/markets")).json()
        assert body["source"] == "binance" and body["stale"] is False and isinstance(body["asOf"], int)
        assert [m["symbol"] for m in body["markets"]] == list(settings.symbols)

        one = await http.get("/api/v1/markets/pepeusdt")
        assert one.status_code == 200
        assert one.json()["last"] == "0.00001234" and one.json()["changePct"] == "1.732"
        missing = await http.get("/api/v1/markets/DOGEUSDT")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"

        direct = await read_snapshot(service.app)
        assert set(direct) == {"asOf", "stale", "source", "markets"}
        assert {m["symbol"]: m["last"] for m in direct["markets"]}["PEPEUSDT"] == "0.00001234"
        async with connect(service.ws) as ws:
            await ws.send('{"op":"subscribe","symbols":["PEPEUSDT"],"id":1}')
            await ws.recv()
            snapshot = await ws.recv()
            assert '"last":"0.00001234"' in str(snapshot)


async def test_ssr_and_rest_never_touch_the_upstream_per_request(tmp_path: Path, binance: LocalBinance) -> None:
    settings = make_settings(tmp_path, feed="binance", binance_ws_url=binance.ws_url, binance_rest_url=binance.rest_url)
    async with running_app(settings) as service, httpx.AsyncClient(base_url=service.http) as http:
        await eventually(lambda: len(service.market.hub.latest) == 4, what="bootstrap")

        async def rest_has_every_symbol() -> bool:
            # REST reuses its cache read for a moment: it can lag the hub's pushed updates by that much.
            return len((await http.get("/api/v1/markets")).json()["markets"]) == 4

        await eventually(rest_has_every_symbol, what="every symbol in GET /api/v1/markets")
        # The bootstrap's REST resync ends with every symbol's candle history, one request per
        # interval; on a busy machine it can still be running once the prices are in.
        wanted = {f"symbol={s}&interval={i}&" for s in settings.symbols for i in INTERVALS}
        await eventually(
            lambda: wanted <= {w for r in binance.rest_requests for w in wanted if w in r}, what="candle history"
        )
        connections, rest_calls = binance.connection_attempts, len(binance.rest_requests)
        for _ in range(20):
            await http.get("/")  # the SSR page (ui area), whatever it renders
            assert (await http.get("/api/v1/markets")).status_code == 200
            assert (await http.get("/api/v1/markets/BTCUSDT")).status_code == 200
            snapshot = await read_snapshot(service.app)
            assert len(snapshot["markets"]) == 4
        assert binance.connection_attempts == connections
        assert len(binance.rest_requests) == rest_calls


async def test_health_readiness_and_metrics(tmp_path: Path, binance: LocalBinance) -> None:
    binance.refuse_rest = True  # readiness depends on the stream, not on REST
    settings = make_settings(tmp_path, feed="binance", binance_ws_url=binance.ws_url, binance_rest_url=binance.rest_url)
    async with running_app(settings) as service, httpx.AsyncClient(base_url=service.http) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        not_ready = await http.get("/readyz")
        assert not_ready.status_code == 503 and not_ready.json()["checks"]["feed"] == "stale"
        # the readiness body checks exactly the shared dependencies the health rule lists
        assert tuple(not_ready.json()["checks"]) == READINESS_CHECKS
        await eventually(lambda: binance.open_connections, what="upstream connection")
        await binance.push("BTCUSDT", last="50000.01")
        await binance.send_raw("garbage")

        async def ready() -> bool:
            return (await http.get("/readyz")).status_code == 200

        await eventually(ready, what="readiness")
        async with connect(service.ws) as ws:
            await ws.send('{"op":"subscribe","symbols":["BTCUSDT"],"id":1}')
            await ws.recv()
            await ws.recv()
            await binance.push("BTCUSDT", last="50000.02")
            await ws.recv()
            metrics = await http.get("/metrics")
        assert metrics.headers["content-type"].startswith("text/plain")
        text = metrics.text
        for line in (
            "covaex_upstream_malformed_frames_total 1.0",
            "covaex_ws_clients 1.0",
            "covaex_upstream_reconnects_total 0.0",
            "covaex_ws_slow_client_closes_total 0.0",
        ):
            assert line in text, line
        assert "covaex_tick_to_send_seconds_count 1.0" in text
        assert "covaex_ticks_ingested_total 2.0" in text
