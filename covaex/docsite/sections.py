"""Page data computed section by section; only a missing input may be *pending*.

A section whose input has not landed (a stack not synthesized, a data file
absent) raises `PendingInput`: it becomes a ``Pending`` value saying why,
the page shows a clear TODO and the build prints it. A fact that exists but
cannot be computed (a size with no price, a policy that is not JSON) raises
`FactError`: the build fails with a message naming the section and the
resource. Anything else is a bug and propagates as one; no broad ``except``
turns it into a TODO box.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from covaex.analysis.errors import FactError as FactError  # noqa: PLC0414 - re-exported (mypy): facts raise it


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
        except FactError as exc:
            raise FactError(f"page data `{name}`: {exc}") from exc

    def _pend(self, name: str, reason: str) -> None:
        self.values[name] = Pending(reason)
        self.pending[name] = reason
