"""``covaex drill``: build the stand-ins from the synthesized stack, run the scenarios, write the results."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from covaex.docsite.inputs import load_data
from covaex.drill.config import STACK, DrillConfig, load_config
from covaex.drill.load import LoadShape, Measured
from covaex.drill.names import ASIS_OPERATOR_S
from covaex.drill.scenarios import (
    PHASES,
    QUIET_S,
    SCENARIOS,
    UPSTREAM_OUTAGE_S,
    Scenario,
    run_scenario,
)
from covaex.drill.standins import (
    REDIS_CHECK_INTER_MS,
    SENTINEL_DOWN_AFTER_MS,
    SENTINEL_FAILOVER_TIMEOUT_MS,
    Processes,
    Upstream,
    check_tools,
    new_run_folder,
    sweep_leftovers,
)
from covaex.drill.stands import AsIsStand, Stand, ToBeStand
from covaex.processes import cpu_model
from covaex.progress import Steps

SYMBOLS = ("BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT", "ADAUSDT", "TRXUSDT", "AVAXUSDT")
"""A market of nine symbols, three per writing user."""


def stand_ins(config: DrillConfig) -> dict[str, str]:
    """What each stand-in is and models, and what it does not (written into the results)."""
    hc = config.health_check
    aws = load_data()["resilience"]
    return {
        "app": "two `covaex serve --workers 1` processes on 127.0.0.2 (AZ a) and 127.0.0.3 (AZ c), not the "
        "instances booted from user data under systemd (the boot drill does that): every scenario here needs "
        "only the service's own behaviour behind the ALB; no ASG replaces a lost instance (the drill restarts it)",
        "alb": f"HAProxy: health check GET {hc.path} every {hc.interval_s} s, timeout {hc.timeout_s} s, "
        f"{hc.unhealthy_threshold} failures out, {hc.healthy_threshold} passes in, matcher {hc.matcher}; "
        f"sticky cookie ({config.sticky_duration_s} s) as lb_cookie; WebSocket tunnels; no retry on another "
        f"target (as the ALB); deregistration delay {config.deregistration_delay_s} s read but not exercised "
        "(no scenario deregisters a target)",
        "cache": f"Redis primary + replica with three redis-sentinel (quorum 2, down after "
        f"{SENTINEL_DOWN_AFTER_MS} ms, failover timeout {SENTINEL_FAILOVER_TIMEOUT_MS} ms); the primary endpoint "
        f"is an HAProxy TCP frontend checking role:master every {REDIS_CHECK_INTER_MS} ms, so the service keeps "
        "one COVAEX_REDIS_URL as it does with ElastiCache (no Sentinel-aware client AWS would not give it)",
        "database": "PostgreSQL 15 primary + synchronous standby under pg_auto_failover (monitor defaults: "
        "a node silent for 20 s is failed over); the endpoint is a multi-host URL with "
        "target_session_attrs=read-write, so a new connection finds the primary as RDS's DNS leads it there",
        "upstream": "the repository's local Binance-protocol server, ticking every second "
        f"(`upstream`: down {UPSTREAM_OUTAGE_S:.0f} s)",
        "asis": f"one `covaex serve`, Redis and PostgreSQL on 127.0.0.4, no standby; `asis-db` restarts "
        f"PostgreSQL after {ASIS_OPERATOR_S:.0f} s as an operator would",
        "recovered_when": f"the stand-in's failover happened and no request failed for {QUIET_S:.0f} s, every "
        "WebSocket client live and prices flowing",
        "not_modelled": "DNS TTLs (the ALB's, RDS's and ElastiCache's endpoints: clients here follow at once), "
        f"AWS's own failover timings (RDS {aws['rds_multi_az_failover']['typical']}, ElastiCache's promotion), "
        "instance replacement by the ASG, "
        "network partitions (processes are killed, addresses stay)",
    }


def machine() -> dict[str, Any]:
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "haproxy": _version(["haproxy", "-v"]),
        "redis": _version(["redis-server", "--version"]),
        "pg_autoctl": _version(["pg_autoctl", "--version"]),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }


def _version(argv: list[str]) -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)  # noqa: S603
        first = (done.stdout or done.stderr).strip().splitlines()[0]
        # the version only: a build id (Redis prints `build=<hex>`) says nothing here and reads as a secret
        return " ".join(word for word in first.split() if not word.startswith(("build=", "sha=")))
    return "unknown"


@contextlib.contextmanager
def _terminated_is_interrupt() -> Iterator[None]:
    """SIGTERM (and SIGHUP) end the drill like Ctrl-C does: through every ``finally`` that stops a stand-in."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = {s: signal.signal(s, interrupt) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def stand(kind: str, config: DrillConfig, steps: Steps) -> Iterator[Stand]:
    """A stand up, then down with all its processes and its folder, whatever happened."""
    folder = new_run_folder()
    procs = Processes(folder)
    upstream = Upstream(SYMBOLS)
    built: Stand | None = None
    try:
        with steps.step(f"stand-ins: {'To-Be v1 prod' if kind == 'tobe' else 'As-Is box'} up"):
            upstream.start()
            cls = ToBeStand if kind == "tobe" else AsIsStand
            built = cls(config=config, procs=procs, upstream=upstream, symbols=SYMBOLS)
            built.up()
        yield built
    finally:
        with steps.step("stand-ins down"):
            procs.stop_all()
            upstream.stop()
            if os.environ.get("COVAEX_DRILL_KEEP"):
                steps.note(f"logs kept in {folder}")
            else:
                shutil.rmtree(folder, ignore_errors=True)


def run_drill(names: Sequence[str], stacks_dir: Path, *, shape: LoadShape | None = None) -> dict[str, Any]:
    """Run the named scenarios (all when empty) in the contract's order; the results document."""
    check_tools()
    chosen = [s for s in SCENARIOS if not names or s.name in names]
    config = load_config(stacks_dir)
    load_shape = shape or LoadShape()
    kinds = [k for k in ("tobe", "asis") if any(s.stand == k for s in chosen)]
    steps = Steps(len(chosen) * len(PHASES) + 2 * len(kinds))
    results: dict[str, Any] = {
        "topology": STACK,
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "stand_ins": stand_ins(config),
        "scenarios": [],
    }
    left = sweep_leftovers()
    if left:
        steps.note(f"ended {len(left)} process(es) a killed drill had left")
    started = time.monotonic()
    try:
        with _terminated_is_interrupt():
            for kind in kinds:
                with stand(kind, config, steps) as built:
                    for scenario in (s for s in chosen if s.stand == kind):
                        bound = config.bounds.get(scenario.bound) if scenario.bound else None
                        measured = run_scenario(scenario, built, bound, steps, load_shape)
                        results["scenarios"].append(_entry(scenario, bound, measured, steps))
    finally:
        sweep_leftovers()
    results["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    results["machine"]["wall_s"] = round(time.monotonic() - started, 1)
    return results


def _entry(scenario: Scenario, bound: int | None, measured: Measured, steps: Steps) -> dict[str, Any]:
    disruption = scenario.summary
    steps.note(f"{scenario.name}: {json.dumps(measured.as_json())}")
    return {"name": scenario.name, "disruption": disruption, "computed_rto_s": bound, "measured": measured.as_json()}


COLUMNS = (
    ("scenario", "name"),
    ("computed RTO s", "computed_rto_s"),
    ("HTTP recovered s", "http_recovered_s"),
    ("errors", "errors"),
    ("WS p50 s", "ws_reconnected_p50_s"),
    ("WS p95 s", "ws_reconnected_p95_s"),
    ("prices stale s", "prices_stale_s"),
    ("writes acked", "writes_acknowledged"),
    ("writes lost", "writes_lost"),
)


def table(results: dict[str, Any]) -> str:
    """The results as a fixed-width text table (``-``: nothing to state)."""
    rows = [[label for label, _ in COLUMNS]]
    for entry in results["scenarios"]:
        flat = {"name": entry["name"], "computed_rto_s": entry["computed_rto_s"], **entry["measured"]}
        rows.append(["-" if flat[key] is None else str(flat[key]) for _, key in COLUMNS])
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(names: Sequence[str], out: str | None, fmt: str, stacks_dir: Path) -> int:
    results = run_drill(names, stacks_dir)
    text = json.dumps(results, indent=2) + "\n"
    if out:
        Path(out).write_text(text, encoding="utf-8")
    sys.stdout.write(text if fmt == "json" else table(results) + "\n")
    return 0
