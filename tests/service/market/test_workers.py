"""A real ``covaex serve --workers 2`` with Redis: one ingest leader, clients on either worker get every update."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
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

from .conftest import SYMBOLS, RedisServer, eventually, free_port

COVAEX = Path(sys.executable).with_name("covaex")


def parse_metrics(text: str) -> tuple[str, dict[str, float]]:
    worker = re.search(r'covaex_worker_info\{worker="([^"]+)"\}', text)
    assert worker is not None
    values = {}
    for name in ("covaex_ws_clients", "covaex_ingest_leader"):
        found = re.search(rf"^{name} ([0-9.e+]+)$", text, re.MULTILINE)
        assert found is not None
        values[name] = float(found.group(1))
    return worker.group(1), values


async def scrape_workers(base: str, rounds: int = 40) -> dict[str, dict[str, float]]:
    """Scrape /metrics over fresh connections until both workers answered; latest figures per worker."""
    seen: dict[str, dict[str, float]] = {}
    for _ in range(rounds):
        async with httpx.AsyncClient(base_url=base) as http:  # a new connection: any worker may accept it
            worker, values = parse_metrics((await http.get("/metrics")).text)
        seen[worker] = values
        if len(seen) == 2 and rounds > 0:
            break
    return seen


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
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(COVAEX), "serve", "--workers", "2", "--host", "127.0.0.1"], env=env, stdout=log, stderr=log
        )
        try:
            yield Serve(process, port, log_path)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


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
        assert len(workers) == 2, "only one worker ever answered"
        assert sorted(v["covaex_ws_clients"] for v in workers.values())[0] > 0, workers
        assert sum(v["covaex_ingest_leader"] for v in workers.values()) == 1  # one feed for the deployment
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
    finally:
        for ws in clients:
            with contextlib.suppress(Exception):
                await ws.close()
