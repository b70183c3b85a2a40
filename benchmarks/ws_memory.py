"""Table row 3: server memory per WebSocket client, the gateway against the ``websockets`` library's own server.

Each server runs pinned to one core; this process (the clients, pinned to the
other) opens ``--clients`` connections with compression off, subscribes each
to all 20 symbols and keeps reading. The figure is the growth of the server's
resident memory (the whole process tree: Sanic's main and worker processes)
from before the first connection to a few seconds after the last subscribe,
divided by the clients connected. The gateway runs ``covaex serve`` with the
simulator feed, so its clients receive updates while they are counted; the
baseline answers the subscribe and holds the connection. The clients come
from distinct loopback addresses (:func:`harness.loopback_sources`), within
the gateway's per-address cap (goal: at most
16 KiB per gateway client; the library's own server is the floor).

Run: ``.venv/bin/python benchmarks/ws_memory.py [--clients 500 1000]`` (about a minute)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import tempfile
from pathlib import Path
from typing import Any

import harness
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from covaex import processes

SYMBOLS = (
    "BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT", "ADAUSDT", "TRXUSDT", "AVAXUSDT", "LINKUSDT",
    "DOTUSDT", "TONUSDT", "SHIBUSDT", "LTCUSDT", "BCHUSDT", "UNIUSDT", "NEARUSDT", "APTUSDT", "SUIUSDT", "PEPEUSDT",
)  # fmt: skip
SUBSCRIBE = json.dumps({"op": "subscribe", "symbols": list(SYMBOLS), "id": 1})
SETTLE_SECONDS = 3.0


async def subscriber(url: str, source: str, ready: asyncio.Queue[bool]) -> None:
    """Connect from ``source``, subscribe, then read until cancelled; reports True once subscribed, False on failure."""
    ws: ClientConnection | None = None
    try:
        ws = await connect(
            url, ping_interval=None, compression=None, open_timeout=60, max_size=None, local_addr=(source, 0)
        )
        await ws.send(SUBSCRIBE)
        async with asyncio.timeout(60):
            await ws.recv()
            await ws.recv()
    except (OSError, TimeoutError, WebSocketException):
        await ready.put(False)
        return
    await ready.put(True)
    with contextlib.suppress(WebSocketException):
        async for _frame in ws:
            pass


async def per_client_kib(running: harness.Child, url: str, clients: int) -> tuple[float, int]:
    await asyncio.sleep(1.0)
    before = running.tree_rss_kib()
    ready: asyncio.Queue[bool] = asyncio.Queue()
    tasks = []
    for i, source in enumerate(harness.loopback_sources(clients)):
        tasks.append(asyncio.create_task(subscriber(url, source, ready)))
        if i % 50 == 49:
            await asyncio.sleep(0.05)  # do not overflow the accept queue
    connected = sum([await ready.get() for _ in range(clients)])
    await asyncio.sleep(SETTLE_SECONDS)
    after = running.tree_rss_kib()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return (after - before) / max(1, connected), connected


async def measure(kind: str, clients: int, workdir: Path, pythonpath: str | None = None) -> dict[str, Any]:
    server_core, _load_core = harness.cores()
    port = harness.free_port()
    if kind == "covaex":
        server = harness.project_server(port, server_core, workdir, {"PYTHONPATH": pythonpath} if pythonpath else None)
        url, health = f"ws://127.0.0.1:{port}/ws/v1/market", f"http://127.0.0.1:{port}/healthz"
    else:
        server = harness.baseline_server("ws-idle", port, server_core)
        url, health = f"ws://127.0.0.1:{port}/", ""
    with server as running:
        if health:
            harness.wait_http(running, health)
            harness.wait_prices(port)
        else:
            await wait_ws(running, url)
        kib, connected = await per_client_kib(running, url, clients)
    return {"kib_per_client": round(kib, 2), "connected": connected}


async def wait_ws(running: harness.Child, url: str) -> None:
    async def accepts() -> bool:
        async with connect(url, ping_interval=None):
            return True

    await processes.until(
        accepts, within=30, interval=0.2, what=f"{running.name} accepting WebSockets", error=SystemExit
    )


async def run(clients: list[int], save: bool, base: str | None) -> None:
    harness.print_header("WebSocket memory per client: gateway vs websockets' own server")
    before_label = f"{'@' + base:>12} KiB" if base else ""
    print(f"{'clients':>7} {'covaex KiB/client':>17} {'websockets KiB/client':>21} {'ratio':>6}  {before_label}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="covaex-bench-") as tmp:
        pythonpath = harness.tree_at(base, Path(tmp) / "base") if base else None
        for n in clients:
            ours = await measure("covaex", n, Path(tmp))
            theirs = await measure("baseline", n, Path(tmp))
            ratio = ours["kib_per_client"] / max(0.01, theirs["kib_per_client"])
            # Its own database: this tree's migrations are newer than the base's code.
            before_dir = Path(tmp) / "before-db"
            before_dir.mkdir(exist_ok=True)
            before = await measure("covaex", n, before_dir, pythonpath) if pythonpath else None
            shown = f"{before['kib_per_client']:>16.1f}" if before else ""
            print(
                f"{n:>7} {ours['kib_per_client']:>17.1f} {theirs['kib_per_client']:>21.1f} {ratio:>5.2f}x {shown}",
                flush=True,
            )
            if ours["connected"] < n or theirs["connected"] < n:
                print(f"        connected: covaex {ours['connected']}, websockets {theirs['connected']} of {n}")
            row = {"clients": n, "project": ours, "baseline": theirs, "ratio": round(ratio, 3)}
            if before:
                row["before"] = before
            rows.append(row)
    print(f"# {harness.uptime_line()}")
    if save:
        notes: dict[str, Any] = {"goal_kib": 16, "baseline": "websockets library server (asyncio), compression off"}
        if base:
            notes["before"] = f"the gateway of git revision {base}, same run"
        path = harness.write_results("ws_memory", "WebSocket memory per client", "KiB", rows, notes)
        print(f"# wrote {path.relative_to(harness.REPO_ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[500, 1000])
    parser.add_argument("--no-save", action="store_true", help="do not rewrite benchmarks/results/")
    parser.add_argument("--base", metavar="REV", help="also measure the gateway of this git revision (before/after)")
    args = parser.parse_args()
    harness.open_files_limit_raised()
    harness.pin_self(harness.cores()[1])
    asyncio.run(run(args.clients, not args.no_save, args.base))


if __name__ == "__main__":
    main()
