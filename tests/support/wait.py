"""Wait for a condition instead of sleeping a fixed time: poll until it holds, fail naming it.

The limits are generous ceilings for a loaded machine, never the expected
duration: a test that meets its condition early goes on at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

T = TypeVar("T")


async def eventually(check: Callable[[], Any], *, within: float = 10.0, what: str = "condition") -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy; fail with ``what`` after ``within`` s."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = check()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def wait_until(check: Callable[[], T], *, within: float, what: str, interval: float = 0.05) -> T:
    """Sync :func:`eventually`: ``check()``'s first truthy value; AssertionError naming ``what`` after ``within``.

    An exception from ``check`` means "not yet" (a server still starting refuses
    connections), except an AssertionError, which fails at once.
    """
    deadline = time.monotonic() + within
    while True:
        with contextlib.suppress(OSError, ConnectionError):
            result = check()
            if result:
                return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {within:.0f} s")
        time.sleep(interval)


def port_open(host: str, port: int) -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def wait_for_port(host: str, port: int, *, within: float, what: str) -> None:
    """Wait until ``host:port`` accepts connections (a server started in another process)."""
    wait_until(lambda: port_open(host, port), within=within, what=what)
