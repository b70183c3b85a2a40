"""A market the UI tests control: the local Binance-protocol server in a thread of the test process.

``covaex serve --feed binance`` is pointed at it, so the page is fed by the
service's real Binance client, and the tests decide what the market holds
(hand-made hourly candles with a known shape, one symbol with none) and when
it fails (:meth:`LocalMarket.go_down`, a real outage the service itself
notices and declares stale).
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import TypeVar

from covaex_service.market.candles import INTERVAL_MS, Kline
from covaex_service.market.devtools.binance_server import LocalBinance
from covaex_service.settings import DEFAULT_SYMBOLS

T = TypeVar("T")

HOUR_MS = INTERVAL_MS["1h"]
HOURS_KEPT = 30
"""More than the sparkline's 24, so the line must pick the newest day, not the whole series."""
WITHOUT_CANDLES = "DOGEUSDT"
"""The one symbol the market has no candles for."""


def hourly_closes(symbol: str, hours: int = HOURS_KEPT) -> list[Decimal]:
    """A distinct, known wave per symbol (two decimals), oldest first."""
    base = Decimal(100 + 10 * DEFAULT_SYMBOLS.index(symbol)) if symbol in DEFAULT_SYMBOLS else Decimal(100)
    phase = len(symbol)
    return [
        (base * (1 + Decimal(repr(0.05 * math.sin((hour + phase) / 3.0))))).quantize(Decimal("0.01"))
        for hour in range(hours)
    ]


def hourly_candles(symbol: str, now_ms: int) -> list[Kline]:
    """:func:`hourly_closes` as candles whose newest is the open one of the current hour."""
    last_open = now_ms - now_ms % HOUR_MS
    closes = hourly_closes(symbol)
    candles = []
    for index, close in enumerate(closes):
        opened = closes[index - 1] if index else close
        open_time = last_open - (len(closes) - 1 - index) * HOUR_MS
        kline = Kline(
            symbol=symbol, interval="1h", open_time=open_time, close_time=open_time + HOUR_MS - 1,
            open=str(opened), high=str(max(opened, close)), low=str(min(opened, close)), close=str(close),
            volume="12.5", closed=index < len(closes) - 1, source="binance",
        )  # fmt: skip
        candles.append(kline)
    return candles


class LocalMarket:
    """:class:`LocalBinance` on its own event loop thread; every call from the test thread is thread-safe."""

    def __init__(self, symbols: Sequence[str] = DEFAULT_SYMBOLS) -> None:
        self.server = LocalBinance(symbols)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="local-binance", daemon=True)

    def _call(self, function: Callable[[], T]) -> T:
        async def run() -> T:
            return function()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=10)

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self._loop).result(timeout=10)
        now_ms = int(time.time() * 1000)
        for symbol in self.server.tickers:
            closes = hourly_closes(symbol)
            self._call(lambda s=symbol, c=closes: self.set_prices(s, c))
            if symbol != WITHOUT_CANDLES:
                self._call(lambda s=symbol: self.server.set_klines(hourly_candles(s, now_ms)))

    def set_prices(self, symbol: str, closes: Sequence[Decimal]) -> None:
        # The 24 h ticker agrees with the candles: it opened where the day's first candle did (the close
        # before it), and its last price is the newest close.
        day = closes[-25:]
        self.server.set_ticker(
            symbol, last=str(day[-1]), open=str(day[0]), high=str(max(day)), low=str(min(day)),
            volume="1000", quote_volume=str(day[-1] * 1000),
        )  # fmt: skip

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def push(self, symbol: str, **fields: str) -> None:
        """A ticker update to every subscribed connection (as Binance's ``@ticker`` stream sends it)."""
        asyncio.run_coroutine_threadsafe(self.server.push(symbol, **fields), self._loop).result(timeout=10)

    def go_down(self) -> None:
        self._call(self.server.go_down)

    def come_back(self) -> None:
        self._call(self.server.come_back)

    def env(self) -> dict[str, str]:
        return {"COVAEX_BINANCE_WS_URL": self.server.ws_url, "COVAEX_BINANCE_REST_URL": self.server.rest_url}


@contextmanager
def local_market() -> Iterator[LocalMarket]:
    market = LocalMarket()
    market.start()
    try:
        yield market
    finally:
        market.stop()
