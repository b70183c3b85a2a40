"""The stand-ins: real HAProxy, Redis + Sentinel, PostgreSQL + pg_auto_failover, ``covaex serve``, a local upstream.

Every process is started in a session (process group) of its own, so stopping or
breaking one ends its whole tree (pg_autoctl's PostgreSQL, the service's workers).
Every argv names the run's folder (``/tmp/covaex-standins-*``): :func:`sweep_leftovers`
ends whatever a killed run left, as the boot drill's sweep does. Everything listens
on 127.0.0.0/8 only.

Endpoints follow failovers the way AWS's do:

* the cache's primary endpoint is an HAProxy TCP frontend whose check asks each
  Redis ``INFO replication`` and sends only to the one answering ``role:master``
  (what ElastiCache's primary endpoint DNS does after Sentinel-like promotion);
  the service keeps its one ``COVAEX_REDIS_URL``, as it does on AWS, and needs no
  Sentinel-aware client that AWS would not give it;
* the database endpoint is libpq's multi-host form that asyncpg understands,
  ``host1,host2`` with ``target_session_attrs=read-write``: a new connection finds
  whichever node is the writable primary, as a reconnect after RDS's DNS flip does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from covaex.drill.config import DrillConfig
from covaex.errors import CliError
from covaex.localserve import free_port
from covaex.processes import environment, port_open, seconds_until, stop_group

RUN_PREFIX = "covaex-standins-"
"""Not ``covaex-drill-``: the boot drill's folders start so, and are not ours to sweep."""
RUN_MARKER = "COVAEX_DRILL_RUN"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
AZ_A = "127.0.0.2"
AZ_C = "127.0.0.3"
ASIS = "127.0.0.4"
FRONT = "127.0.0.1"

SENTINEL_DOWN_AFTER_MS = 5000
"""Sentinel declares the primary down after 5 s unanswered (ElastiCache detects a lost node in seconds)."""
SENTINEL_FAILOVER_TIMEOUT_MS = 30000
REDIS_CHECK_INTER_MS = 1000
"""The cache endpoint re-checks each node's role every second (ElastiCache's DNS update is not modelled)."""

TOOLS = ("haproxy", "redis-server", "redis-sentinel", "pg_autoctl", "runuser")


class StandInError(CliError):
    """A stand-in did not start or did not come back."""


def check_tools() -> None:
    """One line naming what is missing (root, the Debian packages) before anything starts."""
    if os.geteuid() != 0:
        raise StandInError("covaex drill needs root (PostgreSQL runs as the postgres user through runuser)")
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not (PG_BIN / "postgres").exists():
        missing.append(str(PG_BIN / "postgres"))
    if missing:
        raise StandInError(f"covaex drill needs {', '.join(missing)}: run scripts/setup.sh")


def wait_for(what: str, probe: Callable[[], bool], *, timeout: float, interval: float = 0.25) -> float:
    """Seconds until ``probe()`` held; :class:`StandInError` naming ``what`` and the last failure after ``timeout``."""
    return seconds_until(probe, within=timeout, what=what, interval=interval, error=StandInError)


# -- processes ---------------------------------------------------------------


@dataclass
class Processes:
    """Every process of one run, each the leader of its own process group."""

    folder: Path
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, argv: Sequence[str], *, env: Mapping[str, str] | None = None) -> None:
        log = (self.folder / "logs" / f"{name}.log").open("ab")
        with log:
            # Our own argv (fixed tools and our run folder), never user input.
            marked = dict(env if env is not None else os.environ)
            marked[RUN_MARKER] = str(self.folder)
            self.running[name] = subprocess.Popen(  # noqa: S603
                list(argv),
                env=marked,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.folder,
                start_new_session=True,
            )

    def kill(self, name: str) -> None:
        """SIGKILL the whole group: the host (or the process) is gone at once, nothing is flushed."""
        process = self.running.pop(name, None)
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)

    def stop(self, name: str, timeout: float = 20.0) -> None:
        """SIGTERM the group, SIGKILL what is left after ``timeout``."""
        process = self.running.pop(name, None)
        if process is not None:
            stop_group(process, grace=timeout, to_group=True)

    def alive(self, name: str) -> bool:
        process = self.running.get(name)
        return process is not None and process.poll() is None

    def stop_all(self) -> None:
        for name in reversed(list(self.running)):
            self.stop(name, timeout=10)
        end_strays(self.folder)


def sweep_leftovers() -> list[str]:
    """End every process of a drill run whose owner is gone (a killed run's leftovers); return what was ended.

    A stand-in is known by the run folder it belongs to (:func:`_run_folder`); a run
    whose owning drill still lives is left alone, so two drills on one machine never
    end each other's stand-ins.
    """
    ended = []
    for pid, folder in stand_in_processes():
        if not _in_use(folder) and _end(pid):
            ended.append(str(pid))
    for folder in Path(tempfile.gettempdir()).glob(f"{RUN_PREFIX}*"):
        # Only a folder this module made (it holds an owner file) whose owner is gone.
        if (folder / "owner").is_file() and not _in_use(folder):
            shutil.rmtree(folder, ignore_errors=True)
    return ended


def end_strays(folder: Path) -> list[str]:
    """End what is left of this run's processes once its groups are stopped; return what was ended.

    Some leave their process group: pg_auto_failover's "start/stop postgres" keeper
    outlived its killed ``pg_autoctl`` and kept the monitor's PostgreSQL running.
    """
    return [str(pid) for pid, owner in stand_in_processes() if owner == folder and _end(pid)]


def stand_in_processes() -> Iterator[tuple[int, Path]]:
    """Each process of any drill run on this machine, with its run folder."""
    import psutil

    for pid in psutil.pids():
        if pid != os.getpid():
            folder = _run_folder(pid)
            if folder is not None:
                yield pid, folder


def _run_folder(pid: int) -> Path | None:
    """The run folder a process belongs to: named by ``COVAEX_DRILL_RUN`` in its environment, or its working folder.

    Every stand-in starts in its run folder (PostgreSQL then moves into its data folder
    inside it). The environment alone is not enough: ``redis-sentinel`` overwrites it
    with its process title, and pg_autoctl's keeper does not pass it on.
    """
    import psutil

    marker = environment(pid).get(RUN_MARKER)
    if marker is not None:
        return Path(marker)
    try:
        cwd = Path(psutil.Process(pid).cwd().removesuffix(" (deleted)"))
    except psutil.Error:
        return None
    top = Path(tempfile.gettempdir())
    parts = cwd.relative_to(top).parts if cwd.is_relative_to(top) else ()
    if parts and parts[0].startswith(RUN_PREFIX):
        return top / parts[0]
    return None


def _end(pid: int) -> bool:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _in_use(folder: Path) -> bool:
    lock = folder / "owner"
    try:
        pid = int(lock.read_text())
    except (OSError, ValueError):
        return False
    import psutil

    return bool(psutil.pid_exists(pid))


def new_run_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix=RUN_PREFIX))
    folder.chmod(0o755)
    (folder / "logs").mkdir()
    (folder / "owner").write_text(str(os.getpid()))
    shutil.chown(folder, "postgres", "postgres")
    shutil.chown(folder / "logs", "postgres", "postgres")
    return folder


# -- PostgreSQL --------------------------------------------------------------


def _as_postgres(folder: Path, argv: Sequence[str]) -> list[str]:
    env = [
        f"XDG_CONFIG_HOME={folder}/pg-config",
        f"XDG_DATA_HOME={folder}/pg-data",
        f"XDG_RUNTIME_DIR={folder}/pg-run",
        f"PATH={PG_BIN}:/usr/bin:/bin",
        "PGCONNECT_TIMEOUT=2",
    ]
    return ["runuser", "-u", "postgres", "--", "env", *env, *argv]


def _run_as_postgres(folder: Path, argv: Sequence[str], what: str) -> str:
    done = subprocess.run(  # noqa: S603
        _as_postgres(folder, argv), capture_output=True, text=True, timeout=180, cwd=folder, check=False
    )
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise StandInError(f"{what} failed: {' / '.join(tail)}")
    return done.stdout


@dataclass
class AutoFailoverPostgres:
    """A pg_auto_failover formation: a monitor, node ``a`` (AZ a) and node ``c`` (AZ c), synchronous replication."""

    procs: Processes
    nodes: dict[str, tuple[str, int]] = field(default_factory=dict)
    monitor_port: int = 0

    @property
    def folder(self) -> Path:
        return self.procs.folder

    def create(self) -> None:
        self.monitor_port = free_port(FRONT)
        mon = str(self.folder / "pg-monitor")
        _run_as_postgres(
            self.folder,
            ["pg_autoctl", "create", "monitor", "--pgdata", mon, "--pgport", str(self.monitor_port),
             "--hostname", FRONT, "--listen", FRONT, "--auth", "trust", "--no-ssl"],
            "pg_autoctl create monitor",
        )  # fmt: skip
        self.procs.start("pg-monitor", _as_postgres(self.folder, ["pg_autoctl", "run", "--pgdata", mon]))
        wait_for("the pg_auto_failover monitor", lambda: port_open(FRONT, self.monitor_port), timeout=30)
        for name, host in (("a", AZ_A), ("c", AZ_C)):
            port = free_port(host)
            self.nodes[name] = (host, port)
            _run_as_postgres(
                self.folder,
                ["pg_autoctl", "create", "postgres", "--pgdata", self._pgdata(name), "--pgport", str(port),
                 "--hostname", host, "--listen", host, "--name", name, "--monitor", self.monitor_uri,
                 "--auth", "trust", "--no-ssl", "--dbname", "covaex"],
                f"pg_autoctl create postgres {name}",
            )  # fmt: skip
            self.start(name)
            want: dict[str, str] = {"a": "single"} if name == "a" else {"a": "primary", "c": "secondary"}
            wait_for(f"PostgreSQL node {name}", partial(self._states_are, want), timeout=120, interval=1)

    @property
    def monitor_uri(self) -> str:
        return f"postgres://autoctl_node@{FRONT}:{self.monitor_port}/pg_auto_failover?sslmode=disable"

    def _pgdata(self, name: str) -> str:
        return str(self.folder / f"pg-{name}")

    @property
    def url(self) -> str:
        """The endpoint: both nodes, the writable one chosen at connect time (libpq's target_session_attrs)."""
        hosts = ",".join(f"{h}:{p}" for h, p in self.nodes.values())
        return f"postgresql://postgres@{hosts}/covaex?target_session_attrs=read-write"

    def start(self, name: str) -> None:
        self.procs.start(f"pg-{name}", _as_postgres(self.folder, ["pg_autoctl", "run", "--pgdata", self._pgdata(name)]))

    def kill(self, name: str) -> None:
        self.procs.kill(f"pg-{name}")

    def states(self) -> dict[str, str]:
        """Each node's state as the monitor reports it (``primary``, ``secondary``, ...)."""
        out = _run_as_postgres(
            self.folder,
            ["pg_autoctl", "show", "state", "--monitor", self.monitor_uri, "--json"],
            "pg_autoctl show state",
        )
        return {name: reported for name, (reported, _) in self._states(out).items()}

    @staticmethod
    def _states(out: str) -> dict[str, tuple[str, str]]:
        return {
            str(n.get("node_name") or n["nodename"]): (str(n["current_group_state"]), str(n["assigned_group_state"]))
            for n in json.loads(out)
        }

    def _states_are(self, want: Mapping[str, str]) -> bool:
        states = self.states()
        return all(states.get(k) == v for k, v in want.items())

    def primary(self) -> str | None:
        """The one node assigned and reporting a primary's state; None while a failover is under way.

        A dead node's reported state stays what it last said (``primary``): the monitor's
        assignment (``demoted``) is what tells it is no longer one.
        """
        out = _run_as_postgres(
            self.folder,
            ["pg_autoctl", "show", "state", "--monitor", self.monitor_uri, "--json"],
            "pg_autoctl show state",
        )
        return self.primary_of(out)

    @classmethod
    def primary_of(cls, out: str) -> str | None:
        """:meth:`primary` from ``pg_autoctl show state --json``."""
        writable = ("primary", "wait_primary", "single")
        found = [n for n, (now, goal) in cls._states(out).items() if now in writable and goal in writable]
        return found[0] if len(found) == 1 else None

    def restore(self, name: str) -> None:
        """Start a killed node again and wait until it is a synchronous secondary of the other."""
        self.start(name)
        wait_for(
            f"PostgreSQL node {name} back as secondary",
            lambda: sorted(self.states().values()) == ["primary", "secondary"],
            timeout=180,
            interval=1,
        )


@dataclass
class PlainPostgres:
    """The As-Is box's PostgreSQL: one server, no standby, nothing restarts it."""

    procs: Processes
    host: str = ASIS
    port: int = 0

    def create(self) -> None:
        self.port = free_port(self.host)
        _run_as_postgres(
            self.procs.folder,
            ["initdb", "-D", str(self.procs.folder / "pg-asis"), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
            "initdb",
        )
        self.start()
        _run_as_postgres(
            self.procs.folder,
            ["createdb", "-h", self.host, "-p", str(self.port), "-U", "postgres", "covaex"],
            "createdb",
        )

    def start(self) -> None:
        self.procs.start(
            "pg-asis",
            _as_postgres(
                self.procs.folder,
                ["postgres", "-D", str(self.procs.folder / "pg-asis"), "-p", str(self.port), "-c",
                 f"listen_addresses={self.host}", "-k", str(self.procs.folder)],
            ),
        )  # fmt: skip
        wait_for("the As-Is PostgreSQL", lambda: port_open(self.host, self.port), timeout=60)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/covaex"

    def kill(self) -> None:
        self.procs.kill("pg-asis")


# -- Redis -------------------------------------------------------------------


def _redis_cli(host: str, port: int, *args: str) -> str:
    done = subprocess.run(  # noqa: S603
        ["redis-cli", "-h", host, "-p", str(port), *args],  # noqa: S607
        capture_output=True, text=True, timeout=5, check=False,
    )  # fmt: skip
    return done.stdout.strip()


@dataclass
class SentinelRedis:
    """Redis primary (AZ a) + replica (AZ c) and three Sentinels (quorum 2)."""

    procs: Processes
    nodes: dict[str, tuple[str, int]] = field(default_factory=dict)
    sentinels: list[int] = field(default_factory=list)

    def create(self) -> None:
        for name, host in (("a", AZ_A), ("c", AZ_C)):
            self.nodes[name] = (host, free_port(host))
        self.start("a")
        self.start("c", replica_of=self.nodes["a"])
        wait_for("the Redis replica in sync", lambda: "master_link_status:up" in self._info("c"), timeout=30)
        host, port = self.nodes["a"]
        for index in range(3):
            sport = free_port(FRONT)
            self.sentinels.append(sport)
            conf = self.procs.folder / f"sentinel-{index}.conf"
            conf.write_text(
                f"port {sport}\nbind {FRONT}\ndir {self.procs.folder}\n"
                f"sentinel monitor covaex {host} {port} 2\n"
                f"sentinel down-after-milliseconds covaex {SENTINEL_DOWN_AFTER_MS}\n"
                f"sentinel failover-timeout covaex {SENTINEL_FAILOVER_TIMEOUT_MS}\n"
                "sentinel parallel-syncs covaex 1\n"
            )
            self.procs.start(f"sentinel-{index}", ["redis-sentinel", str(conf)])
        wait_for(
            "Sentinels agreeing on the primary",
            lambda: all(
                "num-other-sentinels" in _redis_cli(FRONT, s, "SENTINEL", "MASTER", "covaex")
                and _redis_cli(FRONT, s, "SENTINEL", "CKQUORUM", "covaex").startswith("OK")
                for s in self.sentinels
            ),
            timeout=60,
            interval=1,
        )

    def start(self, name: str, replica_of: tuple[str, int] | None = None) -> None:
        host, port = self.nodes[name]
        # A replica on 127.0.0.3 reaches 127.0.0.2 from 127.0.0.1 (the kernel's pick on loopback): it must
        # announce its own address, or the Sentinels find no replica to promote.
        argv = ["redis-server", "--bind", host, "--port", str(port), "--save", "", "--appendonly", "no",
                "--dir", str(self.procs.folder), "--dbfilename", f"redis-{name}.rdb",
                "--replica-announce-ip", host]  # fmt: skip
        if replica_of is not None:
            argv += ["--replicaof", replica_of[0], str(replica_of[1])]
        self.procs.start(f"redis-{name}", argv)
        wait_for(f"Redis {name}", lambda: port_open(host, port), timeout=20)

    def _info(self, name: str) -> str:
        return _redis_cli(*self.nodes[name], "INFO", "replication")

    def primary(self) -> str | None:
        """The one running node answering ``role:master``; None while there are two or none."""
        found = [n for n in self.nodes if self.procs.alive(f"redis-{n}") and "role:master" in self._info(n)]
        return found[0] if len(found) == 1 else None

    def kill(self, name: str) -> None:
        self.procs.kill(f"redis-{name}")

    def restore(self, name: str) -> None:
        """Start a killed node as a replica of the primary the Sentinels elected, and wait for its sync."""
        other = next(n for n in self.nodes if n != name)
        wait_for(f"Redis {other} promoted", lambda: self.primary() == other, timeout=90)
        self.start(name, replica_of=self.nodes[other])
        wait_for(f"Redis {name} back as replica", lambda: "master_link_status:up" in self._info(name), timeout=60)


@dataclass
class PlainRedis:
    procs: Processes
    host: str = ASIS
    port: int = 0

    def create(self) -> None:
        self.port = free_port(self.host)
        argv = ["redis-server", "--bind", self.host, "--port", str(self.port), "--save", "", "--appendonly", "no",
                "--dir", str(self.procs.folder)]  # fmt: skip
        self.procs.start("redis-asis", argv)
        wait_for("the As-Is Redis", lambda: port_open(self.host, self.port), timeout=20)


# -- HAProxy -----------------------------------------------------------------


def haproxy_config(
    config: DrillConfig,
    web_port: int,
    apps: Mapping[str, tuple[str, int]],
    redis: Mapping[str, tuple[str, int]] | None,
    redis_port: int,
) -> str:
    """The stand-in ALB (and the cache's primary endpoint) from the target group's settings.

    As the ALB, a target that refuses or fails a request is not retried on another
    (no ``redispatch``): requests fail until the health check takes it out, which is
    what the computed bound measures. ``rise``/``fall``/``inter``/``timeout check``
    are the target group's thresholds, interval and timeout; stickiness is an
    inserted cookie like the ALB's ``lb_cookie``; ``timeout tunnel`` keeps WebSockets.
    """
    hc = config.health_check
    lines = [
        "global",
        "  maxconn 4096",
        "defaults",
        "  timeout connect 2s",
        "  timeout client 60s",
        "  timeout server 60s",
        "  timeout tunnel 1h",
        "  retries 0",
        "frontend web",
        "  mode http",
        f"  bind {FRONT}:{web_port}",
        "  option forwardfor",
        "  default_backend app",
        "backend app",
        "  mode http",
        "  balance roundrobin",
        f"  option httpchk GET {hc.path}",
        f"  http-check expect status {hc.matcher}",
        f"  timeout check {hc.timeout_s}s",
    ]
    if config.sticky:
        lines.append(f"  cookie AWSALB insert indirect nocache maxlife {config.sticky_duration_s}s")
    for name, (host, port) in apps.items():
        cookie = f" cookie {name}" if config.sticky else ""
        lines.append(
            f"  server {name} {host}:{port} check inter {hc.interval_s}s fall {hc.unhealthy_threshold} "
            f"rise {hc.healthy_threshold}{cookie}"
        )
    if redis:
        lines += [
            "frontend cache",
            "  mode tcp",
            f"  bind {FRONT}:{redis_port}",
            "  default_backend redis_primary",
            "backend redis_primary",
            "  mode tcp",
            "  option tcp-check",
            "  tcp-check connect",
            "  tcp-check send PING\\r\\n",
            "  tcp-check expect string +PONG",
            "  tcp-check send info\\ replication\\r\\n",
            "  tcp-check expect string role:master",
            "  tcp-check send QUIT\\r\\n",
            "  tcp-check expect string +OK",
        ]
        for name, (host, port) in redis.items():
            lines.append(
                f"  server {name} {host}:{port} check inter {REDIS_CHECK_INTER_MS}ms fall 1 rise 1 "
                "on-marked-down shutdown-sessions"
            )
    return "\n".join(lines) + "\n"


# -- the upstream --------------------------------------------------------------


class Upstream:
    """The repository's local Binance-protocol server on its own event-loop thread, ticking every second."""

    def __init__(self, symbols: Sequence[str]) -> None:
        from covaex_service.market.devtools.binance_server import LocalBinance

        self.server = LocalBinance(symbols, host=FRONT, port=free_port(FRONT))
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="drill-upstream", daemon=True)

    def _call(self, function: Callable[[], Any]) -> Any:
        async def run() -> Any:
            return function()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=10)

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self._loop).result(timeout=10)
        self._call(lambda: self.server.start_ticking(1.0))

    def go_down(self) -> None:
        self._call(self.server.go_down)

    def come_back(self) -> None:
        self._call(self.server.come_back)

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self.server.stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)


# -- the service -------------------------------------------------------------


def app_env(*, redis_url: str, database_url: str, upstream: Upstream, secret: str) -> dict[str, str]:
    """The service's environment on an instance behind the ALB (one proxy in front)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVAEX_")}
    env.update(
        COVAEX_ENV="prod",
        COVAEX_FEED="binance",
        COVAEX_REDIS_URL=redis_url,
        COVAEX_DATABASE_URL=database_url,
        COVAEX_BINANCE_WS_URL=upstream.server.ws_url,
        COVAEX_BINANCE_REST_URL=upstream.server.rest_url,
        COVAEX_PROXIES_COUNT="1",
        COVAEX_SECRET_KEY=secret,
    )
    return env


def serve_argv(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "covaex.cli", "serve", "--host", host, "--port", str(port), "--workers", "1"]
