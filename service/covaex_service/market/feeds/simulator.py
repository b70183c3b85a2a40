"""The embedded offline feed: a random walk per symbol at Binance's ``@ticker`` cadence (1 s).

Always labelled ``"source": "simulator"``. Prices move by small Gaussian
steps on the symbol's tick size, with Decimal arithmetic, so the strings it
emits look like Binance's (``"97012.34"``, ``"0.00001234"``). It can start
from the last real prices (the ``auto`` feed's fallback) so a switch does not
jump.

Candles too, labelled ``"simulator"`` like the prices: at start a history of
:data:`~covaex_service.market.candles.KLINES_KEPT` candles per interval, walked
backwards from the current price and bent to pass through the ticker's 24 h
open a day ago (the list's 24 h line and its change agree), then every tick
updates each interval's open candle and starts a new one when its period is over.
"""

from __future__ import annotations

import asyncio
import random
import time
import zlib
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import ROUND_HALF_EVEN, Decimal

from covaex_service.market.candles import DAY_CANDLES, DAY_INTERVAL, INTERVAL_MS, KLINES_KEPT, Kline
from covaex_service.market.feeds.base import KlineSink, MarketSink
from covaex_service.market.model import Market, Source, change_pct
from covaex_service.venues import SIMULATOR

DAY_MS = 86_400_000
TICK_INTERVAL_SECONDS = 1.0
"""Each symbol updates about once a second, like Binance's ``<symbol>@ticker`` stream."""

STEP_SIGMA = 0.0006
"""Standard deviation of one tick's relative move (about 5 % a day)."""

# Rough late-2025 levels, so the page looks like a market and not like noise.
REFERENCE_PRICES: Mapping[str, str] = {
    "BTCUSDT": "95000.00", "ETHUSDT": "3200.00", "BNBUSDT": "900.00", "SOLUSDT": "140.00",
    "XRPUSDT": "2.2000", "DOGEUSDT": "0.16000", "ADAUSDT": "0.4500", "TRXUSDT": "0.2800",
    "AVAXUSDT": "14.00", "LINKUSDT": "13.00", "DOTUSDT": "2.500", "TONUSDT": "1.600",
    "SHIBUSDT": "0.00000850", "LTCUSDT": "85.00", "BCHUSDT": "520.0", "UNIUSDT": "6.000",
    "NEARUSDT": "2.000", "APTUSDT": "2.500", "SUIUSDT": "1.6000", "PEPEUSDT": "0.00000450",
}  # fmt: skip


def tick_size(price: Decimal) -> Decimal:
    """About six significant digits, at most eight decimals, like Binance's spot filters."""
    if price <= 0:
        return Decimal("0.00000001")
    decimals = min(8, max(0, 6 - price.adjusted()))
    return Decimal(1).scaleb(-decimals)


def _reference_price(symbol: str) -> Decimal:
    known = REFERENCE_PRICES.get(symbol)
    if known is not None:
        return Decimal(known)
    # Unknown symbols still get a stable, plausible level.
    return Decimal(1 + zlib.crc32(symbol.encode()) % 500) / Decimal(10)


class _Walk:
    """State of one symbol's walk; every value is a Decimal quantized to the tick."""

    def __init__(self, symbol: str, rng: random.Random, seed: Market | None) -> None:
        self.symbol = symbol
        self.rng = rng
        if seed is not None:
            self.last, self.open = Decimal(seed.last), Decimal(seed.open)
            self.high, self.low = Decimal(seed.high), Decimal(seed.low)
            self.volume, self.quote_volume = Decimal(seed.volume), Decimal(seed.quote_volume)
        else:
            reference = _reference_price(symbol)
            self.tick = tick_size(reference)
            self.open = reference.quantize(self.tick)
            self.last = (reference * Decimal(str(1 + rng.gauss(0, 0.01)))).quantize(self.tick)
            self.high, self.low = max(self.open, self.last), min(self.open, self.last)
            self.volume = Decimal(rng.randint(1_000, 1_000_000))
            self.quote_volume = (self.volume * self.last).quantize(Decimal("0.01"))
        self.tick = tick_size(self.open)

    def step(self, now_ms: int) -> Market:
        move = Decimal(str(self.rng.gauss(0, STEP_SIGMA)))
        moved = (self.last * (1 + move)).quantize(self.tick, rounding=ROUND_HALF_EVEN)
        self.last = max(moved, self.tick)
        self.high, self.low = max(self.high, self.last), min(self.low, self.last)
        traded = Decimal(self.rng.randint(1, 500))
        self.volume += traded
        self.quote_volume = (self.quote_volume + traded * self.last).quantize(Decimal("0.01"))
        return Market(
            symbol=self.symbol,
            last=str(self.last),
            open=str(self.open),
            high=str(self.high),
            low=str(self.low),
            change_pct=change_pct(str(self.last), str(self.open)),
            volume=str(self.volume),
            quote_volume=str(self.quote_volume),
            event_time=now_ms,
            source=SIMULATOR,
        )


class _Candles:
    """One symbol's candles at every interval: a made-up history, then the live candle from each tick."""

    def __init__(self, walk: _Walk, now_ms: int) -> None:
        self.walk = walk
        self.open: dict[str, Kline] = {}
        self.history: list[Kline] = []
        for interval, length in INTERVAL_MS.items():
            self.history.extend(self._history(interval, length, now_ms))
            self.open[interval] = self.history[-1]
        # The opens of the last day of hourly candles, the open one last. The ticker's 24 h open is the
        # oldest of them and rolls with them, as Binance's rolling 24 h window does: the list's 24 h line
        # (drawn from these candles) and the row's change keep telling the same story after an hour turns.
        hourly = [k for k in self.history if k.interval == DAY_INTERVAL]
        self.day_opens = deque((k.open for k in hourly[-DAY_CANDLES:]), maxlen=DAY_CANDLES)

    def _price(self, value: float) -> str:
        return format(max(Decimal(repr(value)).quantize(self.walk.tick), self.walk.tick), "f")

    def _history(self, interval: str, length: int, now_ms: int) -> list[Kline]:
        rng = self.walk.rng
        # A random walk's spread grows with the square root of time.
        sigma = STEP_SIGMA * (length / 1000 / TICK_INTERVAL_SECONDS) ** 0.5
        # Boundary prices walked backwards from the last price: prices[i] closes candle i (0 is the open
        # candle) and opens candle i - 1.
        day = max(1, DAY_MS // length)
        prices = [float(self.walk.last)]
        for _ in range(max(KLINES_KEPT, day)):
            prices.append(prices[-1] * (1 - rng.gauss(0, sigma)))
        # Bent (a geometric bridge) to pass through the ticker's 24 h open a day ago, so that the last
        # day of candles and the 24 h change tell the same story; older history keeps the same bend.
        drift = float(self.walk.open) / prices[day] if prices[day] > 0 else 1.0
        prices = [price * drift ** (min(index, day) / day) for index, price in enumerate(prices[: KLINES_KEPT + 1])]
        first_open = now_ms - now_ms % length
        candles: list[Kline] = []
        for index in range(KLINES_KEPT):
            close, opened = prices[index], prices[index + 1]
            wick = abs(rng.gauss(0, sigma / 2)) * close
            open_time = first_open - index * length
            candles.append(
                Kline(
                    symbol=self.walk.symbol,
                    interval=interval,
                    open_time=open_time,
                    close_time=open_time + length - 1,
                    open=self._price(opened),
                    high=self._price(max(opened, close) + wick),
                    low=self._price(max(min(opened, close) - wick, 0.0)),
                    close=self._price(close) if index else str(self.walk.last),
                    volume=str(rng.randint(10, 10_000)),
                    closed=index > 0,
                    source=SIMULATOR,
                )
            )
        candles.reverse()
        return candles

    def step(self, market: Market) -> list[Kline]:
        """The open candle of every interval after this tick (a new one when the period rolled over)."""
        price = Decimal(market.last)
        updated = []
        for interval, length in INTERVAL_MS.items():
            current = self.open[interval]
            open_time = market.event_time - market.event_time % length
            if open_time > current.open_time:
                candle = Kline(
                    symbol=market.symbol, interval=interval, open_time=open_time,
                    close_time=open_time + length - 1, open=current.close, high=market.last, low=market.last,
                    close=market.last, volume="0", closed=False, source=SIMULATOR,
                )  # fmt: skip
                if interval == DAY_INTERVAL:
                    self.day_opens.append(candle.open)
                    self.walk.open = Decimal(self.day_opens[0])
            else:
                candle = current
            traded = Decimal(self.walk.rng.randint(1, 50))
            candle = replace(
                candle,
                high=format(max(Decimal(candle.high), price), "f"),
                low=format(min(Decimal(candle.low), price), "f"),
                close=market.last,
                volume=format(Decimal(candle.volume) + traded, "f"),
            )
            self.open[interval] = candle
            updated.append(candle)
        return updated


class SimulatorFeed:
    """Offline feed; ``interval`` and ``rng_seed`` exist for tests and benchmarks."""

    def __init__(
        self,
        symbols: Sequence[str],
        *,
        interval: float = TICK_INTERVAL_SECONDS,
        rng_seed: int | None = None,
        seeds: Mapping[str, Market] | None = None,
    ) -> None:
        self._symbols = tuple(symbols)
        self._interval = interval
        self._rng = random.Random(rng_seed)  # noqa: S311 - market noise, not a secret
        self._seeds = dict(seeds or {})
        self._running = False

    @property
    def source(self) -> Source:
        return SIMULATOR

    def is_live(self) -> bool:
        return self._running

    def reseed(self, seeds: Mapping[str, Market]) -> None:
        """Start the next run from these prices (the auto feed hands over Binance's last values)."""
        self._seeds = dict(seeds)

    async def run(self, sink: MarketSink, klines: KlineSink | None = None) -> None:
        walks = [_Walk(s, self._rng, self._seeds.get(s)) for s in self._symbols]
        now_ms = int(time.time() * 1000)
        first = [walk.step(now_ms) for walk in walks]
        sink(first)  # a full first batch: the page fills at once
        candles = {m.symbol: _Candles(walk, now_ms) for m, walk in zip(first, walks, strict=True)}
        if klines is not None:
            klines([k for series in candles.values() for k in series.history])

        def tick(batch: list[Market]) -> None:
            sink(batch)
            if klines is not None:
                klines([k for market in batch for k in candles[market.symbol].step(market)])

        # Spread the symbols over the interval, as a real exchange's tickers arrive.
        slots = max(1, min(10, len(walks)))
        self._running = True
        try:
            while True:
                for slot in range(slots):
                    await asyncio.sleep(self._interval / slots)
                    now_ms = int(time.time() * 1000)
                    tick([walk.step(now_ms) for walk in walks[slot::slots]])
        finally:
            self._running = False
