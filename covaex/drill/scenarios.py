"""The scenarios (their names are the contract) and the run of one: steady, break, recover, restore, verify.

Each scenario breaks one part of a running stand while the load runs, waits until
the stand-in's own failover has happened and users have seen no failure for
``QUIET_S`` (every WebSocket client live, prices flowing), stops the load, restores
the part, reads every user's watchlist and measures. It is bounded in time:
``timeout_s`` past the break it stops waiting and reports what it saw.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from covaex.drill.load import Load, LoadShape, Measured, measure, quiet_since, watchlist_of
from covaex.drill.names import ASIS_OPERATOR_S, SCENARIO_NAMES
from covaex.drill.standins import AZ_A, AZ_C, StandInError, wait_for
from covaex.drill.stands import AsIsStand, Stand, ToBeStand
from covaex.progress import Steps

STEADY_S = 8.0
"""Load before the break, so every client is live and writing."""
QUIET_S = 10.0
"""No failure for this long (and the failover done) counts as recovered."""
UPSTREAM_OUTAGE_S = 20.0
"""How long the market feed is lost in ``upstream``."""


@dataclass(frozen=True)
class Scenario:
    name: str
    stand: str  # "tobe" or "asis"
    bound: str | None  # key of recovery_bounds(); None: the model states no number
    summary: str


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("app-instance", "tobe", "app_instance", "one app instance killed (SIGKILL of its process group)"),
    Scenario("az", "tobe", "az", "one AZ lost: its instance, its Redis node and its PostgreSQL node killed at once"),
    Scenario("redis-primary", "tobe", "redis_primary", "the Redis primary killed; Sentinel promotes the replica"),
    Scenario(
        "db-primary", "tobe", "db_primary", "the PostgreSQL primary node killed; pg_auto_failover promotes the standby"
    ),
    Scenario("upstream", "tobe", None, f"the market feed lost for {UPSTREAM_OUTAGE_S:.0f} s, then back"),
    Scenario(
        "asis-db",
        "asis",
        None,
        "As-Is single box: PostgreSQL killed; nothing fails over or restarts it "
        f"(the drill restarts it after {ASIS_OPERATOR_S:.0f} s, an operator's stand-in: a lower bound)",
    ),
)
if tuple(s.name for s in SCENARIOS) != SCENARIO_NAMES:  # pragma: no cover - a coding slip, caught by any import
    raise RuntimeError("SCENARIOS and names.SCENARIO_NAMES disagree")
PHASES = ("steady", "break", "recover", "restore")


def timeout_s(bound: int | None) -> float:
    return 2.0 * max(bound or 0, 60) + 60.0


@dataclass
class Breakage:
    """What a scenario broke: ``done()`` once the stand-in's own failover happened, ``restore()`` puts it back."""

    disruption: str
    done: Callable[[], bool]
    restore: Callable[[], None]


def _break(scenario: Scenario, stand: Stand, started: float) -> Breakage:
    if isinstance(stand, AsIsStand):
        assert stand.pg is not None
        box = stand.pg
        box.kill()
        restarted: list[bool] = []

        def operator() -> bool:
            if not restarted and time.monotonic() - started >= ASIS_OPERATOR_S:
                box.start()
                restarted.append(True)
            return bool(restarted)

        return Breakage(scenario.summary, operator, lambda: None if restarted else box.start())
    assert isinstance(stand, ToBeStand) and stand.pg is not None and stand.redis is not None
    pg, redis = stand.pg, stand.redis
    db_primary, cache_primary = pg.primary(), redis.primary()
    if db_primary is None or cache_primary is None:
        raise StandInError(f"no single primary to break (PostgreSQL: {pg.states()}, Redis: {cache_primary})")
    if scenario.name == "app-instance":
        stand.kill_app("a")
        return Breakage(
            f"{scenario.summary}: instance a (AZ a); instance c stays",
            lambda: stand.app_down("a"),
            lambda: stand.restore_app("a"),
        )
    if scenario.name == "db-primary":
        old = db_primary
        pg.kill(old)
        return Breakage(
            f"{scenario.summary} (node {old})",
            lambda: pg.primary() != old,
            lambda: pg.restore(old),
        )
    if scenario.name == "redis-primary":
        old = cache_primary
        redis.kill(old)
        new = "c" if old == "a" else "a"
        return Breakage(
            f"{scenario.summary} (node {old})",
            lambda: stand.redis_endpoint_on(new),
            lambda: redis.restore(old),
        )
    if scenario.name == "az":
        zone = db_primary  # the AZ holding the database primary
        stand.kill_app(zone)
        redis.kill(zone)
        pg.kill(zone)
        other = "c" if zone == "a" else "a"
        held = "the Redis primary" if cache_primary == zone else "the Redis replica"
        address = AZ_A if zone == "a" else AZ_C

        def az_done() -> bool:
            return stand.app_down(zone) and pg.primary() == other and stand.redis_endpoint_on(other)

        def az_restore() -> None:
            pg.restore(zone)
            if cache_primary == zone:
                redis.restore(zone)
            else:
                redis.start(zone, replica_of=redis.nodes[other])
                wait_for(f"Redis {zone} back as replica", lambda: redis.primary() == other, timeout=60)
            stand.restore_app(zone)

        return Breakage(
            f"AZ {zone} ({address}) lost: instance {zone}, the PostgreSQL primary and {held}, killed at once",
            az_done,
            az_restore,
        )
    if scenario.name == "upstream":
        stand.upstream.go_down()
        back: list[float] = []

        def upstream_done() -> bool:
            if not back and time.monotonic() - started >= UPSTREAM_OUTAGE_S:
                stand.upstream.come_back()
                back.append(time.monotonic())
            return bool(back)

        return Breakage(scenario.summary, upstream_done, stand.upstream.come_back)
    raise StandInError(f"unknown scenario {scenario.name!r}")


def run_scenario(scenario: Scenario, stand: Stand, bound: int | None, steps: Steps, shape: LoadShape) -> Measured:
    """Steady load, break, recover (bounded), restore, verify; the measured figures."""
    load = Load(stand.base, stand.users, stand.symbols, shape)
    broken: Breakage | None = None
    try:
        with steps.step(f"{scenario.name}: steady load"):
            load.start()
            wait_for(
                "every WebSocket client live",
                lambda: len(load.snapshot().ws_live) == shape.ws_clients,
                timeout=60,
            )
            time.sleep(STEADY_S)
        with steps.step(f"{scenario.name}: break"):
            started = time.monotonic()
            broken = _break(scenario, stand, started)
            steps.note(broken.disruption)
        with steps.step(f"{scenario.name}: recover"):
            limit = timeout_s(bound)
            while True:
                now = time.monotonic()
                records = load.snapshot()
                recent_update = bool(records.updates) and now - records.updates[-1] < 3.0
                if (
                    broken.done()
                    and quiet_since(records, now) >= QUIET_S
                    and len(records.ws_live) == shape.ws_clients
                    and recent_update
                    and now - started >= QUIET_S
                ):
                    break
                if now - started > limit:
                    steps.note(f"not recovered within {limit:.0f} s: measured as it stood")
                    break
                time.sleep(0.5)
            until = time.monotonic()
    finally:
        load.stop()
    with steps.step(f"{scenario.name}: restore"):
        broken.restore()
        final = {user.username: watchlist_of(stand.base, user) for user in stand.users}
    return measure(load.snapshot(), started, until, final)
