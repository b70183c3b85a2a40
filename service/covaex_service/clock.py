"""The service's one wall clock: milliseconds since 1970, as the API and the cache carry them."""

from __future__ import annotations

import time


def now_ms() -> int:
    return int(time.time() * 1000)
