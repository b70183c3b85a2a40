"""Issue 26: the whole chain as it ships, upstream to client, beside the gateway-only path of the same run.

The chain: the local Binance-protocol server
(``covaex_service.market.devtools.binance_server``) ticks ``--symbols``
symbols ``--ticks`` times a second each; ``covaex serve --feed binance`` as
shipped (its own main process, ``--workers`` workers, the ingest leader's
Redis writes, the gateway's wake-ups) reads it through a ``redis-server``
this script starts; ``--clients`` WebSocket clients from loopback addresses
(25 per address, :func:`harness.loopback_sources`) subscribe to every symbol,
or to 1-3 of them (``--watch 1-3``: coin-page watchers), and count what they
get. Latency runs from the upstream's event time (``eventTime``, stamped by
the local Binance server when it sends a tick) to the client's decode, read
on :data:`PROBES` clients spread over the connections (``websockets``' asyncio
client); the others are :mod:`light_client` connections, which answer pings
and count frames without a task per client, so that the load core keeps up
with the server at 10,000 clients.

Delivered is exact, read on the probe clients: a reference connection
straight to the upstream records every tick (symbol and event time) sent
during the counted seconds, each probe records the ticks it received, for
:data:`GRACE_SECONDS` more so that a late tick counts as late, not as lost;
delivered is the share of the sent ticks of its symbols a probe received,
averaged over the probes. Counting against a rate instead would read a
slowed-down upstream or a backlog as losses or gains. Beside each chain row, in the same run:

* ``gateway`` — ``ws_fanout.py``'s path (the publisher writes batches straight
  into Redis, the gateway runs in-process without ingest): what the chain
  adds is the difference;
* ``@REV`` (``--base REV``) — ``covaex serve`` of another git revision.

For each chain run it prints the service's processes with their RSS, CPU
share of the counted seconds and open file descriptors, and the open-files
limit the busiest process needs (``LimitNOFILE`` in the systemd unit,
``ulimit -n`` in the container). ``--profile`` cProfiles every process of
``covaex serve`` over the counted seconds (a ``sitecustomize`` put on its
``PYTHONPATH``, switched on and off by ``SIGUSR1``/``SIGUSR2``) and writes
the worker's own time by function and by layer to
``results/profiles/ws_chain_profile.json``, which the docs' performance page
shows.

Every server listens on 127.0.0.1; the client count and the seconds are bounded.

Run: ``.venv/bin/python benchmarks/ws_chain.py [--clients 1000 2000] [--seconds 10]`` (about three minutes)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import harness
import httpx
import psutil
import uvloop
import ws_fanout
from light_client import LightLoad
from redis.asyncio import Redis
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from covaex import processes
from covaex.localserve import free_port

PROBES = 50
GOALS: dict[tuple[int, str, int], tuple[float, float]] = {
    (1000, "all", 1): (0.995, 100.0),
    (2000, "all", 1): (0.995, 200.0),
    (10000, "1-3", 2): (1.0, 250.0),
}
"""Issue 26's goals through the chain: (clients, symbols per client, workers) -> (least share of the
ticks delivered, most p99 ms). Written into the results beside the figures; the docs page judges them."""
GRACE_SECONDS = 3.0
"""After the counted seconds, how long the probes keep recording ticks that were sent during them."""
MAX_CLIENTS = 12_000
"""Bounded: a typo must not open a million sockets."""
MAX_SECONDS = 120.0
PROFILE_FILE = harness.RESULTS_DIR / "profiles" / "ws_chain_profile.json"

SITECUSTOMIZE = """
import os, signal
_prefix = os.environ.get("COVAEX_BENCH_PROFILE")
if _prefix:
    import cProfile, pstats, time
    _profiler = cProfile.Profile()
    _started = [0.0]
    def _start(*_):
        _started[0] = time.monotonic()
        _profiler.enable()
    def _dump(*_):
        _profiler.disable()
        seconds = time.monotonic() - _started[0]
        stats = pstats.Stats(_profiler)
        with open(f"{_prefix}.{os.getpid()}.txt", "w") as out:
            out.write(f"# seconds {seconds:.3f}\\n")
            stats.stream = out
            stats.sort_stats("tottime").print_stats(40)
        rows = [[f, l, n, calls, own] for (f, l, n), (_cc, calls, own, _cum, _c) in stats.stats.items()]
        with open(f"{_prefix}.{os.getpid()}.json", "w") as out:
            import json
            json.dump({"seconds": seconds, "rows": rows}, out)
    signal.signal(signal.SIGUSR1, _start)
    signal.signal(signal.SIGUSR2, _dump)
"""

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ingest: Binance feed, parsing, batching (covaex)", (
        "covaex_service/market/feeds/", "covaex_service/market/ingest",
    )),
    ("gateway: hub, frames, guard (covaex)", ("covaex_service/market/gateway/",)),
    ("cache: Redis reads and writes (covaex + redis-py)", ("covaex_service/market/cache", "redis/")),
    ("other covaex code", ("covaex_service/",)),
    ("websockets protocol (client to upstream, server frames)", ("websockets/",)),
    ("Sanic", ("sanic/",)),
    ("JSON (stdlib, orjson)", ("json/", "orjson", "<method 'dumps'", "<method 'loads'", "decode' of")),
    ("event loop, idle waits included (uvloop, asyncio)", ("asyncio/", "uvloop", "run_until_complete", "select")),
    ("socket writes and reads (C)", ("<method 'write' of", "<method 'send", "<method 'recv")),
)  # fmt: skip
"""The worker's own time grouped by where it was spent (first match of a path fragment)."""


def symbols_of(count: int) -> tuple[str, ...]:
    """The first ``count`` of the 20 listed symbols, then made-up ones (``X21USDT``...)."""
    listed = ws_fanout.SYMBOLS[:count]
    return (*listed, *(f"X{n}USDT" for n in range(len(listed) + 1, count + 1)))


@dataclass
class Tally:
    updates: int = 0
    frames: int = 0
    latencies: list[float] = field(default_factory=list)
    counting: bool = False
    connected: int = 0
    failed: int = 0
    window: tuple[int, int] = (0, 0)
    """Event times (ms) of the counted ticks: from the start of the counted seconds to their end."""
    received: list[set[tuple[str, int]]] = field(default_factory=list)
    """Per probe: the (symbol, event time) of each counted tick it received."""
    probe_symbols: list[tuple[str, ...]] = field(default_factory=list)


async def chain_client(
    url: str, source: str, symbols: list[str], tally: Tally, probe: bool, settled: asyncio.Queue[None]
) -> None:
    """A probe: decodes every frame, for latency and for the ticks it received."""
    try:
        ws = await connect(
            url, ping_interval=None, compression=None, max_size=None, open_timeout=90, local_addr=(source, 0)
        )
        await ws.send(json.dumps({"op": "subscribe", "symbols": symbols, "id": 1}))
        async with asyncio.timeout(90):
            await ws.recv()
            await ws.recv()
    except (OSError, TimeoutError, WebSocketException):
        tally.failed += 1
        await settled.put(None)
        return
    tally.connected += 1
    received: set[tuple[str, int]] = set()
    if probe:
        tally.received.append(received)
        tally.probe_symbols.append(tuple(symbols))
    await settled.put(None)
    with contextlib.suppress(WebSocketException):
        async for frame in ws:
            if not isinstance(frame, str) or not frame.startswith('{"type":"update"'):
                continue
            if tally.counting:
                tally.frames += 1
                tally.updates += frame.count('"symbol"')
            if probe:
                now, (start, end) = time.time(), tally.window
                for m in json.loads(frame)["data"]:
                    if start <= m["eventTime"] <= end:
                        received.add((m["symbol"], m["eventTime"]))
                        tally.latencies.append(now - m["eventTime"] / 1000)


async def record_upstream(
    ws_url: str, symbols: tuple[str, ...], tally: Tally, sent: set[tuple[str, int]], stop: asyncio.Event
) -> None:
    """A reference connection to the upstream: ``sent`` gets each tick whose event time is in the counted window."""
    streams = "/".join(f"{s.lower()}@ticker" for s in symbols)
    async with connect(f"{ws_url}/stream?streams={streams}", ping_interval=None, max_size=None) as ws:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.5):
                    frame = await ws.recv()
                    data = json.loads(frame).get("data") or {}
                    start, end = tally.window
                    if data.get("e") == "24hrTicker" and start <= data["E"] <= end:
                        sent.add((data["s"], data["E"]))


@dataclass
class Process:
    pid: int
    role: str
    cpu_seconds: float = 0.0
    rss_kib: int = 0
    fds: int = 0


def service_processes(root: int) -> list[Process]:
    """The service's processes: ``main`` (the ``covaex serve`` process) and each child (workers, Sanic's manager)."""
    found = []
    for pid in processes.tree(root):
        with contextlib.suppress(psutil.Error):
            process = psutil.Process(pid)
            with process.oneshot():
                cmdline = " ".join(process.cmdline())
                if "taskset" in cmdline:
                    continue
                role = "main" if "covaex serve" in cmdline or cmdline.endswith(" serve") else "child"
                times = process.cpu_times()
                rss_kib = process.memory_info().rss // 1024
                found.append(Process(pid, role, times.user + times.system, rss_kib, process.num_fds()))
    return found


def usage(before: list[Process], after: list[Process], seconds: float) -> list[dict[str, Any]]:
    """RSS, CPU share over ``seconds`` and open descriptors per process; the busiest child is the worker."""
    start = {p.pid: p.cpu_seconds for p in before}
    rows = [
        {"pid": p.pid, "role": p.role, "rss_mib": round(p.rss_kib / 1024, 1),
         "cpu_pct": round((p.cpu_seconds - start.get(p.pid, p.cpu_seconds)) / seconds * 100, 1), "open_fds": p.fds}
        for p in after
    ]  # fmt: skip
    for row in rows:
        if row["role"] == "child" and row["open_fds"] > 64:
            row["role"] = "worker"
    return sorted(rows, key=lambda r: (r["role"] != "main", -r["cpu_pct"]))


@contextlib.contextmanager
def upstream(symbols: tuple[str, ...], ticks: float, core: int) -> Iterator[str]:
    """The local Binance-protocol server, ticking every symbol ``ticks`` times a second, on ``core``."""
    port = free_port()
    command = [
        harness.PYTHON, "-m", "covaex_service.market.devtools.binance_server",
        "--port", str(port), "--symbols", ",".join(symbols), "--interval", f"{1 / ticks:g}",
    ]  # fmt: skip
    with harness.child("upstream", command, core=core) as running:

        def started() -> bool:
            if running.process.poll() is not None:
                raise SystemExit(f"the local Binance server exited:\n{running.log_tail()}")
            return "Binance protocol on" in running.log.read_text()

        processes.wait_until(started, within=30, interval=0.1, what="the local Binance server", error=SystemExit)
        yield f"ws://127.0.0.1:{port}"


@contextlib.contextmanager
def covaex_serve(
    port: int, workers: int, redis_url: str, upstream_url: str, symbols: tuple[str, ...], workdir: Path,
    pythonpath: str | None, profile_prefix: str | None,
) -> Iterator[harness.Child]:  # fmt: skip
    """``covaex serve --feed binance`` as shipped, one worker on the server core, or ``workers`` over every core."""
    workdir.mkdir(parents=True, exist_ok=True)
    paths = [p for p in (pythonpath,) if p]
    env = {
        "COVAEX_DATABASE_URL": f"sqlite:///{workdir / 'covaex.db'}",
        "COVAEX_ENV": "dev",
        "COVAEX_REDIS_URL": redis_url,
        "COVAEX_BINANCE_WS_URL": upstream_url,
        "COVAEX_BINANCE_REST_URL": upstream_url.replace("ws://", "http://"),
        "COVAEX_SYMBOLS": ",".join(symbols),
    }
    if profile_prefix:
        (workdir / "profile").mkdir(exist_ok=True)
        (workdir / "profile" / "sitecustomize.py").write_text(SITECUSTOMIZE)
        paths.insert(0, str(workdir / "profile"))
        env["COVAEX_BENCH_PROFILE"] = profile_prefix
    if paths:
        env["PYTHONPATH"] = ":".join(paths)
    command = [str(harness.COVAEX), "serve", "--feed", "binance", "--port", str(port), "--workers", str(workers)]
    server_core = harness.cores()[0]
    if workers == 1:
        with harness.child("covaex", command, core=server_core, env=env) as running:
            yield running
        return
    every_core = ",".join(str(c) for c in sorted(os.sched_getaffinity(0) | {server_core}))
    with harness.child("covaex", ["taskset", "-c", every_core, *command], core=server_core, env=env) as running:
        yield running


async def wait_prices(port: int, symbols: tuple[str, ...], running: harness.Child) -> None:
    """Until the service answers and its snapshot holds every symbol: the feed is connected and the leader writes."""
    async with httpx.AsyncClient(timeout=2) as http:

        async def every_symbol() -> bool:
            if running.process.poll() is not None:
                raise SystemExit(f"covaex serve exited:\n{running.log_tail()}")
            markets = (await http.get(f"http://127.0.0.1:{port}/api/v1/markets")).json().get("markets") or []
            return len(markets) >= len(symbols)

        try:
            await processes.until(every_symbol, within=120, interval=0.3, what="prices for every symbol")
        except TimeoutError as late:
            raise SystemExit(f"covaex serve: {late}:\n{running.log_tail()}") from None


def subscriptions(clients: int, symbols: tuple[str, ...], watch: str) -> list[list[str]]:
    """Every symbol per client, or (``1-3``) one to three of them, drawn with a fixed seed: the same in every run."""
    if watch == "all":
        return [list(symbols)] * clients
    low, high = (int(x) for x in watch.split("-"))
    rng = random.Random(26)
    return [rng.sample(symbols, min(len(symbols), rng.randint(low, high))) for _ in range(clients)]


async def measure_chain(
    args: argparse.Namespace, clients: int, redis: Redis, redis_url: str, upstream_url: str,
    workdir: Path, pythonpath: str | None = None, profile: bool = False,
) -> dict[str, Any]:  # fmt: skip
    await redis.flushall()  # the previous run's leader lock and snapshot must not carry over
    port = free_port()
    symbols = symbols_of(args.symbols)
    prefix = str(workdir / "profile" / "out") if profile else None
    with contextlib.ExitStack() as stack:
        running = stack.enter_context(
            covaex_serve(port, args.workers, redis_url, upstream_url, symbols, workdir, pythonpath, prefix)
        )
        await wait_prices(port, symbols, running)
        url = f"ws://127.0.0.1:{port}/ws/v1/market"
        tally, settled = Tally(), asyncio.Queue[None]()
        every = max(1, clients // PROBES)
        plan = list(zip(harness.loopback_sources(clients), subscriptions(clients, symbols, args.watch), strict=True))
        probes = plan[::every]
        others = [
            (source, json.dumps({"op": "subscribe", "symbols": subs, "id": 1}))
            for i, (source, subs) in enumerate(plan)
            if i % every
        ]
        light = stack.enter_context(contextlib.closing(LightLoad(url, others, within=90)))
        tasks = []
        for i, (source, subs) in enumerate(probes):
            tasks.append(asyncio.create_task(chain_client(url, source, subs, tally, True, settled)))
            if i % 50 == 49:
                await asyncio.sleep(0.05)
        for _ in probes:
            await settled.get()
        connected, failed = await light.ready()
        tally.connected += connected
        tally.failed += failed
        sent: set[tuple[str, int]] = set()
        stop = asyncio.Event()
        tally.window = (1 << 62, 1 << 62)  # nothing counted yet
        reference = asyncio.create_task(record_upstream(upstream_url, symbols, tally, sent, stop))
        await asyncio.sleep(2.0)  # warm-up, not counted
        root = running.process.pid
        if profile:
            for p in service_processes(root):
                os.kill(p.pid, signal.SIGUSR1)
        before = service_processes(root)
        tally.counting, tally.window = True, (int(time.time() * 1000), 1 << 62)
        light.count()
        started = time.monotonic()
        await asyncio.sleep(args.seconds)
        tally.counting, tally.window = False, (tally.window[0], int(time.time() * 1000))
        elapsed = time.monotonic() - started
        frames, updates = await light.counted()
        after = service_processes(root)
        await asyncio.sleep(GRACE_SECONDS)  # ticks sent in the window and still on their way
        if profile:
            for p in after:
                os.kill(p.pid, signal.SIGUSR2)
            await asyncio.sleep(3.0)
        stop.set()
        await reference
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    tally.frames += frames
    tally.updates += updates
    latencies = sorted(tally.latencies) or [float("nan")]
    shares = []
    for got, subscribed in zip(tally.received, tally.probe_symbols, strict=True):
        due = {tick for tick in sent if tick[0] in subscribed}
        shares.append(len(got & due) / max(1, len(due)))
    procs = usage(before, after, elapsed)
    row = {
        "connected": tally.connected,
        "failed": tally.failed,
        "upstream_ticks_per_s": round(len(sent) / elapsed, 1),
        "updates_per_s": round(tally.updates / elapsed),
        "delivered": round(statistics.mean(shares), 4) if shares else 0.0,
        "probes": len(shares),
        "frames_per_s": round(tally.frames / elapsed),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 1),
        "processes": procs,
        "open_files_needed": max(p["open_fds"] for p in procs) + 64,
    }
    if profile:
        worker = max((p for p in procs if p["role"] != "main"), key=lambda p: p["cpu_pct"])
        row["profile"] = save_profile(Path(prefix).parent, worker, clients, tally.updates)  # type: ignore[arg-type]
    return row


def save_profile(folder: Path, process: dict[str, Any], clients: int, updates: int) -> str:
    """The worker's own time, by function and by layer, into :data:`PROFILE_FILE`.

    cProfile counts wall time: the event loop's own time (uvloop's
    ``run_until_complete``, in C) includes its idle waits, so the loop has a
    row of its own and the CPU share comes from ``/proc``, not from the profile.
    """
    dump = folder / f"out.{process['pid']}.json"
    if not dump.exists():
        return "no profile was written (the worker did not answer SIGUSR2)"
    worker = json.loads(dump.read_text()) | {"pid": process["pid"]}
    rows = sorted(worker["rows"], key=lambda r: -r[4])
    total, seconds = sum(r[4] for r in rows), worker["seconds"]

    def name(r: list[Any]) -> str:
        return f"{Path(r[0]).name}:{r[1]}({r[2]})" if r[1] else str(r[2])

    layers = {layer: 0.0 for layer, _ in LAYERS} | {"other": 0.0}
    for r in rows:
        where = f"{r[0]} {r[2]}"
        layer = next((n for n, parts in LAYERS if any(part in where for part in parts)), "other")
        layers[layer] += r[4]
    doc = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": harness.machine(),
        "load_average_after": [round(x, 2) for x in harness.load_average()],
        "clients": clients,
        "seconds": round(seconds, 2),
        "updates_delivered": updates,
        "own_seconds_wall": round(total, 3),
        "worker_cpu_pct": process["cpu_pct"],
        "own_ms_per_s_by_layer": {k: round(v / seconds * 1000, 1) for k, v in layers.items()},
        "top": [{"function": name(r), "calls": r[3], "own_ms_per_s": round(r[4] / seconds * 1000, 2)}
                for r in rows[:20]],
    }  # fmt: skip
    PROFILE_FILE.parent.mkdir(parents=True, exist_ok=True)
    PROFILE_FILE.write_text(json.dumps(doc, indent=2) + "\n")
    text = folder / f"out.{worker['pid']}.txt"
    return str(text)


def print_row(clients: int, kind: str, r: dict[str, Any]) -> None:
    print(f"{clients:>7} {kind:<9} {r['connected']:>9} {r['updates_per_s']:>9} {r['delivered']:>9.1%} "
          f"{r['frames_per_s']:>8} {r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f}", flush=True)  # fmt: skip
    for p in r.get("processes", []):
        print(f"{'':>17} {p['role']:<7} pid {p['pid']:<8} RSS {p['rss_mib']:>7.1f} MiB  CPU {p['cpu_pct']:>5.1f} %  "
              f"open fds {p['open_fds']}")  # fmt: skip
    if "open_files_needed" in r:
        print(f"{'':>17} open-files limit needed: {r['open_files_needed']}")
    if "profile" in r:
        print(f"{'':>17} profile: {r['profile']} and {PROFILE_FILE.relative_to(harness.REPO_ROOT)}")


async def run(args: argparse.Namespace) -> None:
    symbols = symbols_of(args.symbols)
    harness.print_header(
        f"The chain: local Binance ({len(symbols)} symbols x {args.ticks:g} ticks/s) -> covaex serve "
        f"--workers {args.workers} -> Redis -> clients ({args.watch} symbols each), {args.seconds:g} s"
    )
    gateway = args.symbols == 20 and args.watch == "all" and args.workers == 1 and not args.no_gateway
    print(f"{'clients':>7} {'server':<9} {'connected':>9} {'updates/s':>9} {'delivered':>9} {'frames/s':>8} "
          f"{'p50 ms':>7} {'p99 ms':>7}")  # fmt: skip
    rows = []
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="covaex-bench-chain-")))
        base_path = harness.tree_at(args.base, tmp / "base") if args.base else None
        load_core = harness.cores()[1]
        redis_url = stack.enter_context(ws_fanout.redis_server(load_core))
        upstream_url = stack.enter_context(upstream(symbols, args.ticks, load_core))
        redis = Redis.from_url(redis_url)
        await processes.until(redis.ping, within=10, interval=0.1, what="Redis answering", error=SystemExit)
        for n in args.clients:
            row: dict[str, Any] = {"clients": n}
            if (goal := GOALS.get((n, args.watch, args.workers))) is not None:
                row["goal"] = {"delivered": goal[0], "p99_ms": goal[1]}
            runs = []
            for _ in range(args.repeat):
                runs.append(await measure_chain(args, n, redis, redis_url, upstream_url, tmp / f"chain{n}",
                                                profile=args.profile))  # fmt: skip
                print_row(n, "chain", runs[-1])
            # The run of median p99 stands for the row; every run's figures are kept beside it.
            row["chain"] = sorted(runs, key=lambda r: r["p99_ms"])[len(runs) // 2]
            if len(runs) > 1:
                row["chain_runs"] = [{k: r[k] for k in ("delivered", "p50_ms", "p99_ms")} for r in runs]
            if gateway:
                await redis.flushall()
                row["gateway"] = await ws_fanout.measure("covaex", n, args.seconds, args.ticks, redis, redis_url)
                print_row(n, "gateway", row["gateway"])
            if base_path:
                row["before"] = await measure_chain(args, n, redis, redis_url, upstream_url, tmp / f"base{n}",
                                                    pythonpath=base_path)  # fmt: skip
                print_row(n, f"@{args.base}"[:9], row["before"])
            rows.append(row)
        await redis.aclose()
    print(f"# {harness.uptime_line()}")
    if not args.no_save:
        notes: dict[str, Any] = {
            "symbols": len(symbols), "ticks_per_symbol": args.ticks, "seconds": args.seconds,
            "workers": args.workers, "watch": args.watch,
            "baseline": "gateway only (ws_fanout.py's path: batches written straight into Redis), same run",
        }  # fmt: skip
        if args.base:
            notes["before"] = f"covaex serve of git revision {args.base}, same run"
        name = "ws_chain" if args.workers == 1 and args.watch == "all" else f"ws_chain_w{args.workers}_{args.watch}"
        path = harness.write_results(name, "The chain: upstream -> covaex serve -> clients", "updates/s", rows, notes)
        print(f"# wrote {path.relative_to(harness.REPO_ROOT)}")


def _watch(value: str) -> str:
    if value == "all":
        return value
    try:
        low, high = (int(x) for x in value.split("-"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'all' or LOW-HIGH (e.g. 1-3), got {value!r}") from None
    if not 1 <= low <= high:
        raise argparse.ArgumentTypeError(f"expected 1 <= LOW <= HIGH, got {value!r}")
    return value


def _bounded(kind: type, low: float, high: float) -> Any:
    def parse(value: str) -> Any:
        try:
            number = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"{value} is outside {low:g}..{high:g}")
        return number

    return parse


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=_bounded(int, 1, MAX_CLIENTS), nargs="+", default=[1000, 2000])
    parser.add_argument("--seconds", type=_bounded(float, 1, MAX_SECONDS), default=10.0)
    parser.add_argument("--symbols", type=_bounded(int, 1, 200), default=20, help="symbols the upstream ticks (20)")
    parser.add_argument("--ticks", type=_bounded(float, 0.1, 50), default=5.0, help="ticks per symbol per second (5)")
    parser.add_argument("--watch", type=_watch, default="all", help="symbols per client: all (default) or e.g. 1-3")
    parser.add_argument("--workers", type=_bounded(int, 1, 8), default=1, help="covaex serve --workers (1)")
    parser.add_argument("--base", metavar="REV", help="also measure covaex serve of this git revision (before/after)")
    parser.add_argument("--profile", action="store_true", help="cProfile covaex serve's processes over the counted s")
    parser.add_argument("--repeat", type=_bounded(int, 1, 9), default=1,
                        help="chain runs per client count; the run of median p99 stands for the row (1)")  # fmt: skip
    parser.add_argument("--no-gateway", action="store_true", help="skip the gateway-only baseline")
    parser.add_argument("--no-save", action="store_true", help="do not rewrite benchmarks/results/")
    args = parser.parse_args()
    harness.open_files_limit_raised()
    harness.pin_self(harness.cores()[1])
    # A SIGTERM (``timeout``) unwinds like Ctrl-C, so that every child (covaex serve, Redis, the upstream)
    # is stopped: they run in sessions of their own and would outlive this process.
    signal.signal(signal.SIGTERM, _interrupted)
    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(run(args))


if __name__ == "__main__":
    main()
