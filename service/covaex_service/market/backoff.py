"""Capped exponential backoff with full jitter, for every retry-forever loop of the market area.

Full jitter (a uniform delay between zero and the capped exponential) spreads
the reconnects of many workers after a shared outage instead of having them
stampede the upstream at the same instants.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """``next_delay()`` grows ``base * 2**n`` up to ``cap`` seconds, jittered; ``reset()`` after success."""

    base: float = 0.5
    cap: float = 30.0
    attempts: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.base * (2 ** min(self.attempts, 30)))
        self.attempts += 1
        # Never zero: a tight loop against a refusing server would burn the CPU.
        return max(self.base / 10, self._rng.uniform(0, ceiling))

    def reset(self) -> None:
        self.attempts = 0
