"""The committed drill results as the resilience page reads them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from covaex.docsite.facts.drill import CONTRAST, ROW_SCENARIO, drill_measured
from covaex.docsite.facts.resilience import resilience
from covaex.docsite.inputs import Inputs, load_data, load_stacks
from covaex.docsite.sections import FactError
from covaex.drill.command import stand_ins
from covaex.drill.config import STACK, load_config
from covaex.drill.names import SCENARIO_NAMES
from covaex.drill.results import MeasuredRun, load_measured
from covaex.synth import SynthResult

MEASURED = {
    "http_recovered_s": 43.0, "errors": 240, "ws_reconnected_p50_s": 0.6, "ws_reconnected_p95_s": 1.3,
    "prices_stale_s": 10.1, "writes_acknowledged": 459, "writes_lost": 0,
}  # fmt: skip


def _run(tmp_path: Path, names: tuple[str, ...] = SCENARIO_NAMES, day: str = "2026-12-06") -> Path:
    path = tmp_path / f"{day}.json"
    path.write_text(
        json.dumps(
            {
                "topology": STACK,
                "when": f"{day}T12:00:00+00:00",
                "machine": {"cpu": "AMD EPYC", "cores": 2, "load_average_before": [1.5, 1.2, 1.1]},
                "stand_ins": {"not_modelled": "DNS TTLs"},
                "scenarios": [
                    {"name": n, "disruption": "x", "computed_rto_s": 45, "measured": MEASURED} for n in names
                ],
            }
        )
    )
    return path


def test_the_newest_dated_file_is_read(tmp_path: Path) -> None:
    _run(tmp_path)
    _run(tmp_path, day="2026-12-07")
    run = load_measured(folder=tmp_path)
    assert run is not None and run.when.startswith("2026-12-07")
    assert load_measured(folder=tmp_path / "none") is None


def test_a_file_of_another_shape_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"topology": STACK}))
    with pytest.raises(FactError, match="not a `covaex drill --out` file"):
        load_measured(bad)
    half = _run(tmp_path)
    half.write_text(half.read_text().replace('"writes_lost": 0', '"lost": 0'))
    with pytest.raises(FactError, match="lacks the measured figures"):
        load_measured(half)


def test_each_drilled_row_is_a_row_of_the_page(synthesized: SynthResult, tmp_path: Path) -> None:
    inputs = Inputs(stacks=load_stacks(synthesized), data=load_data())
    disruptions = set(resilience(inputs)[STACK])
    assert set(ROW_SCENARIO) | set(CONTRAST) <= disruptions
    assert set(ROW_SCENARIO.values()) | set(CONTRAST.values()) == set(SCENARIO_NAMES)
    page = drill_measured(inputs, load_measured(_run(tmp_path)))
    assert page["stack"] == STACK
    assert set(page["cells"]) == set(ROW_SCENARIO)
    assert "43.0 s" in page["cells"]["app-instance"][0] and "유실 0건" in page["cells"]["app-instance"][0]
    assert page["cells"]["db-primary"][1].startswith("As-Is 대조 (`asis-db`, ")


def test_what_the_label_says_is_not_modelled_is_what_the_drill_records(synthesized: SynthResult) -> None:
    recorded = stand_ins(load_config(synthesized.out / "stacks"))["not_modelled"]
    for english, korean in (("DNS TTLs", "DNS TTL"), ("AWS's own failover timings", "AWS 자체의 페일오버 시간"),
                            ("instance replacement by the ASG", "ASG의 인스턴스 교체")):  # fmt: skip
        assert english in recorded
        assert korean in drill_measured(Inputs(stacks={}, data={}), _fake())["label"]


def _fake() -> MeasuredRun:
    return MeasuredRun(Path("x.json"), STACK, "2026-12-06T12:00:00+00:00", {"cpu": "c", "cores": 2}, {}, {})


def test_the_page_shows_the_committed_run() -> None:
    """The committed page (equal to a fresh render: the docs drift gate) holds the committed run's figures."""
    from covaex.docsite.paths import REPO_ROOT

    run = load_measured()
    assert run is not None, "no run committed in benchmarks/results/drill/"
    page = (REPO_ROOT / "docs/generated/epic2/resilience.md").read_text(encoding="utf-8")
    assert "| 측정값 (로컬 대역) |" in page
    for name, result in run.scenarios.items():
        seconds = result.measured["http_recovered_s"]
        lead = f"As-Is 대조 (`{name}`, " if name in CONTRAST.values() else f"`{name}`: "
        assert lead in page, name
        figure = "HTTP 실패 없음" if result.measured["errors"] == 0 else f"HTTP {seconds} s 후 복구"
        assert figure in page.split(lead, 1)[1].split("|", 1)[0], name
    assert f"{run.when[:10]}에" in page
