"""The offline simulator: labelled, Binance-shaped decimal strings, realistic levels, full first batch."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Sequence
from decimal import Decimal

from covaex_service.market.candles import DAY_CANDLES, DAY_INTERVAL, INTERVAL_MS
from covaex_service.market.feeds.simulator import REFERENCE_PRICES, SimulatorFeed, _Candles, _Walk, tick_size
from covaex_service.market.model import Market, change_pct
from covaex_service.settings import DEFAULT_SYMBOLS

from tests.support.wait import eventually


async def test_simulated_ticks_are_labelled_and_exact() -> None:
    batches: list[Sequence[Market]] = []
    feed = SimulatorFeed((*DEFAULT_SYMBOLS, "1000SATSUSDT"), interval=0.02, rng_seed=1)
    task = asyncio.create_task(feed.run(batches.append))
    await eventually(lambda: sum(len(b) for b in batches) >= 200, what="200 simulated ticks")
    assert feed.is_live() and feed.source == "simulator"
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert not feed.is_live()
    assert {m.symbol for m in batches[0]} == {*DEFAULT_SYMBOLS, "1000SATSUSDT"}  # the page fills at once
    markets = [m for batch in batches for m in batch]
    assert all(m.source == "simulator" for m in markets)
    for m in markets:
        last = Decimal(m.last)
        assert Decimal(m.low) <= last <= Decimal(m.high)
        reference = REFERENCE_PRICES.get(m.symbol)
        if reference is not None:
            assert Decimal(reference) / 2 < last < Decimal(reference) * 2
    pepe = [m.last for m in markets if m.symbol == "PEPEUSDT"]
    assert all(p.startswith("0.00000") and len(p.split(".")[1]) == 8 for p in pepe)


def test_tick_sizes_follow_the_price_scale() -> None:
    assert tick_size(Decimal("95000")) == Decimal("0.01")
    assert tick_size(Decimal("0.0000045")) == Decimal("0.00000001")
    assert tick_size(Decimal("2.2")) == Decimal("0.000001")


async def test_reseeded_simulator_continues_from_given_prices() -> None:
    seed = Market("BTCUSDT", "90000.00", "89000.00", "91000.00", "88000.00", "1.124", "10", "900000.00", 1, "binance")
    feed = SimulatorFeed(["BTCUSDT"], interval=0.01, rng_seed=3)
    feed.reseed({"BTCUSDT": seed})
    batches: list[Sequence[Market]] = []
    task = asyncio.create_task(feed.run(batches.append))
    await asyncio.sleep(0)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    first = batches[0][0]
    assert first.open == "89000.00" and first.source == "simulator"
    assert abs(Decimal(first.last) - Decimal("90000.00")) < Decimal("500")


def test_the_24h_open_rolls_with_the_hourly_candles_as_an_hour_turns() -> None:
    # The list's 24 h line starts at the open of the oldest of the last 24 hourly candles; the row's
    # change is against the ticker's 24 h open. Past an hour boundary both must have moved on together.
    hour = INTERVAL_MS[DAY_INTERVAL]
    start = 1_764_000_000_000 // hour * hour + hour - 500  # half a second before an hour turns
    walk = _Walk("BTCUSDT", random.Random(3), None)
    candles = _Candles(walk, start)
    hourly = [k for k in candles.history if k.interval == DAY_INTERVAL]
    assert walk.open == Decimal(hourly[-DAY_CANDLES].open)  # the bridge: they agree at the start

    series = hourly[-DAY_CANDLES:]
    for now in (start + 100, start + 1_000, start + 2_000):  # the last tick is past the hour
        market = walk.step(now)
        live = next(k for k in candles.step(market) if k.interval == DAY_INTERVAL)
        series = [*series[:-1], live] if live.open_time == series[-1].open_time else [*series[1:], live]
    assert series[-1].open_time == start + 500  # a new hourly candle opened
    assert walk.open == Decimal(series[0].open) != Decimal(hourly[-DAY_CANDLES].open)
    market = walk.step(start + 3_000)
    assert market.open == series[0].open and market.change_pct == change_pct(market.last, series[0].open)
