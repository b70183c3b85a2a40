"""The keepalive round is spread over the interval: never every client's ping (and pong) in one loop turn."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from typing import Any

from covaex_service.market.gateway.hub import KEEPALIVE_SLICES, ClientSession, Hub
from covaex_service.market.gateway.protocol import GatewayLimits
from covaex_service.market.stats import GatewayStats

from tests.support.wait import eventually

CLIENTS = 3 * KEEPALIVE_SLICES + 1
INTERVAL = 0.4


class CheckedSocket:
    """A client's write side that records when the hub's keepalive looked at it."""

    writable = True

    def __init__(self, checks: list[tuple[float, CheckedSocket]]) -> None:
        self.checks = checks
        self.on_drained: Any = None

    def send_text(self, frame: str) -> bool:
        return True

    def fail(self, code: int, reason: str) -> None:
        pass

    def keepalive(self, now: float, interval: float, timeout: float) -> None:
        self.checks.append((now, self))


async def test_each_client_is_checked_once_per_interval_a_slice_at_a_time() -> None:
    hub = Hub(view=None, known_symbols=(), stats=GatewayStats(), limits=GatewayLimits(keepalive=INTERVAL))  # type: ignore[arg-type]
    checks: list[tuple[float, CheckedSocket]] = []
    sockets = [CheckedSocket(checks) for _ in range(CLIENTS)]
    sessions: list[ClientSession] = [hub.connect(socket) for socket in sockets]
    gone = sessions.pop()
    hub.disconnect(gone)

    keepalive = asyncio.create_task(hub._keepalive())
    await eventually(lambda: len({now for now, _ in checks}) >= 2 * KEEPALIVE_SLICES, what="two keepalive rounds")
    keepalive.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await keepalive

    per_turn = Counter(now for now, _ in checks)
    assert max(per_turn.values()) <= -(-CLIENTS // KEEPALIVE_SLICES), per_turn  # a slice, never everyone
    per_client = Counter(socket for _, socket in checks)
    assert gone.ws not in per_client  # a disconnected client leaves its slice
    assert set(per_client) == {session.ws for session in sessions}
    assert set(per_client.values()) <= {2, 3}, per_client  # once per round: two rounds (and a turn or two more)
