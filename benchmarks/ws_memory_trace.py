"""Where a WebSocket client's memory goes: tracemalloc of the gateway, per connection, by allocation site.

The service runs in this process under :mod:`tracemalloc`; a child process
opens ``--clients`` connections (compression off), subscribes each to all 20
symbols and keeps reading. The difference between two snapshots, taken
before the connections and after they settled, is divided by the client
count and grouped by file and by line: the Python-heap share of each
layer (Sanic's HTTP and WebSocket protocol objects, the ``websockets``
sans-I/O protocol, asyncio tasks, futures and locks, the gateway's session).
The RSS growth is printed beside it: what tracemalloc cannot see is uvloop's
C-level transport state and allocator slack.

The per-layer sums (:data:`LAYERS`) go to ``results/profiles/ws_memory_layers.json``,
which the docs' performance page shows beside the table rows (``--no-save``
prints only).

Run: ``.venv/bin/python benchmarks/ws_memory_trace.py [--clients 500]`` (under a minute). A profiling aid, not a
table row: tracemalloc slows the server down and its own bookkeeping inflates RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import linecache
import os
import sys
import tempfile
import tracemalloc
import uuid
from datetime import UTC, datetime
from typing import Any

import harness
import uvloop

from covaex import processes

SYMBOLS = (
    "BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT", "ADAUSDT", "TRXUSDT", "AVAXUSDT", "LINKUSDT",
    "DOTUSDT", "TONUSDT", "SHIBUSDT", "LTCUSDT", "BCHUSDT", "UNIUSDT", "NEARUSDT", "APTUSDT", "SUIUSDT", "PEPEUSDT",
)  # fmt: skip

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("CovaEX gateway (session, subscriber entries, handler, protocol guard)", ("covaex_service/",)),
    ("Sanic HTTP layer (protocol object, request, headers, routing)", (
        "sanic/http/", "sanic/server/protocols/http_protocol.py", "sanic/server/protocols/base_protocol.py",
        "sanic/request/", "sanic/models/", "sanic/app.py", "http1_request_header", "handle_request", "urllib/",
        "email/", "uuid.py",
    )),
    ("Sanic WebSocket layer (its protocol, frame assembler)", (
        "sanic/server/websockets/", "sanic/server/protocols/websocket_protocol.py",
    )),
    ("asyncio events, queue and locks (Sanic's flow control and assembler)", ("asyncio/locks.py", "asyncio/queues.py")),
    ("asyncio tasks and their coroutine frames (connection, handler, auto-closer)", (
        "asyncio/tasks.py", "asyncio/runners.py", "_weakrefset.py", "weakref.py", "connection_task",
    )),
    ("websockets sans-I/O protocol (parser, frames)", ("websockets/",)),
)  # fmt: skip
"""Python-heap allocation sites grouped by layer (first match of a path fragment); the rest is "other"."""
LAYERS_FILE = harness.RESULTS_DIR / "profiles" / "ws_memory_layers.json"

CLIENTS = """
import asyncio, json, sys
from websockets.asyncio.client import connect
SUBSCRIBE = json.dumps({"op": "subscribe", "symbols": json.loads(sys.argv[3]), "id": 1})
SOURCES = json.loads(sys.argv[4])

async def one(url, source, ready):
    try:
        ws = await connect(url, ping_interval=None, compression=None, open_timeout=60, local_addr=(source, 0))
        await ws.send(SUBSCRIBE)
        await ws.recv(); await ws.recv()
    finally:
        ready.release()
    async for _ in ws:
        pass

async def main(url, n):
    ready, tasks = asyncio.Semaphore(0), []
    for i in range(n):
        tasks.append(asyncio.create_task(one(url, SOURCES[i], ready)))
        if i % 50 == 49:
            await asyncio.sleep(0.05)
    for _ in range(n):
        await ready.acquire()
    print("connected", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


def rss_kib() -> int:
    return processes.rss_bytes(os.getpid()) // 1024


async def connect_clients(url: str, n: int) -> asyncio.subprocess.Process:
    symbols = json.dumps(list(SYMBOLS))
    sources = json.dumps(harness.loopback_sources(n))
    command = [*harness.pinned([sys.executable, "-c", CLIENTS], harness.cores()[1]), url, str(n), symbols, sources]
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
    assert process.stdout is not None
    await process.stdout.readline()
    return process


def by_layer(stats: list[tracemalloc.StatisticDiff], clients: int) -> dict[str, float]:
    sums = {name: 0.0 for name, _ in LAYERS} | {"other": 0.0}
    for stat in stats:
        where = stat.traceback[0].filename
        layer = next((name for name, parts in LAYERS if any(p in where for p in parts)), "other")
        sums[layer] += stat.size_diff / clients
    return {name: round(size) for name, size in sums.items()}


def save_layers(layers: dict[str, float], clients: int, rss_kib: float, heap_kib: float) -> None:
    LAYERS_FILE.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": harness.machine(),
        "load_average_after": [round(x, 2) for x in harness.load_average()],
        "clients": clients,
        "python_heap_kib_per_client": round(heap_kib, 2),
        "rss_kib_per_client_under_tracemalloc": round(rss_kib, 2),
        "bytes_per_client_by_layer": layers,
    }
    LAYERS_FILE.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"# wrote {LAYERS_FILE.relative_to(harness.REPO_ROOT)}")


async def run(clients: int, top: int, save: bool) -> None:
    from covaex_service.app import create_app
    from covaex_service.market.area import MarketOptions
    from covaex_service.market.model import Market
    from covaex_service.server import serving_in_loop
    from covaex_service.settings import Settings

    class OneBatchFeed:
        """One price per symbol, then silence: the memory of subscribed, idle clients."""

        source = "simulator"

        def is_live(self) -> bool:
            return True

        async def run(self, sink: Any) -> None:
            sink([Market.from_json({"symbol": s, "last": "1.00", "open": "1.00", "high": "1.00", "low": "1.00",
                                    "changePct": "0.000", "volume": "1.00", "quoteVolume": "1.00", "eventTime": 1},
                                   "simulator") for s in SYMBOLS])  # fmt: skip
            await asyncio.Event().wait()

    port = harness.free_port()
    with tempfile.TemporaryDirectory(prefix="covaex-bench-") as tmp:
        settings = Settings(symbols=SYMBOLS, feed="simulator", database_url=f"sqlite:///{tmp}/db")
        app = create_app(settings, name=f"trace_{uuid.uuid4().hex[:6]}")
        options: MarketOptions = app.ctx.market_options
        options.feed_factory = lambda s, stats: OneBatchFeed()  # type: ignore[assignment,return-value]
        serving = serving_in_loop(app, "127.0.0.1", port, touchup=True)
        await serving.__aenter__()  # never left: the script ends with os._exit below
        await asyncio.sleep(1.0)
        url = f"ws://127.0.0.1:{port}/ws/v1/market"
        warm = await connect_clients(url, 1)  # code paths and lazy imports loaded before the baseline
        await asyncio.sleep(0.5)
        gc.collect()
        tracemalloc.start(1)
        before, rss_before = tracemalloc.take_snapshot(), rss_kib()
        loaded = await connect_clients(url, clients)
        await asyncio.sleep(2.0)
        gc.collect()
        after, rss_after = tracemalloc.take_snapshot(), rss_kib()
        traced = sum(s.size_diff for s in after.compare_to(before, "filename"))
        print(f"# {harness.uptime_line()}")
        rss, heap = (rss_after - rss_before) / clients, traced / clients / 1024
        print(f"{clients} clients: RSS +{rss:.1f} KiB per client (tracemalloc's own bookkeeping included), ", end="")
        print(f"Python heap +{heap:.1f} KiB per client")
        for group in ("filename", "lineno"):
            print(f"--- per client, by {group}")
            for stat in after.compare_to(before, group)[:top]:
                if stat.size_diff <= 0:
                    continue
                frame = stat.traceback[0]
                where = frame.filename.split("site-packages/")[-1].split("/lib/python3.11/")[-1]
                code = linecache.getline(frame.filename, frame.lineno).strip()[:70] if group == "lineno" else ""
                line = f":{frame.lineno}" if group == "lineno" else ""
                print(
                    f"{stat.size_diff / clients:7.0f} B {stat.count_diff / clients:5.1f} blocks  {where}{line}  {code}"
                )
        layers = by_layer(after.compare_to(before, "filename"), clients)
        print("--- per client, by layer")
        for name, size in layers.items():
            print(f"{size:7.0f} B  {name}")
        if save:
            save_layers(layers, clients, rss, heap)
        for process in (loaded, warm):
            process.kill()
            await process.wait()
        os._exit(0)  # the clients are gone; skip the orderly close of hundreds of dead sockets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--no-save", action="store_true", help="do not rewrite results/profiles/")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    harness.pin_self(harness.cores()[0])
    uvloop.run(run(args.clients, args.top, not args.no_save))


if __name__ == "__main__":
    main()
