"""Fixtures shared by every area: the real servers the tests run against.

``make test`` (scripts/test.sh) starts a real Redis and a real PostgreSQL on
loopback and exports their URLs. Run outside it, tests that need them skip
with a reason; under CI (``CI=true``) a missing server is a failure instead.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from covaex.synth import SynthResult

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
# jsii has called Node 20 end-of-life since 2026-10-30 (requirements/system.toml, [node]); a user's synth shows
# the warning, the suite's many jsii processes do not repeat it.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

TESTS = Path(__file__).resolve().parent

# The suite runs under pytest-xdist (`-n`, `--dist loadgroup`, scripts/test.sh). Each group
# below runs on one worker, one test after another, beside the independent tests: the boot
# drill holds the machine's systemd-nspawn container, the resilience drill (`covaex drill`'s
# scenarios) runs its stand-ins one scenario at a time, the abuse suite measures rate limits
# against one served process (and its Redis database), the browser tests share one Chromium.
# A group is one lane: its module fixtures (one boot, one drill, one abuse service) run once.
SERIAL_GROUPS = {
    "boot": "boot",
    "drill/test_drill_scenarios.py": "drill",
    "abuse": "abuse",
    "ui": "browser",
    "docsite/test_screenshots.py": "browser",
    # the site's renders share one on-disk diagram cache, which a test's mutated stacks rewrite
    "docsite": "docs",
}


LANE_ORDER = ("boot", "drill", "browser", "docs", "abuse")
"""The lanes start first, longest first (each on a worker of its own), the independent tests fill in beside them.

scripts/test.sh keeps this order (``--no-loadscope-reorder``): xdist would otherwise hand out the
biggest groups first and stack the two drills on one worker."""

SLOW_GROUPS = {"boot", "drill", "abuse", "browser"}
"""The groups `make check` leaves out (marker ``serial``): minutes of drills, floods and browsers."""

PROVIDER_GROUP = "aws-provider"
"""The group of the tests marked ``aws_provider``: they build constructs in the test process, which imports the
AWS provider (all 2,214 of its modules, ~20 s of CPU per process). On one worker, one process pays for it; every
other test reads the synthesized JSON or a config, which needs no provider (``infraforge.constructs.config``)."""


def serial_group(path: Path) -> str | None:
    """The xdist group of a test file under ``tests/``, or ``None`` for one that runs anywhere."""
    relative = path.resolve().relative_to(TESTS).as_posix()
    for prefix, group in SERIAL_GROUPS.items():  # the first match wins: specific paths before their folder
        if relative == prefix or relative.startswith(prefix + "/"):
            return group
    return None


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups (its hook is registered after this conftest)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The Graviton boot drill (emulated arm64, ~11 min) is a CI step of its own (.ci/run):
    # it runs only when asked for by name, `pytest -m arm64_drill tests/boot`.
    if "arm64_drill" not in (config.option.markexpr or ""):
        emulated = [item for item in items if item.get_closest_marker("arm64_drill")]
        if emulated:
            config.hook.pytest_deselected(items=emulated)
            items[:] = [item for item in items if not item.get_closest_marker("arm64_drill")]
    for item in items:
        group = serial_group(item.path)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
            if group in SLOW_GROUPS:
                item.add_marker(pytest.mark.serial)
        elif item.get_closest_marker("aws_provider"):
            item.add_marker(pytest.mark.xdist_group(PROVIDER_GROUP))
    items.sort(key=_lane_rank)  # stable: file order within a lane and among the rest


def _lane_rank(item: pytest.Item) -> int:
    group = serial_group(item.path)
    return LANE_ORDER.index(group) if group in LANE_ORDER else len(LANE_ORDER)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Under ``--dist loadgroup``, refuse to run if xdist did not see the groups (it names a grouped test ``id@group``).

    It once did not (this conftest's hook ran after xdist's): every "serial" suite was spread
    over all workers, three abuse services shared one Redis database, and the drills ran side by side.
    """
    if not session.config.getoption("loadgroup", default=False):
        return
    ungrouped = [item.nodeid for item in session.items if serial_group(item.path) and "@" not in item.nodeid]
    if ungrouped:
        message = f"xdist did not see the serial groups of {len(ungrouped)} tests, e.g. {ungrouped[0]}"
        print(message, file=sys.stderr)  # a worker's exception reaches the user as xdist's INTERNALERROR only
        raise pytest.UsageError(message)


def _service_url(var: str) -> str:
    url = os.environ.get(var)
    if url:
        return url
    message = f"{var} is not set: run the suite with 'make test', which starts the real server"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of the real Redis server started for the test run."""
    return _service_url("COVAEX_TEST_REDIS_URL")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of the real PostgreSQL server started for the test run (superuser, trust auth)."""
    return _service_url("COVAEX_TEST_POSTGRES_URL")


@pytest.fixture(scope="session")
def synthesized() -> SynthResult:
    """Every CDKTF stack synthesized once per run into ``cdktf.out/`` (reused while sources are unchanged)."""
    from covaex.progress import Steps
    from covaex.synth import DEFAULT_OUT, synth_stacks

    return synth_stacks(DEFAULT_OUT, steps=Steps(1, quiet=True))
