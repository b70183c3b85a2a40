"""The drill's parts that need no root: the stack's settings, HAProxy's config, the figures, the sweep, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from covaex.docsite.facts.resilience import recovery_bounds, resilience
from covaex.docsite.inputs import load_data
from covaex.drill.command import table
from covaex.drill.config import STACK, drill_config, load_config
from covaex.drill.load import Records, Request, Write, measure
from covaex.drill.names import SCENARIO_NAMES
from covaex.drill.standins import RUN_MARKER, RUN_PREFIX, haproxy_config, sweep_leftovers
from covaex.synth import SynthResult
from covaex.topology.tfjson import TerraformDoc, load_stack


@pytest.fixture(scope="module")
def prod(synthesized: SynthResult) -> TerraformDoc:
    return load_stack(STACK, synthesized.stack_json(STACK))


def test_the_alb_stand_in_takes_the_target_groups_health_check(prod: TerraformDoc) -> None:
    tg = prod.resources("aws_lb_target_group")[0]
    hc = tg.get("health_check")
    config = drill_config(prod)
    text = haproxy_config(config, 8080, {"a": ("127.0.0.2", 1), "c": ("127.0.0.3", 2)}, None, 0)
    assert f"option httpchk GET {hc['path']}" in text
    assert f"timeout check {hc['timeout']}s" in text
    server = f"check inter {hc['interval']}s fall {hc['unhealthy_threshold']} rise {hc['healthy_threshold']}"
    assert text.count(server) == 2
    assert "cookie AWSALB insert" in text  # the target group is sticky
    assert "redispatch" not in text and "retries 0" in text  # as the ALB: no retry on another target
    assert config.deregistration_delay_s == int(tg.get("deregistration_delay"))


def test_the_bounds_are_the_resilience_pages(prod: TerraformDoc, synthesized: SynthResult) -> None:
    from covaex.docsite.inputs import Inputs, load_stacks

    bounds = load_config(synthesized.out / "stacks").bounds
    assert bounds == recovery_bounds(prod, load_data()["resilience"])
    page = resilience(Inputs(stacks=load_stacks(synthesized), data=load_data()))[STACK]
    assert bounds["app_instance"] == page["app-instance"].rto_s == 45
    assert bounds["db_primary"] == page["db-primary"].rto_s == 120
    assert bounds["az"] == page["az"].rto_s
    assert page["redis-primary"].unbounded_part and bounds["redis_primary"] is None  # AWS states no number


def test_a_cache_endpoint_follows_role_master(prod: TerraformDoc) -> None:
    text = haproxy_config(drill_config(prod), 1, {}, {"a": ("127.0.0.2", 3), "c": ("127.0.0.3", 4)}, 5)
    assert "tcp-check expect string role:master" in text
    assert text.count("on-marked-down shutdown-sessions") == 2


def _records() -> Records:
    records = Records()
    records.requests = [
        Request(9.0, 9.1, "page", True),
        Request(10.5, 10.6, "page", False),
        Request(20.0, 21.0, "rest", False),
        Request(30.0, 30.1, "page", True),
    ]
    records.updates = [9.5, 10.2, 18.2, 19.0, 33.0]
    records.ws_reconnects = [(10.1, 11.1), (10.2, 14.2), (5.0, 6.0)]
    return records


def test_recovery_is_the_end_of_the_last_failure() -> None:
    measured = measure(_records(), broke_at=10.0, until=40.0, final={})
    assert measured.http_recovered_s == 11.0
    assert measured.errors == 2
    assert measured.prices_stale_s == 14.0  # 19.0 -> 33.0
    assert measured.ws_reconnected_p50_s == 2.5  # 1 s and 4 s; the reconnect before the break is not counted
    assert measured.ws_reconnected_p95_s == 4.0


def test_a_write_is_lost_only_when_acknowledged_and_last() -> None:
    records = _records()
    records.writes = [
        Write(11, 11.1, "u", "BTCUSDT", add=True, acked=True),  # acknowledged, last: must be there
        Write(12, 12.1, "u", "ETHUSDT", add=True, acked=True),
        Write(13, 13.1, "u", "ETHUSDT", add=False, acked=False),  # may or may not have committed
        Write(14, 14.1, "u", "SOLUSDT", add=False, acked=True),  # acknowledged removal: must be gone
    ]
    assert measure(records, 10.0, 40.0, {"u": {"BTCUSDT", "ETHUSDT"}}).writes_lost == 0
    assert measure(records, 10.0, 40.0, {"u": {"BTCUSDT"}}).writes_lost == 0
    assert measure(records, 10.0, 40.0, {"u": set()}).writes_lost == 1
    assert measure(records, 10.0, 40.0, {"u": {"BTCUSDT", "SOLUSDT"}}).writes_lost == 1
    assert measure(records, 10.0, 40.0, {"u": {"BTCUSDT"}}).writes_acknowledged == 3


def test_the_table_shows_dashes_for_nothing_to_state() -> None:
    measured = measure(_records(), 10.0, 40.0, {}).as_json()
    measured["ws_reconnected_p50_s"] = None
    text = table({"scenarios": [{"name": "upstream", "computed_rto_s": None, "measured": measured}]})
    header, rule, row = text.splitlines()
    assert header.split()[0] == "scenario" and set(rule) <= {"-", " "}
    assert row.split()[:3] == ["upstream", "-", "11.0"]


def test_the_sweep_ends_an_orphaned_runs_processes_only(tmp_path: Path) -> None:
    import tempfile

    orphan = Path(tempfile.mkdtemp(prefix=RUN_PREFIX))
    (orphan / "owner").write_text("999999999")  # no such process: a killed drill
    alive = Path(tempfile.mkdtemp(prefix=RUN_PREFIX))
    (alive / "owner").write_text(str(os.getpid()))
    started = []
    try:
        for folder in (orphan, alive):
            env = {**os.environ, RUN_MARKER: str(folder)}
            started.append(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], env=env))
        # Without the marker, known by its working folder (redis-sentinel overwrites its environment).
        unmarked = {k: v for k, v in os.environ.items() if k != RUN_MARKER}
        started.append(
            subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], env=unmarked, cwd=orphan)
        )
        time.sleep(0.2)
        sweep_leftovers()
        assert started[0].wait(timeout=10) == -9
        assert started[2].wait(timeout=10) == -9
        assert started[1].poll() is None
        assert not orphan.exists() and alive.exists()
    finally:
        for process in started:
            process.kill()
            process.wait()
        subprocess.run(["rm", "-rf", str(orphan), str(alive)], check=False)


def test_a_bad_scenario_name_is_one_line_and_exit_2() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "covaex.cli", "drill", "--scenario", "app-instance", "--scenario", "nope"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1
    assert "'nope'" in done.stderr and all(name in done.stderr for name in SCENARIO_NAMES)


def test_a_dead_primary_stops_counting_once_the_monitor_demotes_it() -> None:
    import json

    from covaex.drill.standins import AutoFailoverPostgres

    def state(a: tuple[str, str], c: tuple[str, str]) -> str:
        return json.dumps(
            [
                {"node_name": n, "current_group_state": now, "assigned_group_state": goal}
                for n, (now, goal) in (("a", a), ("c", c))
            ]
        )

    assert AutoFailoverPostgres.primary_of(state(("primary", "primary"), ("secondary", "secondary"))) == "a"
    # a killed: it never reports again; the monitor assigns it demoted and promotes c
    assert (
        AutoFailoverPostgres.primary_of(state(("primary", "draining"), ("stop_replication", "stop_replication")))
        is None
    )
    assert AutoFailoverPostgres.primary_of(state(("primary", "demoted"), ("wait_primary", "wait_primary"))) == "c"
