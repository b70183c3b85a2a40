"""Page data computed section by section, each allowed to be *pending*.

Pages are built from other engineers' code (stacks, topology, service
modules) that may not exist yet or may be mid-change. A section that cannot
be computed becomes a ``Pending`` value saying why, the page shows a clear
TODO for it, and the rest of the site still builds. The build prints every
pending section so nothing stays a TODO silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class PendingInput(Exception):
    """Raised by a section whose input has not landed yet (a stack, a module, a file)."""


@dataclass(frozen=True)
class Pending:
    """Stands in for a section's value; ``reason`` is shown on the page."""

    reason: str

    def __bool__(self) -> bool:
        return False


@dataclass
class Sections:
    """Collects named sections; ``pending`` lists the ones that could not be computed."""

    values: dict[str, Any] = field(default_factory=dict)
    pending: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, compute: Callable[[], Any]) -> None:
        try:
            self.values[name] = compute()
        except PendingInput as exc:
            self._pend(name, str(exc))
        except Exception as exc:  # input mid-change: keep the site building, say what broke
            self._pend(name, f"could not be computed ({type(exc).__name__}: {exc})")

    def _pend(self, name: str, reason: str) -> None:
        self.values[name] = Pending(reason)
        self.pending[name] = reason
