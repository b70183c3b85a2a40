"""A stop of ``covaex serve`` while its market feed waits on DNS, run inside a network namespace of its own.

:func:`run` starts, in a user, mount and network namespace of its own
(``unshare --user --map-root-user --mount --net``, no privilege needed), the
program :func:`main`: loopback up, ``/etc/resolv.conf`` bind-mounted to name a
DNS server of this program's (:class:`SilentDns`) that keeps every query
unanswered, a ``redis-server``, ``covaex serve --workers 2 --feed binance``
with the feed's hosts under a name only that server is asked about, and
WebSocket clients. Once the feed's lookup is waiting, the main process gets
SIGTERM; the program reports as JSON what the clients received and how the
service ended. An unanswered lookup is what a resolver that does not answer
(the boot drill's container, an instance whose DNS is down) leaves a worker
with: the lookup runs in libuv's thread pool, and nothing can cancel it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from covaex.localserve import free_port, start_service, stop_service
from tests.support.servers import RedisServer
from tests.support.service import SYMBOLS
from tests.support.wait import wait_until

FEED_HOST = "stream.feed.example"
"""The market feed's host: only :class:`SilentDns` is asked about it, and it never answers."""
RESOLV_CONF = "nameserver 127.0.0.1\noptions timeout:30 attempts:5\n"
"""glibc's longest tries: a lookup the stop had to wait for would hold it for minutes, not the default 10 s."""
CLIENTS = 6
STOP_CEILING_S = 60.0
"""A ceiling for a loaded machine, never the expected time: the stop waits on no lookup, so it ends well before."""


@dataclass
class Client:
    close_code: int | None = None
    """The code of the close frame the server sent (``None``: the connection ended without one)."""
    close_reason: str = ""


@dataclass
class Report:
    clients: list[Client] = field(default_factory=list)
    lookups_waiting: int = 0
    """Queries for the feed's host the DNS server held unanswered when the service had ended."""
    returncode: int | None = None
    """``None``: still running after :data:`STOP_CEILING_S` (then stopped whole)."""
    log: str = ""


class SilentDns:
    """A DNS server on ``127.0.0.1:53`` (UDP) that reads every query and answers none."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 53))
        self.held: list[bytes] = []
        threading.Thread(target=self._read, name="silent-dns", daemon=True).start()

    def _read(self) -> None:
        while True:
            query, _ = self.sock.recvfrom(4096)
            self.held.append(query)

    def waiting_for(self, host: str) -> int:
        # A query names its host as length-prefixed labels: "stream.feed.example" -> b"\x06stream\x04feed\x07example".
        wire = b"".join(bytes([len(label)]) + label.encode() for label in host.split("."))
        return sum(wire in query for query in self.held)


def run(workdir: Path) -> Report:
    """Run :func:`main` in namespaces of its own; its report."""
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "--net", sys.executable, "-c",
         "import sys; from tests.service.stop_in_netns import main; main(sys.argv[1])", str(workdir)],
        cwd=repo, capture_output=True, text=True, timeout=STOP_CEILING_S + 120, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise AssertionError(f"the stop run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    doc = json.loads(proc.stdout)
    return Report(
        clients=[Client(**client) for client in doc.pop("clients")],
        **doc,
    )


def main(workdir_arg: str) -> None:
    workdir = Path(workdir_arg)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    resolv = workdir / "resolv.conf"
    resolv.write_text(RESOLV_CONF)
    subprocess.run(["mount", "--bind", str(resolv), "/etc/resolv.conf"], check=True)
    dns = SilentDns()
    redis = RedisServer(workdir)
    redis.start()
    try:
        report = _stop_with_clients(workdir, redis, dns)
    finally:
        redis.stop()
    print(json.dumps(asdict(report)))


def _stop_with_clients(workdir: Path, redis: RedisServer, dns: SilentDns) -> Report:
    port = free_port()
    env = {
        **os.environ,
        "COVAEX_ENV": "dev",
        "COVAEX_DATABASE_URL": f"sqlite:///{workdir / 'covaex.db'}",
        "COVAEX_REDIS_URL": redis.url,
        "COVAEX_SYMBOLS": ",".join(SYMBOLS),
        "COVAEX_BINANCE_WS_URL": f"wss://{FEED_HOST}:9443",
        "COVAEX_BINANCE_REST_URL": f"https://{FEED_HOST}",
        "PYTHONUNBUFFERED": "1",
    }
    log_path = workdir / "serve.log"
    args = ["--workers", "2", "--feed", "binance", "--host", "127.0.0.1", "--port", str(port)]
    process = start_service(args, env=env, log_path=log_path)
    try:
        # Both workers past their start: a stop while one still starts is test_server's other case.
        wait_until(lambda: _both_workers_up(port, process), within=60, what="both workers of covaex serve up")
        clients = asyncio.run(_clients_through_the_stop(port, process, dns))
        returncode: int | None = None
        with contextlib.suppress(subprocess.TimeoutExpired):  # reported as None: it did not end by itself
            returncode = process.wait(timeout=STOP_CEILING_S)
        waiting = dns.waiting_for(FEED_HOST)
    finally:
        stop_service(process)
    return Report(clients=clients, lookups_waiting=waiting, returncode=returncode, log=log_path.read_text())


def _both_workers_up(port: int, process: subprocess.Popen[bytes]) -> bool:
    """Both workers report in one scrape: each has acked its start (it reports only then) and serves."""
    assert process.poll() is None, f"covaex serve exited with {process.returncode}"
    metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2, trust_env=False).text
    return len(set(re.findall(r'covaex_worker_ws_clients\{[^}]*worker="[^:"]*:(\d+):', metrics))) == 2


async def _clients_through_the_stop(port: int, process: subprocess.Popen[bytes], dns: SilentDns) -> list[Client]:
    sockets: list[ClientConnection] = []
    try:
        for n in range(CLIENTS):
            ws = await connect(f"ws://127.0.0.1:{port}/ws/v1/market", open_timeout=30, proxy=None)
            sockets.append(ws)
            await ws.send(json.dumps({"op": "subscribe", "symbols": list(SYMBOLS[:2]), "id": n}))
            assert json.loads(await ws.recv())["type"] == "subscribed"
        # The leader's feed is waiting on its lookup (the server holds it): now stop the service.
        await asyncio.to_thread(wait_until, lambda: dns.waiting_for(FEED_HOST), within=60, what="a lookup waiting")
        process.send_signal(signal.SIGTERM)
        return list(await asyncio.gather(*(_until_closed(ws) for ws in sockets)))
    finally:
        for ws in sockets:
            ws.transport.abort()


async def _until_closed(ws: ClientConnection) -> Client:
    try:
        async with asyncio.timeout(STOP_CEILING_S):
            async for _ in ws:
                pass
    except (ConnectionClosed, TimeoutError):
        pass
    frame = ws.protocol.close_rcvd
    return Client(close_code=frame.code if frame else None, close_reason=frame.reason if frame else "")


def can_run() -> str | None:
    """Why :func:`run` cannot run here, or ``None``."""
    for tool in ("unshare", "ip", "redis-server"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--net", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        return f"user and network namespaces are not available: {probe.stderr.decode().strip()}"
    return None
