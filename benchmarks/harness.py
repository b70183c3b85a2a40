"""What every benchmark script shares: pinned child servers, `ab`, the machine, the results file.

Each script starts both sides itself (the project and its baseline) as child
processes pinned to one core (:data:`SERVER_CORE`) and drives them from the
other (:data:`LOAD_CORE`), so the two never compete for the same core; each
child is stopped when the script ends, whatever happens. Figures go to stdout
and to ``benchmarks/results/<name>.json``, which the docs page charts
(``covaex docs build``).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx

from covaex import processes
from covaex.localserve import free_port

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
PYTHON = sys.executable
COVAEX = Path(PYTHON).parent / "covaex"

SERVER_CORE = 0
"""Where the server under test runs (project or baseline, one at a time)."""
LOAD_CORE = 1
"""Where the load generator runs; on a 1-core machine both fall back to core 0."""


_AVAILABLE = sorted(os.sched_getaffinity(0))
"""The cores this script may use, read once: before it pins itself to the load core."""


def cores() -> tuple[int, int]:
    available = _AVAILABLE
    if len(available) < 2:
        return available[0], available[0]
    return available[SERVER_CORE], available[LOAD_CORE]


def pinned(command: Sequence[str], core: int) -> list[str]:
    """``command`` run by taskset on ``core`` (children inherit the affinity)."""
    return ["taskset", "-c", str(core), *command]


def open_files_limit_raised() -> None:
    """Thousands of sockets per process: the soft limit on open files up to the hard one."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def pin_self(core: int) -> None:
    os.sched_setaffinity(0, {core})


def tree_at(rev: str, dest: Path) -> str:
    """The service and docs packages of git revision ``rev`` unpacked under ``dest``; returns their PYTHONPATH.

    A child started with it imports that revision's code (PYTHONPATH comes
    before the editable install of this tree): "before" in a before/after run.
    """
    command = ["git", "archive", rev, "service", "covaex"]
    archive = subprocess.run(command, cwd=REPO_ROOT, check=True, capture_output=True)
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as bundle:
        bundle.extractall(dest, filter="data")
    return f"{dest}:{dest / 'service'}"


def loopback_sources(clients: int, per_address: int = 25) -> list[str]:
    """A source address per client: 127.0.0.2, 127.0.0.3, ..., ``per_address`` clients each.

    The gateway caps open connections per client address (50 per worker), as it
    should for real users; a benchmark's thousands of clients come from distinct
    loopback addresses (all of 127/8 is local on Linux) instead of one.
    """
    hosts = [2 + n // per_address for n in range(clients)]
    return [f"127.0.{host // 256}.{host % 256}" for host in hosts]


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def uptime_line() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        one, five, fifteen = load_average()
        return f"load average: {one:.2f}, {five:.2f}, {fifteen:.2f}"


def machine() -> dict[str, Any]:
    """What the figures were measured on: CPU model, core count, kernel, Python."""
    return {
        "cpu": processes.cpu_model(),
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


@dataclass
class Child:
    """A pinned child process in its own process group (so its workers stop with it)."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def tree_rss_kib(self) -> int:
        """Resident memory of the process and all its descendants (Sanic runs a main and a worker process)."""
        return sum(processes.rss_bytes(pid) for pid in processes.tree(self.process.pid)) // 1024

    def stop(self) -> None:
        processes.stop_group(self.process, grace=15, to_group=True)

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:]


@contextlib.contextmanager
def child(name: str, command: Sequence[str], *, core: int, env: Mapping[str, str] | None = None) -> Iterator[Child]:
    """Start ``command`` pinned to ``core``; stop it (and its process group) on the way out."""
    log = Path(tempfile.mkstemp(prefix=f"covaex-bench-{name}-", suffix=".log")[1])
    with log.open("wb") as out:
        process = subprocess.Popen(
            pinned(command, core),
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
    running = Child(name, process, log)
    try:
        yield running
    finally:
        running.stop()
        log.unlink(missing_ok=True)


def wait_http(running: Child, url: str, *, timeout: float = 180.0) -> None:
    """Until ``url`` answers 200; one line naming the child when it exits or is not ready within ``timeout``."""

    def answered() -> bool:
        if running.process.poll() is not None:
            raise SystemExit(f"{running.name} exited with {running.process.returncode}:\n{running.log_tail()}")
        return httpx.get(url, timeout=2).status_code == 200

    processes.wait_until(
        answered, within=timeout, interval=0.2, what=f"{running.name} answering {url}", error=SystemExit
    )


def project_server(port: int, core: int, workdir: Path, extra_env: Mapping[str, str] | None = None) -> Any:
    """``covaex serve`` (one worker, simulator feed, embedded cache unless COVAEX_REDIS_URL is given)."""
    env = {
        "COVAEX_DATABASE_URL": f"sqlite:///{workdir / 'covaex.db'}",
        "COVAEX_ENV": "dev",
        "COVAEX_REDIS_URL": "",
        **(extra_env or {}),
    }
    if not env["COVAEX_REDIS_URL"]:
        del env["COVAEX_REDIS_URL"]
    os.environ.pop("COVAEX_REDIS_URL", None)
    command = [str(COVAEX), "serve", "--feed", "simulator", "--port", str(port), "--workers", "1"]
    return child("covaex", command, core=core, env=env)


def baseline_server(kind: str, port: int, core: int, *args: str) -> Any:
    """One of ``benchmarks/baselines.py``'s servers."""
    return child(kind, [PYTHON, str(BENCH_DIR / "baselines.py"), kind, "--port", str(port), *args], core=core)


# -- ab -----------------------------------------------------------------------


@dataclass(frozen=True)
class AbResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    completed: int
    failed: int
    non_2xx: int
    bytes_per_response: int


def require_ab() -> str:
    found = shutil.which("ab")
    if found is None:
        raise SystemExit("ab is not installed: apt-get install apache2-utils")
    return found


def ab(url: str, *, concurrency: int, seconds: float, core: int, headers: Sequence[str] = ()) -> AbResult:
    """``ab -k -c N -t S`` pinned to ``core``; keep-alive, as browsers and the ALB reuse connections."""
    command = [require_ab(), "-q", "-k", "-c", str(concurrency), "-t", f"{seconds:g}", "-n", "10000000", "-r"]
    for header in headers:
        command += ["-H", header]
    out = subprocess.run(
        pinned([*command, url], core), capture_output=True, text=True, timeout=seconds + 60, check=False
    ).stdout

    def number(pattern: str, default: str = "0") -> float:
        match = re.search(pattern, out, re.M)
        return float(match.group(1) if match else default)

    if "Requests per second" not in out:
        raise SystemExit(f"ab failed against {url}:\n{out[-2000:]}")
    return AbResult(
        requests_per_s=number(r"^Requests per second:\s+([\d.]+)"),
        p50_ms=number(r"^\s+50%\s+(\d+)"),
        p99_ms=number(r"^\s+99%\s+(\d+)"),
        completed=int(number(r"^Complete requests:\s+(\d+)")),
        # A body whose length differs from the first one's counts as "failed (Length)" in ab: prices change
        # the length of a dynamic page, so only connection, receive and exception failures are failures.
        failed=sum(int(number(rf"{kind}: (\d+)")) for kind in ("Connect", "Receive", "Exceptions")),
        non_2xx=int(number(r"^Non-2xx responses:\s+(\d+)")),
        bytes_per_response=int(number(r"^Document Length:\s+(\d+)")),
    )


# -- results --------------------------------------------------------------------


def write_results(name: str, title: str, unit: str, rows: list[dict[str, Any]], notes: Mapping[str, Any]) -> Path:
    """``benchmarks/results/<name>.json``: the figures, when and where they were taken, the load beside them."""
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    doc = {
        "benchmark": name,
        "title": title,
        "unit": unit,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average_after": [round(x, 2) for x in load_average()],
        "notes": dict(notes),
        "rows": rows,
    }
    path.write_text(json.dumps(doc, indent=2) + "\n")
    return path


def print_header(title: str) -> None:
    info = machine()
    print(f"# {title}")
    print(f"# {info['cpu']}, {info['cores']} cores; server on core {cores()[0]}, load on core {cores()[1]}")
    print(f"# {uptime_line()}", flush=True)


# -- HTTP: the project's page against Sanic hello-world ------------------------


def compare_http(name: str, path: str, title: str, goal: float, argv: Sequence[str] | None = None) -> None:
    """``ab`` against ``covaex serve`` ``path`` and against hello-world returning as many bytes, per concurrency."""
    import argparse

    parser = argparse.ArgumentParser(description=title)
    parser.add_argument("--clients", type=int, nargs="+", default=[10, 20, 50], help="ab -c values (default 10 20 50)")
    parser.add_argument("--seconds", type=float, default=8.0, help="ab -t per run (default 8)")
    parser.add_argument("--no-save", action="store_true", help="do not rewrite benchmarks/results/")
    parser.add_argument("--base", metavar="REV", help="also measure covaex serve of this git revision (before/after)")
    args = parser.parse_args(argv)
    server_core, load_core = cores()
    print_header(f"{title}: covaex serve vs Sanic hello-world, ab -k -t {args.seconds:g}")
    rows: list[dict[str, Any]] = []

    def project_figures(workdir: Path, pythonpath: str | None = None) -> tuple[dict[int, AbResult], int]:
        port = free_port()
        workdir.mkdir(exist_ok=True)  # a database each: this tree's migrations may be newer than the base's code
        with project_server(port, server_core, workdir, {"PYTHONPATH": pythonpath} if pythonpath else None) as project:
            url = f"http://127.0.0.1:{port}{path}"
            wait_http(project, f"http://127.0.0.1:{port}/healthz")
            wait_prices(port)
            size = len(httpx.get(url, timeout=5).content)
            ab(url, concurrency=10, seconds=1, core=load_core)  # warm-up
            return {c: ab(url, concurrency=c, seconds=args.seconds, core=load_core) for c in args.clients}, size

    with tempfile.TemporaryDirectory(prefix="covaex-bench-") as tmp:
        ours, size = project_figures(Path(tmp) / "project")
        before = project_figures(Path(tmp) / "before", tree_at(args.base, Path(tmp) / "base"))[0] if args.base else {}
        port = free_port()
        with baseline_server("hello", port, server_core, "--bytes", str(size)) as hello:
            url = f"http://127.0.0.1:{port}/"
            wait_http(hello, url)
            ab(url, concurrency=10, seconds=1, core=load_core)
            theirs = {c: ab(url, concurrency=c, seconds=args.seconds, core=load_core) for c in args.clients}
    head = f"{'clients':>7} {'covaex req/s':>12} {'p99 ms':>6} {'hello req/s':>11} {'p99 ms':>6} {'ratio':>6}"
    base_head = f" {'@' + args.base + ' req/s':>16} {'p99 ms':>6}" if args.base else ""
    print(f"{head}{base_head}  (goal >= {goal:g}x)")
    for c in args.clients:
        a, b = ours[c], theirs[c]
        ratio = a.requests_per_s / b.requests_per_s
        figures = f"{a.requests_per_s:>12.0f} {a.p99_ms:>6.0f} {b.requests_per_s:>11.0f} {b.p99_ms:>6.0f}"
        then = f" {before[c].requests_per_s:>16.0f} {before[c].p99_ms:>6.0f}" if c in before else ""
        print(f"{c:>7} {figures} {ratio:>5.2f}x{then}")
        if a.failed or a.non_2xx:
            print(f"        covaex: {a.failed} failed, {a.non_2xx} non-2xx of {a.completed}")
        rows.append({
            "clients": c,
            "project": {"requests_per_s": round(a.requests_per_s, 1), "p50_ms": a.p50_ms, "p99_ms": a.p99_ms,
                        "failed": a.failed + a.non_2xx, "bytes": a.bytes_per_response},
            "baseline": {"requests_per_s": round(b.requests_per_s, 1), "p50_ms": b.p50_ms, "p99_ms": b.p99_ms,
                         "failed": b.failed + b.non_2xx, "bytes": b.bytes_per_response},
            "ratio": round(ratio, 3),
        })  # fmt: skip
        if c in before:
            rows[-1]["before"] = {"requests_per_s": round(before[c].requests_per_s, 1), "p99_ms": before[c].p99_ms}
    print(f"# {uptime_line()}")
    if not args.no_save:
        notes = {"path": path, "goal_ratio": goal, "seconds": args.seconds, "baseline": "Sanic hello-world, same bytes"}
        if args.base:
            notes["before"] = f"covaex serve of git revision {args.base}, same run"
        print(f"# wrote {write_results(name, title, 'requests/s', rows, notes).relative_to(REPO_ROOT)}")


def wait_prices(port: int, timeout: float = 30.0) -> None:
    """Until the simulator's first batch is in the cache, so the page has its full size."""
    processes.wait_until(
        lambda: httpx.get(f"http://127.0.0.1:{port}/api/v1/markets", timeout=2).json().get("markets"),
        within=timeout,
        interval=0.2,
        what="prices on the project server",
        error=SystemExit,
    )
