"""Binance payload parsing, replaying the recorded frames in tests/fixtures/binance."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from covaex_service.market.feeds.binance import (
    CommandReply,
    MalformedFrame,
    ServerShutdown,
    TickerEvent,
    combined_stream_url,
    parse_rest_tickers,
    parse_stream_frame,
    stream_name,
    ticker_url,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "binance"


def recorded_frames() -> list[str]:
    return (FIXTURES / "combined_stream.jsonl").read_text().splitlines()


def test_recorded_ticker_frames_keep_prices_exact() -> None:
    markets = {}
    for frame in recorded_frames():
        parsed = parse_stream_frame(frame)
        assert isinstance(parsed, TickerEvent)
        markets[parsed.market.symbol] = parsed.market
    assert markets["PEPEUSDT"].last == "0.00001234"
    assert markets["PEPEUSDT"].quote_volume == "120480000.12345678"
    assert markets["1000SATSUSDT"].last == "0.0003195"
    assert markets["1000SATSUSDT"].change_pct == "-0.312"
    assert markets["BTCUSDT"].event_time == 1732600000123
    assert all(m.source == "binance" for m in markets.values())


def test_mini_ticker_change_is_computed_exactly() -> None:
    eth = parse_stream_frame(recorded_frames()[3])
    assert isinstance(eth, TickerEvent)
    assert eth.market.change_pct == "3.125"  # (3300 - 3200) / 3200 * 100


@pytest.mark.parametrize("frame", (FIXTURES / "malformed.txt").read_text().splitlines())
def test_malformed_frames_raise_a_clear_error(frame: str) -> None:
    with pytest.raises(MalformedFrame):
        parse_stream_frame(frame)


def test_control_frames() -> None:
    assert parse_stream_frame('{"result":null,"id":7}') == CommandReply(id=7, error=None)
    refused = parse_stream_frame('{"code":2,"msg":"Invalid request","id":8}')
    assert isinstance(refused, CommandReply) and refused.id == 8 and "Invalid request" in (refused.error or "")
    assert parse_stream_frame('{"e":"serverShutdown","E":1732600000000}') == ServerShutdown(1732600000000)
    wrapped = '{"stream":"btcusdt@ticker","data":{"e":"serverShutdown","E":5}}'
    assert parse_stream_frame(wrapped) == ServerShutdown(5)


def test_rest_answer_parses_and_counts_bad_entries() -> None:
    body = json.loads((FIXTURES / "ticker_24hr.json").read_text())
    markets, skipped = parse_rest_tickers([*body, {"symbol": "BADUSDT", "lastPrice": 1}])
    assert skipped == 1
    assert [m.symbol for m in markets] == ["BTCUSDT", "PEPEUSDT", "1000SATSUSDT", "ETHUSDT"]
    assert markets[1].last == "0.00001234"
    with pytest.raises(MalformedFrame):
        parse_rest_tickers({"code": -1121, "msg": "Invalid symbol."})


def test_urls_follow_the_documented_shapes() -> None:
    assert stream_name("1000SATSUSDT") == "1000satsusdt@ticker"
    url = combined_stream_url("wss://data-stream.binance.vision/", ["btcusdt@ticker", "ethusdt@ticker"])
    assert url == "wss://data-stream.binance.vision/stream?streams=btcusdt@ticker/ethusdt@ticker"
    rest = urlsplit(ticker_url("https://data-api.binance.vision", ["BTCUSDT", "ETHUSDT"]))
    assert rest.path == "/api/v3/ticker/24hr"
    assert json.loads(parse_qs(rest.query)["symbols"][0]) == ["BTCUSDT", "ETHUSDT"]
