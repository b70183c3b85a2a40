"""The performance page's data: figures read from the benchmark results, charted, ratios recomputed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from covaex.docsite.facts.performance import (
    benchmark,
    chain_run,
    load_chain,
    load_chain_profile,
    load_layers,
    load_profile,
    load_results,
)


def results(**overrides: object) -> dict[str, object]:
    doc: dict[str, object] = {
        "benchmark": "ws_fanout",
        "title": "WebSocket fan-out through Redis",
        "measured_at": "2026-12-01T15:00:00+00:00",
        "machine": {"cpu": "AMD EPYC", "cores": 2, "kernel": "6.1", "python": "3.11.7"},
        "load_average_after": [1.5, 1.0, 0.5],
        "rows": [
            {"clients": 2000, "project": {"updates_per_s": 199000, "p99_ms": 180.0},
             "baseline": {"updates_per_s": 100000, "p99_ms": 8000.0}},
            {"clients": 1000, "project": {"updates_per_s": 100000, "p99_ms": 90.5},
             "baseline": {"updates_per_s": 98350, "p99_ms": 429.0}},
        ],
    }  # fmt: skip
    doc.update(overrides)
    return doc


def test_rows_sorted_by_clients_ratio_recomputed_and_both_lines_charted() -> None:
    b = benchmark(results(), "x.json")
    assert [row[0] for row in b.rows] == ["1,000", "2,000"]
    assert b.rows[0][-1] == "1.02x" and b.rows[1][-1] == "1.99x"
    throughput, p99 = (chart.mermaid for chart in b.charts)
    assert 'x-axis "clients" [1000, 2000]' in throughput
    assert "line [100000, 199000]" in throughput and "line [98350, 100000]" in throughput
    assert "line [90.5, 180]" in p99 and "line [429, 8000]" in p99
    assert "xychart-beta" in p99 and "AMD EPYC, 2 cores" in b.machine and b.load_average == "1.50, 1.00, 0.50"


def test_a_missing_figure_fails_naming_the_file() -> None:
    doc = results(rows=[{"clients": 1, "project": {"updates_per_s": 1}, "baseline": {"updates_per_s": 1}}])
    with pytest.raises(ValueError, match=r"x\.json: a row lacks project\.p99_ms"):
        benchmark(doc, "x.json")
    with pytest.raises(ValueError, match="unknown benchmark"):
        benchmark(results(benchmark="nope"), "x.json")


def test_the_committed_results_load(tmp_path: Path) -> None:
    assert all(b.rows and b.charts for b in load_results())
    (tmp_path / "ws_fanout.json").write_text(json.dumps(results()))
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(ValueError, match="not JSON"):
        load_results(tmp_path)


def test_a_run_with_a_base_revision_shows_the_before_figures_beside() -> None:
    rows = results()["rows"]
    assert isinstance(rows, list)
    for row, (upd, p99) in zip(rows, [(190000, 250.0), (99000, 130.0)], strict=True):
        row["before"] = {"updates_per_s": upd, "p99_ms": p99}
    b = benchmark(results(rows=rows), "x.json")
    assert b.columns[-2:] == ("before: updates/s", "before: p99 ms")
    assert b.rows[0][-2:] == ("99,000.0", "130.0") and b.rows[1][-2:] == ("190,000.0", "250.0")


def test_the_memory_layers_are_summed_and_shared_from_the_trace(tmp_path: Path) -> None:
    path = tmp_path / "layers.json"
    assert load_layers(path) is None  # not measured yet: the page says so
    doc = {"measured_at": "t", "clients": 500, "load_average_after": [1, 2, 3],
           "bytes_per_client_by_layer": {"gateway": 1000, "sanic": 3000}}  # fmt: skip
    path.write_text(json.dumps(doc))
    layers = load_layers(path)
    assert layers is not None and layers.total_bytes == 4000
    assert layers.rows == (("sanic", 3000, 75.0), ("gateway", 1000, 25.0))
    path.write_text(json.dumps({"clients": 1}))
    with pytest.raises(ValueError, match=r"layers\.json: not a memory-layer breakdown"):
        load_layers(path)


def test_the_fanout_profile_is_per_frame_and_its_core_share_computed(tmp_path: Path) -> None:
    path = tmp_path / "profile.json"
    assert load_profile(path) is None
    top = [{"function": "f", "calls": 200000, "own_us_per_frame": 8.0}]
    doc = {"measured_at": "t", "clients": 2000, "seconds": 10.0, "frames_sent": 200000, "own_seconds": 4.5,
           "own_us_per_frame_total": 22.5, "top": top}  # fmt: skip
    path.write_text(json.dumps(doc))
    profile = load_profile(path)
    assert profile is not None
    assert (profile.frames_per_second, profile.core_share, profile.top) == (20000, 45.0, (("f", 200000, 8.0),))
    path.write_text("{")
    with pytest.raises(ValueError, match=r"profile\.json: not JSON"):
        load_profile(path)
    assert load_layers() is not None and load_profile() is not None  # the committed ones load


def chain_side(delivered: float, p50: float, p99: float) -> dict[str, object]:
    return {"delivered": delivered, "p50_ms": p50, "p99_ms": p99}


def test_a_chain_run_shows_chain_gateway_and_before_side_by_side_with_the_workers() -> None:
    chain = chain_side(0.9987, 41.2, 88.9) | {
        "open_files_needed": 1100,
        "processes": [
            {"pid": 1, "role": "main", "rss_mib": 85.0, "cpu_pct": 0.3, "open_fds": 19},
            {"pid": 2, "role": "worker", "rss_mib": 107.4, "cpu_pct": 61.6, "open_fds": 1036},
        ],
    }
    doc = {
        "benchmark": "ws_chain", "measured_at": "2026-12-06T12:00:00+00:00", "load_average_after": [0.5, 0.4, 0.3],
        "notes": {"symbols": 20, "ticks_per_symbol": 5.0, "workers": 1, "watch": "all", "before": "rev abc"},
        "rows": [
            {"clients": 1000, "chain": chain, "gateway": chain_side(1.0, 20.0, 54.0),
             "goal": {"delivered": 0.995, "p99_ms": 100.0}},
            {"clients": 2000, "chain": chain | {"p99_ms": 200.5}, "goal": {"delivered": 0.995, "p99_ms": 200.0},
             "chain_runs": [chain_side(1.0, 40.0, 150.0), chain_side(1.0, 41.0, 200.5), chain_side(1.0, 45.0, 310.0)]},
            {"clients": 3000, "chain": chain},
        ],
    }  # fmt: skip
    run = chain_run(doc, "ws_chain.json")
    assert run.rows == (
        ("1,000", "99.9 %", "41", "89", "100.0 %", "20", "54", "-", "-", "-", "107 MiB, 62 %", "1,100",
         "≥ 99.5 %, p99 ≤ 100 ms: 달성"),
        ("2,000", "99.9 %", "41", "200", "-", "-", "-", "-", "-", "-", "107 MiB, 62 %", "1,100",
         "≥ 99.5 %, p99 ≤ 200 ms: 미달 (3회 중 p99 중앙값; 각 회 p99 150 / 200 / 310 ms)"),
        ("3,000", "99.9 %", "41", "89", "-", "-", "-", "-", "-", "-", "107 MiB, 62 %", "1,100", "-"),
    )  # fmt: skip
    assert run.setup == "20 symbols x 5 ticks/s, --workers 1, symbols per client: all" and run.before == "rev abc"
    del chain["processes"]
    with pytest.raises(ValueError, match=r"ws_chain\.json: not a chain result"):
        chain_run(doc, "ws_chain.json")


def test_the_committed_chain_results_load_beside_the_table_rows() -> None:
    # load_results skips the chain's files (they have their own table) instead of refusing them as unknown.
    assert {b.name for b in load_results()} >= {"ws_memory", "ws_fanout"}
    assert all(run.rows for run in load_chain())
    profile = load_chain_profile()
    assert profile is None or profile.layers[0][1] >= profile.layers[-1][1]
