"""Redis restarted mid-stream: the gateway and REST keep serving the last snapshot marked stale, then recover."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
from covaex_service.market.devtools.binance_server import LocalBinance
from websockets.asyncio.client import ClientConnection, connect

from tests.support.servers import RedisServer
from tests.support.service import make_settings, running_app
from tests.support.wait import eventually


class Collector:
    """Reads every frame of a WebSocket client in the background."""

    def __init__(self, ws: ClientConnection) -> None:
        self.frames: list[dict[str, Any]] = []
        self.task = asyncio.create_task(self._read(ws))

    async def _read(self, ws: ClientConnection) -> None:
        async for frame in ws:
            self.frames.append(json.loads(frame))

    def lasts(self, symbol: str) -> list[str]:
        return [
            m["last"]
            for f in self.frames
            if f["type"] in ("update", "snapshot")
            for m in f["data"]
            if m["symbol"] == symbol
        ]

    def statuses(self) -> list[bool]:
        return [f["stale"] for f in self.frames if f["type"] == "status"]


async def test_redis_restart_mid_stream_serves_stale_then_recovers(
    tmp_path: Path, binance: LocalBinance, own_redis: RedisServer
) -> None:
    settings = make_settings(
        tmp_path,
        feed="binance",
        binance_ws_url=binance.ws_url,
        binance_rest_url=binance.rest_url,
        redis_url=own_redis.url,
    )
    async with running_app(settings) as service, httpx.AsyncClient(base_url=service.http) as http:

        async def rest() -> dict[str, Any]:
            response = await http.get("/api/v1/markets")
            assert response.status_code == 200
            body: dict[str, Any] = response.json()
            return body

        await eventually(lambda: binance.open_connections, what="upstream connection")
        await binance.push("BTCUSDT", last="90000.01")
        await eventually(lambda: rest_is(rest, "90000.01", stale=False), what="fresh snapshot")

        async with connect(service.ws) as ws:
            await ws.send('{"op":"subscribe","symbols":["BTCUSDT"],"id":1}')
            reader = Collector(ws)
            await eventually(lambda: "90000.01" in reader.lasts("BTCUSDT"), what="snapshot on subscribe")

            own_redis.stop()
            await binance.push("BTCUSDT", last="90000.02")  # ingested while Redis is down
            body = await eventually(lambda: rest_is(rest, "90000.01", stale=True), what="stale snapshot")
            assert len(body["markets"]) == 4
            await eventually(lambda: True in reader.statuses(), what="status frame telling stale")
            # A client connecting during the outage still gets the last snapshot, marked stale.
            async with connect(service.ws) as late:
                await late.send('{"op":"subscribe","symbols":["BTCUSDT"],"id":2}')
                await late.recv()
                snapshot = json.loads(await late.recv())
                assert snapshot["stale"] is True and snapshot["data"][0]["last"] == "90000.01"

            own_redis.start()  # same port, empty: nothing persisted
            await eventually(lambda: rest_is(rest, "90000.02", stale=False), within=20, what="recovered snapshot")
            await eventually(lambda: "90000.02" in reader.lasts("BTCUSDT"), what="update after recovery")
            await binance.push("BTCUSDT", last="90000.03")
            await eventually(lambda: "90000.03" in reader.lasts("BTCUSDT"), what="live updates again")
            await eventually(lambda: rest_is(rest, "90000.03", stale=False), what="REST follows again")
            await eventually(lambda: reader.statuses()[-1:] == [False], what="status frame telling fresh")
            assert service.market.feed_stats.cache_write_errors >= 1
            reader.task.cancel()


async def rest_is(rest: Any, last: str, *, stale: bool) -> dict[str, Any] | None:
    body: dict[str, Any] = await rest()
    btc = [m["last"] for m in body["markets"] if m["symbol"] == "BTCUSDT"]
    return body if btc == [last] and body["stale"] is stale else None
