"""The offline simulator: labelled, Binance-shaped decimal strings, realistic levels, full first batch."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from decimal import Decimal

from covaex_service.market.feeds.simulator import REFERENCE_PRICES, SimulatorFeed, tick_size
from covaex_service.market.model import Market
from covaex_service.settings import DEFAULT_SYMBOLS

from .conftest import eventually


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
