"""Wait for a condition instead of sleeping a fixed time: poll until it holds, fail naming it.

The limits are generous ceilings for a loaded machine, never the expected
duration: a test that meets its condition early goes on at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from covaex import processes
from covaex.processes import port_open

__all__ = ["eventually", "port_open", "wait_for_port", "wait_until"]

T = TypeVar("T")


async def eventually(check: Callable[[], Any], *, within: float = 10.0, what: str = "condition") -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy (:func:`covaex.processes.until`);
    AssertionError naming ``what`` (and the last exception ``check`` raised) after ``within`` s."""
    return await processes.until(check, within=within, what=what, error=AssertionError)


def wait_until(check: Callable[[], T], *, within: float, what: str, interval: float = 0.05) -> T:
    """:func:`covaex.processes.wait_until` failing as an assertion: ``check()``'s first truthy value,
    AssertionError naming ``what`` (and the last probe's exception) after ``within`` s."""
    return processes.wait_until(check, within=within, what=what, interval=interval, error=AssertionError)


def wait_for_port(host: str, port: int, *, within: float, what: str) -> None:
    """Wait until ``host:port`` accepts connections (a server started in another process)."""
    wait_until(lambda: port_open(host, port), within=within, what=what)
