"""The performance page: the latest benchmark figures (``benchmarks/results/*.json``) as tables and charts.

The benchmark scripts write the results files; this module only reads them,
so every number on the page comes from a run (with the machine, date and load
average it was taken at), and a ratio is recomputed here from the two figures
it relates. Charts are Mermaid ``xychart-beta`` blocks: Mermaid is already
vendored for the site (no CDN, no second chart library), and the page renders
them in the browser from the figures written into the block.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from covaex.docsite.inputs import Inputs
from covaex.docsite.paths import REPO_ROOT

RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
LAYERS_FILE = RESULTS_DIR / "profiles" / "ws_memory_layers.json"
"""Written by ``benchmarks/ws_memory_trace.py``: a client's Python heap, by layer."""
PROFILE_FILE = RESULTS_DIR / "profiles" / "ws_fanout_profile.json"
"""Written by ``benchmarks/ws_fanout.py --profile``: the gateway's own time per frame, by function."""

CHAIN_PREFIX = "ws_chain"
"""``benchmarks/ws_chain.py`` writes ``ws_chain.json`` (one worker, every symbol) and ``ws_chain_w<N>_<watch>.json``."""
CHAIN_PROFILE_FILE = RESULTS_DIR / "profiles" / "ws_chain_profile.json"
"""Written by ``benchmarks/ws_chain.py --profile``: the worker's own time over the counted seconds, by layer."""

PROJECT_COLOR = "#3f51b5"
BASELINE_COLOR = "#9e9e9e"

# What each results file charts: (metric key in a row's project/baseline, axis title, higher is better).
CHARTS: dict[str, tuple[tuple[str, str], ...]] = {
    "http_ssr": (("requests_per_s", "requests/s"), ("p99_ms", "p99 ms")),
    "http_markets": (("requests_per_s", "requests/s"), ("p99_ms", "p99 ms")),
    "ws_memory": (("kib_per_client", "KiB per client"),),
    "ws_fanout": (("updates_per_s", "updates/s"), ("p99_ms", "p99 ms")),
}
ORDER = ("http_ssr", "http_markets", "ws_memory", "ws_fanout")


@dataclass(frozen=True)
class Chart:
    title: str
    mermaid: str


@dataclass(frozen=True)
class Benchmark:
    name: str
    title: str
    measured_at: str
    machine: str
    load_average: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    charts: tuple[Chart, ...]
    notes: Mapping[str, Any]


def _figure(row: Mapping[str, Any], side: str, key: str, source: str) -> float:
    try:
        return float(row[side][key])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{source}: a row lacks {side}.{key}: {row!r}") from exc


def xychart(title: str, axis: str, clients: Sequence[int], project: Sequence[float], baseline: Sequence[float]) -> str:
    """A Mermaid line chart of both sides against the client count (project blue, baseline grey)."""
    top = max([*project, *baseline, 1.0]) * 1.1
    palette = f"{PROJECT_COLOR}, {BASELINE_COLOR}"
    return "\n".join(
        [
            '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "' + palette + '"}}}}%%',
            "xychart-beta",
            f'    title "{title}"',
            f'    x-axis "clients" [{", ".join(str(c) for c in clients)}]',
            f'    y-axis "{axis}" 0 --> {top:.0f}',
            f"    line [{', '.join(f'{v:g}' for v in project)}]",
            f"    line [{', '.join(f'{v:g}' for v in baseline)}]",
        ]
    )


def benchmark(doc: Mapping[str, Any], source: str) -> Benchmark:
    """One results file as page data; a file that lacks a figure fails the build, naming it."""
    name = str(doc.get("benchmark", ""))
    if name not in CHARTS:
        raise ValueError(f"{source}: unknown benchmark {name!r}; known: {', '.join(ORDER)}")
    raw_rows = sorted(doc.get("rows") or [], key=lambda r: int(r["clients"]))
    if not raw_rows:
        raise ValueError(f"{source}: no rows")
    metrics = CHARTS[name]
    clients = [int(r["clients"]) for r in raw_rows]
    charts = []
    for key, axis in metrics:
        project = [_figure(r, "project", key, source) for r in raw_rows]
        baseline = [_figure(r, "baseline", key, source) for r in raw_rows]
        drawn = xychart(f"{doc['title']}: {axis}", axis, clients, project, baseline)
        charts.append(Chart(f"{axis} against clients", drawn))
    columns = ["clients"]
    for _key, axis in metrics:
        columns += [f"CovaEX {axis}", f"baseline {axis}"]
    columns.append(f"ratio ({metrics[0][1]})")
    # A run with --base REV measured the project at another revision too ("before", same run).
    before = all("before" in r for r in raw_rows)
    if before:
        columns += [f"before: {axis}" for _key, axis in metrics]
    rows = []
    for r in raw_rows:
        cells = [f"{int(r['clients']):,}"]
        for key, _axis in metrics:
            cells += [f"{_figure(r, 'project', key, source):,.1f}", f"{_figure(r, 'baseline', key, source):,.1f}"]
        first = metrics[0][0]
        ratio = _figure(r, "project", first, source) / max(_figure(r, "baseline", first, source), 1e-9)
        cells.append(f"{ratio:.2f}x")
        if before:
            cells += [f"{_figure(r, 'before', key, source):,.1f}" for key, _axis in metrics]
        rows.append(tuple(cells))
    machine = doc.get("machine") or {}
    load = doc.get("load_average_after") or []
    return Benchmark(
        name=name,
        title=str(doc["title"]),
        measured_at=str(doc["measured_at"]),
        machine=f"{machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, Linux {machine.get('kernel', '?')}, "
        f"Python {machine.get('python', '?')}",
        load_average=", ".join(f"{x:.2f}" for x in load),
        columns=tuple(columns),
        rows=tuple(rows),
        charts=tuple(charts),
        notes=dict(doc.get("notes") or {}),
    )


def load_results(results_dir: Path = RESULTS_DIR) -> list[Benchmark]:
    found = {}
    for path in sorted(results_dir.glob("*.json")):
        source = str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ValueError(f"{source}: not JSON: {exc}") from exc
        if str(doc.get("benchmark", "")).startswith(CHAIN_PREFIX):
            continue  # its own table: load_chain
        item = benchmark(doc, source)
        found[item.name] = item
    return [found[name] for name in ORDER if name in found]


@dataclass(frozen=True)
class MemoryLayers:
    measured_at: str
    clients: int
    load_average: str
    rows: tuple[tuple[str, int, float], ...]
    """(layer, bytes per client, share of the traced heap in per cent)"""
    total_bytes: int


def _profile_doc(path: Path) -> tuple[Any, str] | None:
    """A profile file's JSON and the name to blame it by, or ``None`` before its script has been run."""
    if not path.exists():
        return None
    source = str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)
    try:
        return json.loads(path.read_text(encoding="utf-8")), source
    except ValueError as exc:
        raise ValueError(f"{source}: not JSON: {exc}") from exc


def load_layers(path: Path = LAYERS_FILE) -> MemoryLayers | None:
    """The per-layer breakdown, or ``None`` before the trace has been run."""
    if (found := _profile_doc(path)) is None:
        return None
    doc, source = found
    try:
        layers = {str(name): int(size) for name, size in doc["bytes_per_client_by_layer"].items()}
        measured_at, clients = str(doc["measured_at"]), int(doc["clients"])
        load = ", ".join(f"{float(x):.2f}" for x in doc.get("load_average_after") or [])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{source}: not a memory-layer breakdown: {exc}") from exc
    total = sum(layers.values())
    rows = tuple(
        (name, size, round(100 * size / max(total, 1), 1))
        for name, size in sorted(layers.items(), key=lambda item: -item[1])
    )
    return MemoryLayers(measured_at, clients, load, rows, total)


@dataclass(frozen=True)
class FanoutProfile:
    measured_at: str
    clients: int
    frames_per_second: float
    us_per_frame: float
    core_share: float
    """Per cent of one core the profiled gateway's Python spent (profiler overhead included)."""
    top: tuple[tuple[str, int, float], ...]
    """(function, calls, microseconds of own time per frame sent)"""


def load_profile(path: Path = PROFILE_FILE) -> FanoutProfile | None:
    """The fan-out profile, or ``None`` before ``ws_fanout.py --profile`` has been run."""
    if (found := _profile_doc(path)) is None:
        return None
    doc, source = found
    try:
        seconds, frames = float(doc["seconds"]), int(doc["frames_sent"])
        top = tuple((_function(t["function"]), int(t["calls"]), float(t["own_us_per_frame"])) for t in doc["top"])
        return FanoutProfile(
            measured_at=str(doc["measured_at"]),
            clients=int(doc["clients"]),
            frames_per_second=round(frames / seconds),
            us_per_frame=float(doc["own_us_per_frame_total"]),
            core_share=round(100 * float(doc["own_seconds"]) / seconds, 1),
            top=top,
        )
    except (ValueError, KeyError, TypeError, ZeroDivisionError) as exc:
        raise ValueError(f"{source}: not a fan-out profile: {exc}") from exc


@dataclass(frozen=True)
class ChainRun:
    """One ``ws_chain.py`` results file: the chain beside the gateway-only path and the "before" revision."""

    name: str
    measured_at: str
    load_average: str
    setup: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    before: str


def _side(row: Mapping[str, Any], side: str, source: str) -> tuple[str, ...]:
    figures = row.get(side)
    if figures is None:
        return ("-", "-", "-")
    try:
        return (f"{100 * float(figures['delivered']):.1f} %", f"{float(figures['p50_ms']):,.0f}",
                f"{float(figures['p99_ms']):,.0f}")  # fmt: skip
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{source}: a {side} row lacks delivered/p50_ms/p99_ms: {exc}") from exc


def chain_run(doc: Mapping[str, Any], source: str) -> ChainRun:
    """A chain results file as page data; a missing figure fails the build, naming the file."""
    try:
        notes = doc.get("notes") or {}
        raw_rows = sorted(doc["rows"], key=lambda r: int(r["clients"]))
        setup = (f"{int(notes['symbols'])} symbols x {float(notes['ticks_per_symbol']):g} ticks/s, "
                 f"--workers {int(notes['workers'])}, symbols per client: {notes['watch']}")  # fmt: skip
        rows = []
        for r in raw_rows:
            workers = [p for p in r["chain"]["processes"] if p["role"] == "worker"]
            rows.append((
                f"{int(r['clients']):,}", *_side(r, "chain", source), *_side(r, "gateway", source),
                *_side(r, "before", source),
                " / ".join(f"{float(p['rss_mib']):,.0f} MiB, {float(p['cpu_pct']):.0f} %" for p in workers) or "-",
                f"{int(r['chain']['open_files_needed']):,}", _judged(r.get("goal"), r["chain"], r.get("chain_runs")),
            ))  # fmt: skip
        load = ", ".join(f"{float(x):.2f}" for x in doc.get("load_average_after") or [])
        return ChainRun(str(doc["benchmark"]), str(doc["measured_at"]), load, setup, CHAIN_COLUMNS, tuple(rows),
                        str(notes.get("before", "")))  # fmt: skip
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{source}: not a chain result: {exc}") from exc


CHAIN_COLUMNS = (
    "clients", "chain delivered", "chain p50 ms", "chain p99 ms", "gateway delivered", "gateway p50 ms",
    "gateway p99 ms", "before delivered", "before p50 ms", "before p99 ms", "worker RSS, CPU", "open files",
    "목표 (goal)",
)  # fmt: skip


def _judged(goal: Mapping[str, Any] | None, chain: Mapping[str, Any], runs: Sequence[Mapping[str, Any]] | None) -> str:
    """The goal written with the figures (`benchmarks/ws_chain.py`'s `GOALS`) and whether the chain met it.

    With ``--repeat`` the row's figures are its run of median p99, and every run's p99 is listed.
    """
    if goal is None:
        return "-"
    least, most = float(goal["delivered"]), float(goal["p99_ms"])
    met = float(chain["delivered"]) >= least and float(chain["p99_ms"]) <= most
    judged = f"≥ {100 * least:g} %, p99 ≤ {most:g} ms: {'달성' if met else '미달'}"
    if runs:
        p99s = " / ".join(f"{float(run['p99_ms']):,.0f}" for run in runs)
        judged += f" ({len(runs)}회 중 p99 중앙값; 각 회 p99 {p99s} ms)"
    return judged


def load_chain(results_dir: Path = RESULTS_DIR) -> list[ChainRun]:
    runs = []
    for path in sorted(results_dir.glob(f"{CHAIN_PREFIX}*.json")):
        if (found := _profile_doc(path)) is not None:
            runs.append(chain_run(*found))
    return runs


@dataclass(frozen=True)
class ChainProfile:
    measured_at: str
    clients: int
    load_average: str
    worker_cpu_pct: float
    layers: tuple[tuple[str, float], ...]
    """(layer, milliseconds of the worker's own time per second), largest first"""
    top: tuple[tuple[str, int, float], ...]
    """(function, calls, milliseconds of own time per second)"""


def load_chain_profile(path: Path = CHAIN_PROFILE_FILE) -> ChainProfile | None:
    """The chain worker's profile, or ``None`` before ``ws_chain.py --profile`` has been run."""
    if (found := _profile_doc(path)) is None:
        return None
    doc, source = found
    try:
        layers = sorted(((str(k), float(v)) for k, v in doc["own_ms_per_s_by_layer"].items()), key=lambda x: -x[1])
        return ChainProfile(
            measured_at=str(doc["measured_at"]),
            clients=int(doc["clients"]),
            load_average=", ".join(f"{float(x):.2f}" for x in doc.get("load_average_after") or []),
            worker_cpu_pct=float(doc["worker_cpu_pct"]),
            layers=tuple(layers),
            top=tuple((_function(t["function"]), int(t["calls"]), float(t["own_ms_per_s"])) for t in doc["top"][:12]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{source}: not a chain profile: {exc}") from exc


def performance(_inputs: Inputs) -> dict[str, Any]:
    return {
        "benchmarks": load_results(),
        "chain": load_chain(),
        "chain_profile": load_chain_profile(),
        "memory_layers": load_layers(),
        "fanout_profile": load_profile(),
        "project_color": PROJECT_COLOR,
        "baseline_color": BASELINE_COLOR,
    }


def _function(name: object) -> str:
    """A profiler's function name as a reader takes it.

    ``<built-in method posix.getpid>`` becomes ``posix.getpid (built-in)``.
    """
    text = str(name)
    found = re.fullmatch(r"<built-in method (.+)>", text)
    return f"{found.group(1)} (built-in)" if found else text
