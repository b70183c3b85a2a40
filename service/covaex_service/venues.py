"""Market venues behind one seam: each venue's feed, source label and symbol rule, registered once.

A venue is where real prices come from. Its :attr:`Venue.name` is three things
at once, so they can never disagree: the ``COVAEX_FEED`` value that selects it,
the ``source`` label on every price and candle it delivers, and the name the
``auto`` feed logs. Simulated data is labelled :data:`SIMULATOR` wherever it
comes from; "real" is "any label that is not :data:`SIMULATOR`", never a
comparison with one venue's name.

**Adding a venue** (say Upbit, KRW): its feed module under
``market/feeds/`` (a :class:`~covaex_service.market.feeds.base.UpstreamFeed`,
parsing with the venue's rules), one :class:`Venue` entry in :data:`VENUES`
below, and its base URLs in :mod:`covaex_service.settings` when it needs
settings of its own. Everything else (the ``COVAEX_FEED`` choices, the labels
the caches and the gateway accept, the OpenAPI enum, the ``auto`` fallback)
reads this table.

Import-light on purpose (no feed, no settings at import time): the settings and
the market model read it, and each venue's feed module is imported only when
:func:`Venue.connect` builds it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from covaex_service.market.feeds.base import UpstreamFeed
    from covaex_service.market.stats import FeedStats
    from covaex_service.settings import Settings

SIMULATOR = "simulator"
"""The label of simulated prices and candles (the ``simulator`` feed, the ``auto`` feed's fallback)."""

SYMBOL_SHAPE = re.compile(r"^[A-Z0-9]{2,20}$")
"""What every stored and requested symbol looks like (upper-case, 2-20 characters), whatever the venue."""


@dataclass(frozen=True)
class Venue:
    """One market venue: what the rest of the service needs to know about it, and nothing else."""

    name: str
    """``COVAEX_FEED`` value and the ``source`` label of its data (``"binance"``)."""
    symbol_rule: re.Pattern[str]
    """The symbols this venue lists (checked at start against ``COVAEX_SYMBOLS``)."""
    symbol_example: str
    """An example symbol for error messages (``BTCUSDT``)."""
    connect: Callable[[Settings, FeedStats], UpstreamFeed]
    """Builds the venue's feed for the configured symbols (imports its module lazily)."""

    def check_symbols(self, symbols: tuple[str, ...]) -> list[str]:
        """The symbols this venue cannot list (empty when all fit its rule)."""
        return [s for s in symbols if not self.symbol_rule.match(s)]


def _binance(settings: Settings, stats: FeedStats) -> UpstreamFeed:
    from covaex_service.market.feeds.binance_client import BinanceFeed

    return BinanceFeed(settings.symbols, settings.binance_ws_url, settings.binance_rest_url, stats)


BINANCE = Venue(
    name="binance",
    # Binance spot symbols: base and quote asset glued, upper-case (BTCUSDT, 1000SATSUSDT).
    symbol_rule=SYMBOL_SHAPE,
    symbol_example="BTCUSDT",
    connect=_binance,
)

VENUES: dict[str, Venue] = {venue.name: venue for venue in (BINANCE,)}
"""Every venue by name: the one registration a new venue needs."""

DEFAULT_VENUE = BINANCE
"""The venue the ``auto`` feed (the default ``COVAEX_FEED``) follows."""

SOURCES: tuple[str, ...] = (*VENUES, SIMULATOR)
"""Every ``source`` label the caches, the gateway and the API accept."""


def is_simulated(source: str) -> bool:
    """True for data the simulator made: the one test of "not real"."""
    return source == SIMULATOR
