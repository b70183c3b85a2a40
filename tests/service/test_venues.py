"""Venues behind one seam: a second venue is its feed plus one registration, and its name is its label.

The fixture venue (``upbit``, KRW symbols) is registered in a child
interpreter before anything reads the table, exactly as an entry in
``covaex_service.venues.VENUES`` would be, so this test's process keeps the
real registry.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from covaex_service.market.area import default_source
from covaex_service.settings import FEEDS, load_settings
from covaex_service.venues import BINANCE, SIMULATOR, SOURCES, VENUES, is_simulated

SECOND_VENUE = textwrap.dedent(
    """
    import asyncio, re
    from covaex_service import venues

    class KrwFeed:
        source = "upbit"
        symbols = ("BTCKRW",)
        latest = {}
        def is_live(self):
            return True
        async def resync(self, symbols):
            return None
        async def run(self, sink, klines=None):
            from covaex_service.market.model import Market
            sink([Market("BTCKRW", "1", "1", "1", "1", "0", "1", "1", 1, "upbit")])
            await asyncio.sleep(3600)

    UPBIT = venues.Venue(
        name="upbit", symbol_rule=re.compile(r"^[A-Z0-9]{2,10}KRW$"), symbol_example="BTCKRW",
        connect=lambda settings, stats: KrwFeed(),
    )
    # what one more entry in venues.VENUES amounts to
    venues.VENUES["upbit"] = UPBIT
    venues.SOURCES = (*venues.VENUES, venues.SIMULATOR)

    from covaex_service.errors import SettingsError
    from covaex_service.market.area import default_source
    from covaex_service.market.cache.contract import label_of
    from covaex_service.market.candles import Kline
    from covaex_service.market.feeds import AutoFeed, SimulatorFeed, build_feed
    from covaex_service.market.stats import FeedStats
    from covaex_service.openapi import openapi_document
    from covaex_service.settings import load_settings

    settings = load_settings({"COVAEX_FEED": "upbit", "COVAEX_SYMBOLS": "BTCKRW,ETHKRW"})
    feed = build_feed(settings, FeedStats())
    assert isinstance(feed, KrwFeed), feed
    assert default_source(settings) == "upbit"
    try:
        load_settings({"COVAEX_FEED": "upbit", "COVAEX_SYMBOLS": "BTCUSDT"})
    except SettingsError as exc:
        print("refused:", exc)
    auto = AutoFeed(KrwFeed(), SimulatorFeed(("BTCKRW",)))
    assert auto.source == "upbit", auto.source
    got = []
    async def one_batch():
        task = asyncio.create_task(auto.run(got.extend))
        while not got:
            await asyncio.sleep(0.01)
        task.cancel()
    asyncio.run(one_batch())
    assert [m.source for m in got] == ["upbit"], got
    kline = Kline.from_json(
        {"openTime": 0, "open": "1", "high": "1", "low": "1", "close": "1", "volume": "1", "closeTime": 59999},
        "BTCKRW", "1m", "upbit",
    )
    assert label_of([kline]) == "upbit"
    enum = openapi_document()["components"]["schemas"]
    assert any("upbit" in str(schema) for schema in enum.values())
    print("ok")
    """
)


def test_a_second_venue_is_its_feed_plus_one_registration() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SECOND_VENUE], check=False, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "ok"
    assert lines[0] == "refused: COVAEX_SYMBOLS has symbols upbit does not list: BTCUSDT (expected e.g. BTCKRW)"


def test_real_is_any_venue_and_simulated_is_one_label() -> None:
    assert VENUES == {"binance": BINANCE}
    assert SOURCES == ("binance", SIMULATOR)
    assert FEEDS == ("binance", "simulator", "auto")
    assert not is_simulated(BINANCE.name) and is_simulated("simulator")
    assert default_source(load_settings({"COVAEX_FEED": "simulator"})) == SIMULATOR
    assert default_source(load_settings({})) == "binance"  # auto follows the default venue
