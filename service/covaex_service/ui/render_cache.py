"""Server-side rendering once per snapshot change, shared by every visitor.

A page rendered from the market snapshot is the same for everyone until the
snapshot changes, and the snapshot changes at most once per ingest batch
(:data:`~covaex_service.market.ingest.FLUSH_INTERVAL_SECONDS`), whereas page
views come at any rate. So a page is rendered once per *(page key, snapshot
version)*, its UTF-8 bytes are kept, and each compressed variant is made once,
the first time a visitor asks for it; every other visitor of that version gets
the same ``bytes`` object. Rendering costs about 1.3 ms for the 45 KB main
page; serving kept bytes costs a dictionary lookup.

The version is :func:`snapshot_version`: the snapshot's ``asOf`` (the ingest
leader stamps every written snapshot with a new one, and writes one only when
a price changed), its ``source`` label and its ``stale`` flag (staleness
changes with the clock, without a new snapshot, and the page shows it). A
request reads the snapshot first and then asks for that version, so a page is
never older than the snapshot it claims: a new snapshot is a new version,
rendered on the next request.

Only the newest version of each page key is kept (older ones are never asked
for again), and at most :data:`MAX_PAGES` page keys (least recently used go
first), so memory is bounded by the pages the service has, not by traffic.

Per-visitor parts stay out of the shared bytes: a page rendered here must not
depend on the request (no user name, no CSRF token, no cookie); those go in
the response headers built per request by :func:`shared_response`, or are
fetched by the page's scripts (the main page asks ``/api/v1/auth/me``).

Wiring a page (``/coins/<SYMBOL>`` follows ``GET /`` in :mod:`.views`)::

    snapshot = await market.read_snapshot(request.app)
    page = pages.get(f"coin:{symbol}", snapshot_version(snapshot), lambda: template.render(...))
    return shared_response(request, page, headers=PAGE_HEADERS)

The render function must read only the snapshot it was given (and constants):
whatever it reads is frozen into the bytes until the next version. A page
drawn from more than the snapshot puts that data's version into its own, as
the main page does with its sparklines' candles (read at most every few
seconds per worker, versioned by :class:`~covaex_service.market.recent.RecentCandles`)::

    day = await market.read_recent_candles(request.app)
    page = pages.get("main", (snapshot_version(snapshot), day.version), lambda: render(snapshot, day.series))
"""

from __future__ import annotations

import functools
import gzip
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sanic import Request
from sanic.response import HTTPResponse

MAX_PAGES = 256
"""Page keys kept: the main page and one coin page per symbol (a few dozen) with room to spare."""

GZIP_LEVEL = 9
"""Made once per version, so the best ratio is affordable: ~0.7 ms for the 45 KB main page (45.4 KB -> 5.8 KB)."""

IDENTITY = "identity"
CODINGS: tuple[str, ...] = ("gzip",)
"""Content codings offered, in order of preference at equal q.

Brotli was measured on the main page and left out: at quality 5 it is ~10 %
smaller than gzip -9 (5.3 vs 5.8 KB) for several times the CPU per version,
and the 21 % of quality 11 costs ~56 ms per version, up to ten versions a
second; not worth a native dependency. Adding it is one entry here and one in
:func:`_compress`.
"""

SnapshotVersion = tuple[Any, Any, bool]


def snapshot_version(snapshot: Mapping[str, Any]) -> SnapshotVersion:
    """The version of a ``read_snapshot`` body that a page rendered from it depends on; see the module docstring."""
    return (snapshot.get("asOf"), snapshot.get("source"), bool(snapshot.get("stale")))


def _compress(coding: str, body: bytes) -> bytes:
    if coding == "gzip":
        # mtime=0: the same page is the same bytes (no timestamp in the gzip header).
        return gzip.compress(body, GZIP_LEVEL, mtime=0)
    raise ValueError(f"unsupported content coding {coding!r}")


@dataclass(slots=True)
class SharedPage:
    """One rendered version of one page: its bytes and the compressed variants made so far."""

    version: Hashable
    identity: bytes
    _variants: dict[str, bytes] = field(default_factory=dict)

    def body(self, coding: str) -> bytes:
        """The body in ``coding`` (``identity`` or one of :data:`CODINGS`), compressed at most once."""
        if coding == IDENTITY:
            return self.identity
        variant = self._variants.get(coding)
        if variant is None:
            variant = self._variants[coding] = _compress(coding, self.identity)
        return variant

    @property
    def variants_made(self) -> tuple[str, ...]:
        return tuple(self._variants)


class RenderCache:
    """The newest :class:`SharedPage` of each page key; see the module docstring."""

    def __init__(self, max_pages: int = MAX_PAGES) -> None:
        self._max_pages = max_pages
        self._pages: OrderedDict[str, SharedPage] = OrderedDict()
        self.renders = 0
        """Pages rendered since start (tests and benchmarks read it)."""

    def get(self, key: str, version: Hashable, render: Callable[[], str]) -> SharedPage:
        """The page ``key`` at ``version``, rendering it with ``render`` unless that version is kept.

        Synchronous on purpose: no await between the lookup and the store, so
        concurrent requests for a new version render it once.
        """
        page = self._pages.get(key)
        if page is not None and page.version == version:
            self._pages.move_to_end(key)
            return page
        page = SharedPage(version, render().encode())
        self.renders += 1
        self._pages[key] = page
        self._pages.move_to_end(key)
        while len(self._pages) > self._max_pages:
            self._pages.popitem(last=False)
        return page


@functools.lru_cache(maxsize=128)
def negotiate(accept_encoding: str) -> str:
    """The coding to send for an ``Accept-Encoding`` value (RFC 9110 §12.5.3), ``identity`` when none fits.

    The highest q among :data:`CODINGS` wins (ties in :data:`CODINGS` order);
    ``*`` covers codings not named; ``q=0`` refuses; a malformed q counts as
    a refusal of that coding. Cached: browsers send a handful of distinct
    values, and the cache is bounded against those that do not.
    """
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        name, _, params = item.partition(";")
        name = name.strip().lower()
        if not name:
            continue
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights["gzip" if name == "x-gzip" else name] = weight
    best, best_weight = IDENTITY, 0.0
    for coding in CODINGS:
        weight = weights.get(coding, weights.get("*", 0.0))
        if weight > best_weight:
            best, best_weight = coding, weight
    return best


def shared_response(
    request: Request, page: SharedPage, *, headers: Mapping[str, str], content_type: str = "text/html; charset=utf-8"
) -> HTTPResponse:
    """The response for one visitor: the shared bytes in the coding the client accepts, per-visitor headers."""
    coding = negotiate(request.headers.get("accept-encoding", ""))
    # Vary on every answer, identity included: a cache must not hand gzip to a client that did not ask.
    response_headers = {**headers, "Vary": "Accept-Encoding"}
    if coding != IDENTITY:
        response_headers["Content-Encoding"] = coding
    return HTTPResponse(page.body(coding), headers=response_headers, content_type=content_type)
