"""Table rows 4 and 5: fan-out through Redis, the gateway against a ``websockets.broadcast()`` relay.

Both servers read the same Redis update channel (``covaex:v1:updates``) of a
``redis-server`` this script starts for itself; this process publishes to it
what the ingest leader would, ``--ticks`` updates per symbol per second over
20 symbols in batches every 100 ms (the ingest's flush window), and holds
``--clients`` WebSocket clients subscribed to all 20 symbols. The servers are
pinned to one core, this process and Redis to the other.

* ``covaex`` — the real service (``create_app``) with its Redis cache and a
  feed that never ticks: every update comes from the channel, like on a
  worker that is not the ingest leader;
* ``relay``  — ``benchmarks/baselines.py relay``: each channel message sent
  to every client with ``broadcast()``, one frame per batch.

Figures, over ``--seconds`` after a warm-up: updates delivered per second
(market values, summed over clients) against those published x clients, and
the publish-to-decode latency p50/p99 of every update, read on
:data:`PROBES` clients spread over the connections (the publish time travels
in each market's ``volume``, a decimal string). Goals: 1,000 clients all
delivered with p99 <= 100 ms; 2,000 clients >= 99.5 % delivered, p99 <= 200 ms.

Run: ``.venv/bin/python benchmarks/ws_fanout.py [--clients 1000 2000] [--seconds 10]`` (about two minutes)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import harness
import uvloop
from light_client import LightLoad
from redis.asyncio import Redis
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from covaex import processes

SYMBOLS = (
    "BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT", "ADAUSDT", "TRXUSDT", "AVAXUSDT", "LINKUSDT",
    "DOTUSDT", "TONUSDT", "SHIBUSDT", "LTCUSDT", "BCHUSDT", "UNIUSDT", "NEARUSDT", "APTUSDT", "SUIUSDT", "PEPEUSDT",
)  # fmt: skip
NAMESPACE = "covaex:v1"
"""The cache contract's default namespace (covaex_service.market.cache.contract), spelled out so a --base tree
from before any change of it is measured on the same keys."""
CHANNEL = f"{NAMESPACE}:updates"
BATCH_SECONDS = 0.1
PROBES = 50
"""Clients that decode every frame for latency; the others count what they get without parsing it."""


def market(symbol: str, n: int) -> dict[str, Any]:
    return {
        "symbol": symbol, "last": f"{1000 + n % 997}.{n % 100:02d}", "open": "1000.00", "high": "2000.00",
        "low": "900.00", "changePct": "0.000", "volume": f"{time.time():.6f}", "quoteVolume": "1.00",
        "eventTime": int(time.time() * 1000),
    }  # fmt: skip


async def publish(redis: Redis, ticks_per_symbol: float, stop: asyncio.Event) -> int:
    """Publish ``ticks_per_symbol`` x 20 updates a second in 100 ms batches until ``stop``; returns how many.

    Each batch is written as the ingest leader writes it (the cache contract):
    the snapshot and the heartbeat, then the update on the channel, so the
    gateway sees a live feed and sends prices, not freshness flip-flops.
    """
    per_batch = ticks_per_symbol * len(SYMBOLS) * BATCH_SECONDS
    owed, sent, n = 0.0, 0, 0
    latest = {symbol: market(symbol, 0) for symbol in SYMBOLS}
    next_at = time.monotonic()
    while not stop.is_set():
        owed += per_batch
        batch = []
        while owed >= 1:
            batch.append(market(SYMBOLS[n % len(SYMBOLS)], n))
            n, owed = n + 1, owed - 1
        at_ms = int(time.time() * 1000)
        latest.update((m["symbol"], m) for m in batch)
        snapshot = {"asOf": at_ms, "source": "simulator", "markets": list(latest.values())}
        async with redis.pipeline(transaction=False) as pipe:
            pipe.set(f"{NAMESPACE}:snapshot", json.dumps(snapshot, separators=(",", ":")), ex=3600)
            pipe.set(f"{NAMESPACE}:feed:heartbeat", json.dumps({"at": at_ms, "source": "simulator"}), ex=30)
            update = {"asOf": at_ms, "source": "simulator", "markets": batch}
            pipe.publish(CHANNEL, json.dumps(update, separators=(",", ":")))
            await pipe.execute()
        sent += len(batch)
        next_at += BATCH_SECONDS
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    return sent


# -- the project server, in a child process -------------------------------------


PROFILE_FILE = harness.RESULTS_DIR / "profiles" / "ws_fanout_profile.json"
"""The gateway's own time per frame sent, by function (``--profile``); the docs' performance page shows it."""


def profile_until_terminated(path: str, frames_sent: Callable[[], int], clients: int) -> None:
    """Profile this server from SIGUSR1 (the counted part of the run); on SIGTERM write the top functions and exit.

    Beside the text, :data:`PROFILE_FILE` gets the same top functions as
    microseconds of own time per frame sent while profiling: what one frame to
    one client costs, connection set-up left out.
    """
    import cProfile
    import pstats
    import signal

    profiler = cProfile.Profile()
    frames_at_start, started_at = [0], [0.0]

    def start() -> None:
        frames_at_start[0], started_at[0] = frames_sent(), time.monotonic()
        profiler.enable()

    def dump() -> None:
        profiler.disable()
        seconds = time.monotonic() - started_at[0]
        stats = pstats.Stats(profiler)
        with open(path, "w") as out:
            stats.stream = out  # type: ignore[attr-defined]
            stats.sort_stats("tottime").print_stats(30)
        frames = max(1, frames_sent() - frames_at_start[0])
        rows = sorted(stats.stats.items(), key=lambda item: -item[1][2])  # type: ignore[attr-defined]
        top = [
            {"function": f"{Path(file).name}:{line}({name})" if line else name, "calls": calls,
             "own_us_per_frame": round(own / frames * 1e6, 2)}
            for (file, line, name), (_cc, calls, own, _cum, _callers) in rows[:15]
        ]  # fmt: skip
        total = sum(item[1][2] for item in rows)
        PROFILE_FILE.parent.mkdir(parents=True, exist_ok=True)
        doc = {"measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "machine": harness.machine(),
               "clients": clients, "seconds": round(seconds, 2), "frames_sent": frames,
               "own_seconds": round(total, 3), "own_us_per_frame_total": round(total / frames * 1e6, 2),
               "top": top}  # fmt: skip
        PROFILE_FILE.write_text(json.dumps(doc, indent=2) + "\n")
        os._exit(0)

    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, start)
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, dump)


@contextlib.asynccontextmanager
async def _serving_in_loop_before(app: Any, host: str, port: int, *, touchup: bool) -> AsyncIterator[None]:
    """What ``covaex_service.server.serving_in_loop`` does, for a ``--base`` tree that predates it."""
    app.config.TOUCHUP = touchup
    try:
        from covaex_service.market.gateway.guard import GuardedWebSocketProtocol

        extra = {"protocol": GuardedWebSocketProtocol}
    except ImportError:  # before the hardening
        extra = {}
    server: Any = await app.create_server(host=host, port=port, return_asyncio_server=True, access_log=False, **extra)
    await server.startup()
    await server.before_start()
    await server.after_start()
    yield


async def serve_covaex(port: int, redis_url: str, profile: str | None) -> None:
    from covaex_service.app import create_app
    from covaex_service.market.area import MarketOptions
    from covaex_service.settings import Settings

    try:
        from covaex_service.server import serving_in_loop
    except ImportError:  # a --base tree from before it existed
        serving_in_loop = _serving_in_loop_before  # type: ignore[assignment]

    class SilentFeed:
        source = "simulator"

        def is_live(self) -> bool:
            return False

        async def run(self, sink: Any) -> None:
            await asyncio.Event().wait()

    with tempfile.TemporaryDirectory(prefix="covaex-bench-") as tmp:
        settings = Settings(symbols=SYMBOLS, feed="simulator", redis_url=redis_url, database_url=f"sqlite:///{tmp}/db")
        app = create_app(settings, name="covaex_fanout")
        options: MarketOptions = app.ctx.market_options
        options.feed_factory = lambda s, stats: SilentFeed()  # type: ignore[assignment,return-value]
        async with serving_in_loop(app, "127.0.0.1", port, touchup=True):
            if profile:
                stats = app.ctx.market.gateway_stats
                clients = int(profile.rsplit(".", 2)[-2])  # PREFIX.<clients>.txt
                profile_until_terminated(profile, lambda: stats.frames_sent, clients)
            print("ready", flush=True)
            await asyncio.Event().wait()


# -- the measuring side -------------------------------------------------------------


@dataclass
class Tally:
    frames: int = 0
    updates: int = 0
    latencies: list[float] = field(default_factory=list)
    counting: bool = False
    connected: int = 0
    failed: int = 0


async def client(url: str, source: str, tally: Tally, probe: bool, settled: asyncio.Queue[None]) -> None:
    try:
        ws = await connect(
            url, ping_interval=None, compression=None, max_size=None, open_timeout=60, local_addr=(source, 0)
        )
        await ws.send(json.dumps({"op": "subscribe", "symbols": list(SYMBOLS), "id": 1}))
        async with asyncio.timeout(60):
            await ws.recv()
            await ws.recv()
    except (OSError, TimeoutError, WebSocketException):
        tally.failed += 1
        await settled.put(None)
        return
    tally.connected += 1
    await settled.put(None)
    with contextlib.suppress(WebSocketException):
        async for frame in ws:
            if not tally.counting or not isinstance(frame, str) or not frame.startswith('{"type":"update"'):
                continue
            tally.frames += 1
            tally.updates += frame.count('"symbol"')
            if probe:
                now = time.time()
                tally.latencies.extend(now - float(m["volume"]) for m in json.loads(frame)["data"])


async def measure(
    kind: str,
    clients: int,
    seconds: float,
    ticks: float,
    redis: Redis,
    redis_url: str,
    profile: str | None = None,
    pythonpath: str | None = None,
) -> dict[str, Any]:
    server_core, _ = harness.cores()
    port = harness.free_port()
    if kind != "relay":
        command = [sys.executable, __file__, "--serve", "--port", str(port), "--redis-url", redis_url]
        if profile:
            command += ["--profile", f"{profile}.{clients}.txt"]
        url = f"ws://127.0.0.1:{port}/ws/v1/market"
        env = {"PYTHONPATH": pythonpath} if pythonpath else None
        server = harness.child(kind, command, core=server_core, env=env)
    else:
        server = harness.baseline_server("relay", port, server_core, "--redis-url", redis_url, "--channel", CHANNEL)
        url = f"ws://127.0.0.1:{port}/"
    with server as running:
        await wait_ready(running)
        tally, settled = Tally(), asyncio.Queue[None]()
        every = max(1, clients // PROBES)
        sources = harness.loopback_sources(clients)
        # As ws_chain.py: the probes decode, every other client is a light one in a process of its own.
        subscribe = json.dumps({"op": "subscribe", "symbols": list(SYMBOLS), "id": 1})
        light = LightLoad(url, [(source, subscribe) for i, source in enumerate(sources) if i % every], within=60)
        tasks = []
        probes = sources[::every]
        for i, source in enumerate(probes):
            tasks.append(asyncio.create_task(client(url, source, tally, True, settled)))
            if i % 50 == 49:
                await asyncio.sleep(0.05)
        for _ in probes:
            await settled.get()
        connected, failed = await light.ready()
        tally.connected += connected
        tally.failed += failed
        stop = asyncio.Event()
        publisher = asyncio.create_task(publish(redis, ticks, stop))
        await asyncio.sleep(2.0)  # warm-up, not counted
        tally.counting = True
        light.count()
        if profile and kind != "relay":
            running.process.send_signal(signal.SIGUSR1)  # profile the counted seconds only
        started = time.monotonic()
        await asyncio.sleep(seconds)
        tally.counting = False
        elapsed = time.monotonic() - started
        frames, updates = await light.counted()
        tally.frames += frames
        tally.updates += updates
        stop.set()
        await publisher
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        light.close()
    latencies = sorted(tally.latencies) or [float("nan")]
    expected = ticks * len(SYMBOLS) * max(1, tally.connected)
    return {
        "connected": tally.connected,
        "updates_per_s": round(tally.updates / elapsed),
        "delivered": round(tally.updates / elapsed / expected, 4),
        "frames_per_s": round(tally.frames / elapsed),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 1),
    }


async def wait_ready(running: harness.Child) -> None:
    def ready() -> bool:
        if running.process.poll() is not None:
            raise SystemExit(f"{running.name} exited:\n{running.log_tail()}")
        return "ready" in running.log.read_text()

    await processes.until(ready, within=60, interval=0.2, what=f"{running.name} ready", error=SystemExit)
    await asyncio.sleep(0.5)


@contextlib.contextmanager
def redis_server(core: int) -> Any:
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is not installed (scripts/setup.sh installs it)")
    port = harness.free_port()
    with tempfile.TemporaryDirectory(prefix="covaex-bench-redis-") as tmp:
        command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        with harness.child("redis", [*command, "--dir", tmp], core=core):
            yield f"redis://127.0.0.1:{port}/0"


async def run(args: argparse.Namespace) -> None:
    harness.print_header(f"Fan-out through Redis, {args.ticks:g} ticks/s x {len(SYMBOLS)} symbols, {args.seconds:g} s")
    print(f"{'clients':>7} {'server':<7} {'connected':>9} {'updates/s':>9} {'delivered':>9} {'frames/s':>8} "
          f"{'p50 ms':>7} {'p99 ms':>7}")  # fmt: skip
    rows = []
    with contextlib.ExitStack() as stack:
        servers = [("covaex", "project", None), ("relay", "baseline", None)]
        if args.base:
            tree = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="covaex-bench-base-")))
            servers.append((f"@{args.base}"[:8], "before", harness.tree_at(args.base, tree)))
        redis_url = stack.enter_context(redis_server(harness.cores()[1]))
        redis = Redis.from_url(redis_url)
        await processes.until(redis.ping, within=10, interval=0.1, what="Redis answering", error=SystemExit)
        for n in args.clients:
            row: dict[str, Any] = {"clients": n}
            for kind, key, pythonpath in servers:
                r = row[key] = await measure(
                    kind, n, args.seconds, args.ticks, redis, redis_url, args.profile, pythonpath
                )
                print(f"{n:>7} {kind:<7} {r['connected']:>9} {r['updates_per_s']:>9} {r['delivered']:>9.1%} "
                      f"{r['frames_per_s']:>8} {r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f}", flush=True)  # fmt: skip
            row["ratio"] = round(row["project"]["updates_per_s"] / max(1, row["baseline"]["updates_per_s"]), 3)
            rows.append(row)
        await redis.aclose()
    print(f"# {harness.uptime_line()}")
    if not args.no_save:
        notes = {"ticks_per_symbol": args.ticks, "symbols": len(SYMBOLS), "seconds": args.seconds,
                 "baseline": "websockets broadcast() relay of the same Redis channel"}  # fmt: skip
        if args.base:
            notes["before"] = f"the gateway of git revision {args.base}, same run"
        path = harness.write_results("ws_fanout", "WebSocket fan-out through Redis", "updates/s", rows, notes)
        print(f"# wrote {path.relative_to(harness.REPO_ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1000, 2000])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--ticks", type=float, default=5.0, help="updates per symbol per second (default 5)")
    parser.add_argument("--no-save", action="store_true", help="do not rewrite benchmarks/results/")
    parser.add_argument(
        "--profile", metavar="PREFIX", help="cProfile the gateway; top functions to PREFIX.<clients>.txt"
    )
    parser.add_argument("--base", metavar="REV", help="also measure the gateway of this git revision (before/after)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--redis-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    harness.open_files_limit_raised()
    if args.serve:
        uvloop.run(serve_covaex(args.port, args.redis_url, args.profile))
        return
    harness.pin_self(harness.cores()[1])
    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(run(args))


if __name__ == "__main__":
    main()
