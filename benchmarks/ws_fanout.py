"""WebSocket fan-out benchmark: the CovaEX gateway against a ``websockets.broadcast()`` baseline.

Not a test: it prints figures. Everything stays on 127.0.0.1 and the run stops
by itself (each phase has a fixed duration, servers are child processes that
are terminated at the end).

For each client count (500 and 2,000 by default) and each server:

* memory per idle connection — server RSS growth after the clients connected
  and subscribed, before any tick, divided by the client count;
* fan-out throughput — market updates (and frames) delivered per second,
  summed over all clients, while the feed ticks at ``--rate`` updates/s
  ("of ticks": delivered / (rate x clients); below 100 % means updates were
  coalesced (CovaEX, by design: a client gets the newest value) or dropped
  or still queued when the run ended);
* tick-to-client latency p50/p99 — from the moment the feed produced a tick
  to the moment a client decoded it (the production time travels in the
  tick's ``volume`` field, a decimal string, so both servers send the same
  payloads), measured on :data:`PROBES` clients spread over the connections.

Servers:

* ``covaex`` — the real service (``create_app``) with the embedded cache, a
  feed that ticks at the given rate, default ingest batching (100 ms);
* ``covaex-5ms`` — the same with a 5 ms ingest batching window;
* ``baseline`` — a bare ``websockets`` server calling ``broadcast()`` once
  per tick with an ``update`` frame of that one market.

Run: ``.venv/bin/python benchmarks/ws_fanout.py [--clients 500 2000] [--seconds 10] [--rate 200]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvloop
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

SYMBOLS = (
    "BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT", "ADAUSDT", "TRXUSDT", "AVAXUSDT", "LINKUSDT",
    "DOTUSDT", "TONUSDT", "SHIBUSDT", "LTCUSDT", "BCHUSDT", "UNIUSDT", "NEARUSDT", "APTUSDT", "SUIUSDT", "PEPEUSDT",
)  # fmt: skip


PROBES = 50
"""Clients that decode every frame to measure latency; the others only count."""


def tick(symbol: str, n: int) -> dict[str, Any]:
    """One market update; ``volume`` carries the production time (seconds, microseconds) for latency."""
    return {
        "symbol": symbol, "last": f"{1000 + n % 997}.{n % 100:02d}", "open": "1000.00", "high": "2000.00",
        "low": "900.00", "changePct": "0.000", "volume": f"{time.time():.6f}", "quoteVolume": "1.00",
        "eventTime": int(time.time() * 1000),
    }  # fmt: skip


class Ticker:
    """Produces ``rate`` ticks a second, round-robin over the symbols, between SIGUSR1 and SIGUSR2."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.running = asyncio.Event()

    def install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGUSR1, self.running.set)
        loop.add_signal_handler(signal.SIGUSR2, self.running.clear)

    async def ticks(self) -> Any:
        n = 0
        interval = 1 / self.rate
        next_at = time.monotonic()
        while True:
            await self.running.wait()
            next_at = max(next_at + interval, time.monotonic() - 1)
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            n += 1
            yield tick(SYMBOLS[n % len(SYMBOLS)], n)


# -- servers (run in child processes) ---------------------------------------


async def serve_covaex(port: int, rate: float, flush: float) -> None:
    from covaex_service.app import create_app
    from covaex_service.market.area import MarketOptions
    from covaex_service.market.gateway.guard import GuardedWebSocketProtocol
    from covaex_service.market.gateway.protocol import GatewayLimits
    from covaex_service.market.model import Market
    from covaex_service.settings import Settings

    ticker = Ticker(rate)
    ticker.install_signals()

    class BenchFeed:
        source = "simulator"

        def is_live(self) -> bool:
            return True

        async def run(self, sink: Any) -> None:
            sink([Market.from_json(tick(s, 0), "simulator") for s in SYMBOLS])
            async for data in ticker.ticks():
                sink([Market.from_json(data, "simulator")])

    # An in-memory database: a file shared between runs of different checkouts would carry one's schema to the other.
    settings = Settings(symbols=SYMBOLS, feed="simulator", database_url="sqlite:///:memory:")
    app = create_app(settings, name="covaex_bench")
    options: MarketOptions = app.ctx.market_options
    options.feed_factory = lambda s, stats: BenchFeed()  # type: ignore[assignment,return-value]
    options.flush_interval = flush
    # Thousands of clients from one loopback address: the per-address cap is not what is measured.
    options.limits = GatewayLimits(send_timeout=30.0, max_connections_per_address=1_000_000)
    server = await app.create_server(
        host="127.0.0.1",
        port=port,
        return_asyncio_server=True,
        access_log=False,
        protocol=GuardedWebSocketProtocol,
    )
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    print("ready", flush=True)
    await asyncio.Event().wait()


async def serve_baseline(port: int, rate: float) -> None:
    from websockets.asyncio.server import ServerConnection, broadcast, serve

    ticker = Ticker(rate)
    ticker.install_signals()
    subscribers: set[ServerConnection] = set()

    async def handler(ws: ServerConnection) -> None:
        async for message in ws:
            request = json.loads(message)
            if request.get("op") == "subscribe":
                subscribers.add(ws)
                await ws.send(json.dumps({"type": "subscribed", "id": request.get("id"), "symbols": SYMBOLS}))
                await ws.send(json.dumps({"type": "snapshot", "data": [tick(s, 0) for s in SYMBOLS]}))
        subscribers.discard(ws)

    async with serve(handler, "127.0.0.1", port, ping_interval=None, max_queue=None):
        print("ready", flush=True)
        seq = 0
        async for data in ticker.ticks():
            seq += 1
            broadcast(subscribers, json.dumps({"type": "update", "seq": seq, "data": [data]}, separators=(",", ":")))


# -- the measuring side -------------------------------------------------------


@dataclass
class Tally:
    frames: int = 0
    updates: int = 0
    latencies: list[float] = field(default_factory=list)
    counting: bool = False


async def client(url: str, tally: Tally, settled: Settled, probe: bool) -> None:
    """One subscriber. Every client counts what it gets; only probes decode JSON (latency), so the
    measuring process spends its CPU on receiving, not on parsing 40,000 frames a second."""
    for attempt in range(3):
        try:
            ws = await connect(url, ping_interval=None, max_size=None, open_timeout=30)
            await ws.send(json.dumps({"op": "subscribe", "symbols": list(SYMBOLS), "id": 1}))
            await asyncio.wait_for(read_until(ws, "snapshot"), 30)
            break
        except (OSError, TimeoutError, WebSocketException):
            if attempt == 2:
                settled.failed += 1
                settled.check()
                return
            await asyncio.sleep(1.0)
    settled.connected += 1
    settled.check()
    async with ws:
        async for frame in ws:
            if not tally.counting or not isinstance(frame, str) or not frame.startswith('{"type":"update"'):
                continue
            tally.frames += 1
            tally.updates += frame.count('"symbol"')
            if probe:
                now = time.time()
                tally.latencies.extend(now - float(m["volume"]) for m in json.loads(frame)["data"])


@dataclass
class Settled:
    """Clients connected and subscribed, or given up on after three attempts."""

    total: int
    connected: int = 0
    failed: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def check(self) -> None:
        if self.connected + self.failed == self.total:
            self.done.set()


async def read_until(ws: ClientConnection, kind: str) -> None:
    while json.loads(await ws.recv()).get("type") != kind:
        pass


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Result:
    server: str
    clients: int
    kib_per_idle_connection: float
    updates_per_s: float
    frames_per_s: float
    p50_ms: float
    p99_ms: float
    expected_per_s: float
    connected: int


async def measure(kind: str, clients: int, seconds: float, rate: float) -> Result:
    port = free_port()
    args = [sys.executable, __file__, "--serve", kind, "--port", str(port), "--rate", str(rate)]
    server = await asyncio.create_subprocess_exec(*args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert server.stdout is not None
        while (line := await asyncio.wait_for(server.stdout.readline(), 120)).strip() != b"ready":
            assert line, f"{kind} server did not start"
        await asyncio.sleep(1.0)
        base_rss = rss_kib(server.pid)
        tally, settled = Tally(), Settled(clients)
        url = f"ws://127.0.0.1:{port}/ws/v1/market"
        tasks = []
        probe_every = max(1, clients // PROBES)
        for i in range(clients):
            probe = i % probe_every == 0
            tasks.append(asyncio.create_task(client(url, tally, settled, probe)))
            if i % 50 == 49:
                await asyncio.sleep(0.05)  # do not flood the accept queue
        await asyncio.wait_for(settled.done.wait(), 600)
        connected = settled.connected
        await asyncio.sleep(1.0)
        idle_rss = rss_kib(server.pid)
        server.send_signal(signal.SIGUSR1)
        await asyncio.sleep(1.0)  # warm-up, not counted
        tally.counting = True
        started = time.monotonic()
        await asyncio.sleep(seconds)
        tally.counting = False
        elapsed = time.monotonic() - started
        server.send_signal(signal.SIGUSR2)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        latencies = sorted(tally.latencies) or [float("nan")]
        return Result(
            server=kind,
            clients=clients,
            kib_per_idle_connection=(idle_rss - base_rss) / max(1, connected),
            updates_per_s=tally.updates / elapsed,
            frames_per_s=tally.frames / elapsed,
            p50_ms=statistics.median(latencies) * 1000,
            p99_ms=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
            expected_per_s=rate * max(1, connected),
            connected=connected,
        )
    finally:
        server.terminate()
        try:
            await asyncio.wait_for(server.wait(), 10)
        except TimeoutError:
            server.kill()
            await server.wait()


async def run_all(client_counts: Sequence[int], seconds: float, rate: float, kinds: Sequence[str]) -> None:
    print(f"# WebSocket fan-out, {rate:g} ticks/s over {len(SYMBOLS)} symbols, {seconds:g} s per run, loopback")
    print(f"# host: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    print(
        f"{'server':<11} {'clients':>7} {'connected':>9} {'KiB/idle conn':>13} {'updates/s':>10} {'of ticks':>8} "
        f"{'frames/s':>9} {'p50 ms':>8} {'p99 ms':>8}"
    )
    for clients in client_counts:
        for kind in kinds:
            r = await measure(kind, clients, seconds, rate)
            print(
                f"{r.server:<11} {r.clients:>7} {r.connected:>9} {r.kib_per_idle_connection:>13.1f} "
                f"{r.updates_per_s:>10.0f} {r.updates_per_s / r.expected_per_s:>8.0%} {r.frames_per_s:>9.0f} "
                f"{r.p50_ms:>8.1f} {r.p99_ms:>8.1f}",
                flush=True,
            )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--rate", type=float, default=20.0, help="feed ticks per second (20: Binance's 1 s ticker x 20 symbols)"
    )
    parser.add_argument("--servers", nargs="+", default=["baseline", "covaex", "covaex-5ms"])
    parser.add_argument("--serve", choices=["baseline", "covaex", "covaex-5ms"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.serve == "baseline":
        uvloop.run(serve_baseline(args.port, args.rate))
    elif args.serve is not None:
        flush = 0.005 if args.serve == "covaex-5ms" else 0.1
        uvloop.run(serve_covaex(args.port, args.rate, flush))
    else:
        with contextlib.suppress(KeyboardInterrupt):
            uvloop.run(run_all(args.clients, args.seconds, args.rate, args.servers))


if __name__ == "__main__":
    main()
