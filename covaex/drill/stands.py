"""The two stands the scenarios break: To-Be v1 prod (two AZs) and the As-Is single box."""

from __future__ import annotations

import secrets
import socket
from dataclasses import dataclass, field
from pathlib import Path

from covaex.drill.config import DrillConfig
from covaex.drill.load import User, signup_users
from covaex.drill.standins import (
    ASIS,
    AZ_A,
    AZ_C,
    FRONT,
    AutoFailoverPostgres,
    PlainPostgres,
    PlainRedis,
    Processes,
    SentinelRedis,
    StandInError,
    Upstream,
    app_env,
    haproxy_config,
    serve_argv,
    wait_for,
)
from covaex.localserve import free_port
from covaex.processes import port_open

USERS = 3
APP_START_TIMEOUT_S = 90.0


def haproxy_servers(sock_path: Path) -> dict[tuple[str, str], str]:
    """(backend, server) -> status (``UP``, ``DOWN``, ``UP 1/3``...) from HAProxy's stats socket."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(2)
        sock.connect(str(sock_path))
        sock.sendall(b"show stat\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    lines = b"".join(chunks).decode().splitlines()
    header = lines[0].lstrip("# ").split(",")
    rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
    return {(r["pxname"], r["svname"]): r["status"] for r in rows if r["svname"] not in ("FRONTEND", "BACKEND")}


@dataclass
class Stand:
    """What both stands share: the run's processes, the upstream, HAProxy, the instances and the users."""

    config: DrillConfig
    procs: Processes
    upstream: Upstream
    symbols: tuple[str, ...]
    apps: dict[str, tuple[str, int]] = field(default_factory=dict)
    web_port: int = 0
    redis_port: int = 0
    users: list[User] = field(default_factory=list)
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(48))

    @property
    def base(self) -> str:
        return f"http://{FRONT}:{self.web_port}"

    @property
    def stats_socket(self) -> Path:
        return self.procs.folder / "haproxy.sock"

    def servers(self) -> dict[tuple[str, str], str]:
        return haproxy_servers(self.stats_socket)

    def app_up(self, name: str) -> bool:
        return self.servers().get(("app", name), "") == "UP"

    def app_down(self, name: str) -> bool:
        return self.servers().get(("app", name), "").startswith("DOWN")

    def start_haproxy(self, redis_nodes: dict[str, tuple[str, int]] | None) -> None:
        self.web_port = free_port(FRONT)
        self.redis_port = free_port(FRONT) if redis_nodes else 0
        text = haproxy_config(self.config, self.web_port, self.apps, redis_nodes, self.redis_port)
        text = text.replace("global\n", f"global\n  stats socket {self.stats_socket} mode 600 level admin\n", 1)
        cfg = self.procs.folder / "haproxy.cfg"
        cfg.write_text(text)
        self.procs.start("haproxy", ["haproxy", "-db", "-f", str(cfg)])
        wait_for("HAProxy", lambda: self.stats_socket.exists() and bool(self.servers()), timeout=20)

    def start_app(self, name: str, redis_url: str, database_url: str) -> None:
        host, port = self.apps[name]
        env = app_env(redis_url=redis_url, database_url=database_url, upstream=self.upstream, secret=self.secret)
        self.procs.start(f"app-{name}", serve_argv(host, port), env=env)

    def wait_app_up(self, name: str) -> None:
        host, port = self.apps[name]
        # HAProxy counts a server up until its first checks fail: the instance must answer itself too.
        wait_for(
            f"instance {name} healthy behind the ALB",
            lambda: port_open(host, port) and self.app_up(name),
            timeout=APP_START_TIMEOUT_S,
        )

    def kill_app(self, name: str) -> None:
        self.procs.kill(f"app-{name}")


@dataclass
class ToBeStand(Stand):
    """Two instances (AZ a on 127.0.0.2, AZ c on 127.0.0.3), Redis + Sentinel, pg_auto_failover, HAProxy."""

    pg: AutoFailoverPostgres | None = None
    redis: SentinelRedis | None = None

    def up(self) -> None:
        if not (self.config.db_multi_az and self.config.cache_failover):
            raise StandInError(f"{self.config.stack} has no Multi-AZ database or no cache failover to drill")
        self.pg = AutoFailoverPostgres(self.procs)
        self.pg.create()
        self.redis = SentinelRedis(self.procs)
        self.redis.create()
        for name, host in (("a", AZ_A), ("c", AZ_C)):
            self.apps[name] = (host, free_port(host))
        self.start_haproxy(self.redis.nodes)
        wait_for(
            "the cache endpoint on the primary", lambda: self.servers()[("redis_primary", "a")] == "UP", timeout=20
        )
        for name in self.apps:
            self.start_app(name, self.redis_url, self.pg.url)
        for name in self.apps:
            self.wait_app_up(name)
        self.users = signup_users(self.base, USERS, self.symbols)

    @property
    def redis_url(self) -> str:
        return f"redis://{FRONT}:{self.redis_port}/0"

    def restore_app(self, name: str) -> None:
        assert self.pg is not None
        self.start_app(name, self.redis_url, self.pg.url)
        self.wait_app_up(name)

    def redis_endpoint_on(self, name: str) -> bool:
        servers = self.servers()
        return servers.get(("redis_primary", name)) == "UP" and all(
            status != "UP"
            for (backend, server), status in servers.items()
            if backend == "redis_primary" and server != name
        )


@dataclass
class AsIsStand(Stand):
    """The As-Is box: one instance, its Redis and its PostgreSQL on one address (127.0.0.4), no standby."""

    pg: PlainPostgres | None = None

    def up(self) -> None:
        self.pg = PlainPostgres(self.procs)
        self.pg.create()
        redis = PlainRedis(self.procs)
        redis.create()
        self.apps["box"] = (ASIS, free_port(ASIS))
        self.start_haproxy(None)
        self.start_app("box", f"redis://{ASIS}:{redis.port}/0", self.pg.url)
        self.wait_app_up("box")
        self.users = signup_users(self.base, USERS, self.symbols)
