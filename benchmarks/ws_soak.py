"""Soak: ``covaex serve --workers 2`` holding 1,000 WebSocket clients for minutes, plus a trickle of API calls.

Not a test: it prints figures. Everything stays on loopback and stops by itself:
a Redis server, the local Binance-protocol server and the service are child
processes of this script, terminated at the end.

* clients — ``--clients`` WebSocket connections (spread over loopback source
  addresses 127.0.0.2, 127.0.0.3, ..., ``--per-address`` each, so the
  per-address cap is respected as real users behind distinct addresses would),
  each subscribed to every symbol and reading everything;
* trickle — one API call every ``--trickle`` seconds, cycling through
  ``/healthz``, ``/api/v1/markets``, ``/`` and ``/readyz``, each over a fresh
  connection;
* figures — unexpected closes (any close the client did not ask for), RSS of
  the main process and of each worker at the start (clients connected) and at
  the end, the growth in per cent, and p50/p99/max of the API calls.

The acceptance bound of issue 16: 0 unexpected closes and RSS growth under 5 %
over 5 minutes (``--duration 300``, the default).

Run: ``.venv/bin/python benchmarks/ws_soak.py [--duration 300] [--clients 1000]``
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
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import harness
import httpx
import psutil
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from covaex import processes
from covaex.localserve import free_port

SYMBOLS = ("BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT", "ADAUSDT", "TRXUSDT")
COVAEX = Path(sys.executable).with_name("covaex")
TRICKLE_PATHS = ("/healthz", "/api/v1/markets", "/", "/readyz")


def rss_mib(pid: int) -> float:
    return processes.rss_bytes(pid) / 2**20


def process_name(pid: int) -> str:
    """Sanic's workers carry ``SANIC_WORKER_NAME`` (``Sanic-Server-0-0``); the other children are helpers."""
    worker = processes.environment(pid).get("SANIC_WORKER_NAME")
    if worker:
        return worker
    with contextlib.suppress(psutil.Error):
        if any("resource_tracker" in part for part in psutil.Process(pid).cmdline()):
            return f"resource-tracker:{pid}"
    return f"helper:{pid}"


def wait_port(port: int, within: float = 30) -> None:
    processes.wait_until(
        lambda: processes.port_open("127.0.0.1", port), within=within, what=f"a server on port {port}", error=SystemExit
    )


@contextlib.contextmanager
def child(
    args: Sequence[str], env: dict[str, str] | None = None, log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    out = log.open("wb") if log else subprocess.DEVNULL
    process = subprocess.Popen(list(args), env=env, stdout=out, stderr=out, start_new_session=True)
    try:
        yield process
    finally:
        processes.stop_group(process, first=signal.SIGINT, grace=20)


@dataclass
class Tally:
    expected: int
    all_in: asyncio.Event = field(default_factory=asyncio.Event)
    connected: int = 0
    frames: int = 0
    unexpected_closes: int = 0
    close_reasons: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    api_errors: int = 0

    def settle(self) -> None:
        """One client connected or failed to: once all did, the soak starts."""
        if self.connected + self.unexpected_closes >= self.expected:
            self.all_in.set()


async def client(url: str, address: str, tally: Tally, stop: asyncio.Event) -> None:
    try:
        async with connect(url, local_addr=(address, 0), open_timeout=60, max_size=None) as ws:
            await ws.send(json.dumps({"op": "subscribe", "symbols": list(SYMBOLS), "id": 1}))
            tally.connected += 1
            tally.settle()
            reader = asyncio.ensure_future(_read(ws, tally))
            await stop.wait()
            if reader.done():  # it ended before we asked: the server closed it
                reader.result()
            reader.cancel()
    except ConnectionClosed as closed:
        tally.unexpected_closes += 1
        reason = f"{closed.rcvd.code if closed.rcvd else 'no close frame'}"
        tally.close_reasons[reason] = tally.close_reasons.get(reason, 0) + 1
        tally.settle()
    except (OSError, TimeoutError) as error:
        tally.unexpected_closes += 1
        tally.close_reasons[type(error).__name__] = tally.close_reasons.get(type(error).__name__, 0) + 1
        tally.settle()


async def _read(ws: object, tally: Tally) -> None:
    async for _ in ws:  # type: ignore[attr-defined]
        tally.frames += 1
    raise ConnectionClosed(None, None)


async def trickle(base: str, every: float, tally: Tally, stop: asyncio.Event) -> None:
    n = 0
    while not stop.is_set():
        path = TRICKLE_PATHS[n % len(TRICKLE_PATHS)]
        n += 1
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            started = time.perf_counter()
            try:
                response = await http.get(path)
                if response.status_code >= 500 and path != "/readyz":
                    tally.api_errors += 1
            except httpx.HTTPError:
                tally.api_errors += 1
            tally.latencies.append(time.perf_counter() - started)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


def rss_line(label: str, pids: dict[str, int]) -> dict[str, float]:
    figures = {name: rss_mib(pid) for name, pid in pids.items()}
    print(f"{label}: " + ", ".join(f"{name} {mib:.1f} MiB" for name, mib in figures.items()), flush=True)
    return figures


async def soak(args: argparse.Namespace, base: str, ws_url: str, pids: dict[str, int]) -> int:
    tally, stop = Tally(args.clients), asyncio.Event()
    addresses = harness.loopback_sources(args.clients, args.per_address)
    tasks = []
    for start in range(0, args.clients, 50):  # connect in batches: a realistic ramp, not a SYN flood
        tasks += [asyncio.create_task(client(ws_url, a, tally, stop)) for a in addresses[start : start + 50]]
        await asyncio.sleep(0.2)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(tally.all_in.wait(), 120)
    print(f"connected {tally.connected} of {args.clients} clients", flush=True)
    await asyncio.sleep(5)  # settle: subscriptions answered, allocators warm
    start_rss = rss_line("RSS at start", pids)
    trickler = asyncio.create_task(trickle(base, args.trickle, tally, stop))
    started = time.monotonic()
    while time.monotonic() - started < args.duration:
        await asyncio.sleep(min(30, args.duration))
        elapsed = time.monotonic() - started
        print(f"  {elapsed:5.0f} s: {tally.frames} frames, {tally.unexpected_closes} unexpected closes", flush=True)
    end_rss = rss_line("RSS at end", pids)
    stop.set()
    await asyncio.gather(*tasks, trickler, return_exceptions=True)

    print(f"unexpected closes: {tally.unexpected_closes} {tally.close_reasons or ''}")
    for name in pids:
        growth = (end_rss[name] - start_rss[name]) / start_rss[name] * 100 if start_rss[name] else 0.0
        print(f"RSS growth {name}: {start_rss[name]:.1f} -> {end_rss[name]:.1f} MiB ({growth:+.1f} %)")
    lat = sorted(tally.latencies)
    if lat:
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        print(
            f"API calls: {len(lat)} ({tally.api_errors} errors), p50 {statistics.median(lat) * 1000:.1f} ms, "
            f"p99 {p99 * 1000:.1f} ms, max {lat[-1] * 1000:.1f} ms"
        )
    print(f"frames received: {tally.frames}")
    return 0 if tally.unexpected_closes == 0 else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of soak after the clients connected")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--per-address", type=int, default=25, help="clients per loopback source address")
    parser.add_argument("--trickle", type=float, default=0.25, help="seconds between two API calls")
    args = parser.parse_args(argv)
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        raise SystemExit("redis-server is not installed (scripts/setup.sh installs it)")
    print(f"# soak: {args.clients} WebSocket clients for {args.duration:g} s, covaex serve --workers 2")
    print(f"# host: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start", flush=True)
    with tempfile.TemporaryDirectory(prefix="covaex-soak-") as tmp:
        work = Path(tmp)
        redis_port, binance_port, port = free_port(), free_port(), free_port()
        redis_args = [redis_server, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--dir", tmp]
        binance_args = [sys.executable, "-m", "covaex_service.market.devtools.binance_server",
                        "--port", str(binance_port), "--symbols", ",".join(SYMBOLS), "--interval", "0.5"]  # fmt: skip
        env = {
            **os.environ,
            "COVAEX_PORT": str(port),
            "COVAEX_FEED": "binance",
            "COVAEX_SYMBOLS": ",".join(SYMBOLS),
            "COVAEX_BINANCE_WS_URL": f"ws://127.0.0.1:{binance_port}",
            "COVAEX_BINANCE_REST_URL": f"http://127.0.0.1:{binance_port}",
            "COVAEX_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "COVAEX_DATABASE_URL": f"sqlite:///{work / 'covaex.db'}",
        }
        serve_args = [str(COVAEX), "serve", "--workers", "2", "--host", "127.0.0.1"]
        with child(redis_args), child(binance_args):
            wait_port(redis_port)
            wait_port(binance_port)
            with child(serve_args, env, work / "serve.log") as server:
                base = f"http://127.0.0.1:{port}"
                try:
                    processes.wait_until(
                        lambda: (
                            httpx.get(f"{base}/readyz").status_code == 200 and len(processes.children(server.pid)) >= 2
                        ),
                        within=90,
                        interval=0.5,
                        what="covaex serve ready with 2 workers",
                    )
                except TimeoutError as late:
                    raise SystemExit(f"{late}: {(work / 'serve.log').read_text()[-2000:]}") from None
                pids = {"main": server.pid} | {process_name(pid): pid for pid in processes.children(server.pid)}
                code = asyncio.run(soak(args, base, f"ws://127.0.0.1:{port}/ws/v1/market", pids))
    print(f"# load average {os.getloadavg()[0]:.1f} at the end")
    return code


if __name__ == "__main__":
    sys.exit(main())
