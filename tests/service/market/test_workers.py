"""A real ``covaex serve --workers 2`` with Redis: one ingest leader, clients on either worker get every update."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from covaex_service.market.devtools.binance_server import LocalBinance
from websockets.asyncio.client import ClientConnection, connect

from covaex.localserve import free_port, service_process
from tests.support.servers import RedisServer
from tests.support.service import SYMBOLS
from tests.support.wait import eventually

COVAEX = Path(sys.executable).with_name("covaex")


def metric(text: str, name: str) -> float:
    found = re.search(rf"^{name} ([0-9.e+]+)$", text, re.MULTILINE)
    assert found is not None, name
    return float(found.group(1))


async def scrape(base: str) -> str:
    async with httpx.AsyncClient(base_url=base) as http:  # a new connection: any worker may accept it
        return (await http.get("/metrics")).text


async def scrape_workers(base: str) -> dict[str, dict[str, float]]:
    """One scrape answers for the instance: the per-worker client gauges, and the leader count."""
    text = await scrape(base)
    per_worker = re.findall(r'^covaex_worker_ws_clients\{[^}]*worker="([^"]+)"[^}]*\} ([0-9.e+]+)$', text, re.MULTILINE)
    leaders = metric(text, "covaex_ingest_leader")
    return {worker: {"covaex_ws_clients": float(v), "covaex_ingest_leader": leaders} for worker, v in per_worker}


@dataclass
class Serve:
    process: subprocess.Popen[bytes]
    port: int
    log: Path


@pytest.fixture
def two_workers(tmp_path: Path, binance: LocalBinance, own_redis: RedisServer) -> Iterator[Serve]:
    port = free_port()
    env = {
        **os.environ,
        "COVAEX_PORT": str(port),
        "COVAEX_FEED": "binance",
        "COVAEX_SYMBOLS": ",".join(SYMBOLS),
        "COVAEX_BINANCE_WS_URL": binance.ws_url,
        "COVAEX_BINANCE_REST_URL": binance.rest_url,
        "COVAEX_REDIS_URL": own_redis.url,
        "COVAEX_DATABASE_URL": f"sqlite:///{tmp_path / 'covaex.db'}",
    }
    log_path = tmp_path / "serve.log"
    with service_process(["--workers", "2", "--host", "127.0.0.1"], env=env, log_path=log_path) as process:
        yield Serve(process, port, log_path)


async def test_two_workers_share_one_feed_and_fan_out_to_every_client(
    two_workers: Serve, binance: LocalBinance
) -> None:
    server, port = two_workers.process, two_workers.port
    base = f"http://127.0.0.1:{port}"
    clients: list[ClientConnection] = []
    try:

        async def serving() -> bool:
            if server.poll() is not None:
                pytest.fail(f"covaex serve exited: {two_workers.log.read_text()[-2000:]}")
            try:
                async with httpx.AsyncClient(base_url=base) as http:
                    return (await http.get("/readyz")).status_code == 200
            except httpx.HTTPError:
                return False

        await eventually(serving, within=60, what="both workers ready")

        # Open clients until both workers hold some (the kernel spreads the accepts).
        workers: dict[str, dict[str, float]] = {}
        while len(clients) < 40:
            for _ in range(4):
                ws = await connect(f"ws://127.0.0.1:{port}/ws/v1/market")
                await ws.send(json.dumps({"op": "subscribe", "symbols": list(SYMBOLS), "id": len(clients)}))
                clients.append(ws)
            for ws in clients[-4:]:
                assert json.loads(await ws.recv())["type"] == "subscribed"
                assert json.loads(await ws.recv())["type"] == "snapshot"
            workers = await scrape_workers(base)
            if len(workers) == 2 and all(v["covaex_ws_clients"] > 0 for v in workers.values()):
                break
        assert len(workers) == 2, "one scrape did not show both workers"
        assert sorted(v["covaex_ws_clients"] for v in workers.values())[0] > 0, workers
        # one feed for the deployment, and every scrape says so whichever worker answers
        assert {v["covaex_ingest_leader"] for v in workers.values()} == {1}
        assert len(binance.open_connections) == 1

        received: list[list[dict[str, Any]]] = [[] for _ in clients]

        async def read(i: int, ws: ClientConnection) -> None:
            async for frame in ws:
                received[i].append(json.loads(frame))

        readers = [asyncio.create_task(read(i, ws)) for i, ws in enumerate(clients)]
        expected = set()
        for round_ in range(3):
            for n, symbol in enumerate(SYMBOLS):
                price = f"{round_ + 1}{n}.000{round_}{n}"
                expected.add((symbol, price))
                await binance.push(symbol, last=price)
            # Further apart than the ingest batching window, so a symbol's rounds are not coalesced.
            await asyncio.sleep(0.3)

        def everyone_has_everything() -> bool:
            for frames in received:
                got = {(m["symbol"], m["last"]) for f in frames if f["type"] == "update" for m in f["data"]}
                if not expected <= got:
                    return False
            return True

        await eventually(everyone_has_everything, within=15, what="every update at every client")
        for frames in received:
            seqs = [f["seq"] for f in frames if f["type"] == "update"]
            assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
        for task in readers:
            task.cancel()

        # Item 7: counters are the instance's, not the answering worker's: never 0 on the non-leader,
        # never going back between scrapes (Prometheus would read a reset).
        ticks = []
        for _ in range(8):
            text = await scrape(base)
            ticks.append(metric(text, "covaex_ticks_ingested_total"))
            assert metric(text, "covaex_ws_clients") == len(clients)
        assert ticks[0] > 0 and ticks == sorted(ticks), ticks
    finally:
        for ws in clients:
            with contextlib.suppress(Exception):
                await ws.close()
