"""The normalized market type keeps decimal strings exact and refuses anything else with a clear error."""

from __future__ import annotations

from decimal import Decimal

import pytest
from covaex_service.market.model import InvalidMarket, Market, change_pct, decimal_string
from hypothesis import given
from hypothesis import strategies as st


def market(**overrides: object) -> Market:
    fields: dict[str, object] = {
        "symbol": "PEPEUSDT", "last": "0.00001234", "open": "0.00001213", "high": "0.00001301",
        "low": "0.00001190", "change_pct": "1.732", "volume": "9876543210123.00", "quote_volume": "120480000.12345678",
        "event_time": 1732600000456, "source": "binance",
    }  # fmt: skip
    fields.update(overrides)
    return Market(**fields)  # type: ignore[arg-type]


def test_json_round_trip_keeps_strings_exact() -> None:
    original = market()
    data = original.to_json()
    assert data["last"] == "0.00001234"
    assert data["quoteVolume"] == "120480000.12345678"
    assert Market.from_json(data, "binance") == original


@pytest.mark.parametrize("bad", [1.5, "1e-5", "", "0x10", " 1.0", "1.", None, "NaN"])
def test_non_decimal_strings_are_refused(bad: object) -> None:
    with pytest.raises(InvalidMarket, match="decimal string"):
        market(last=bad)


@pytest.mark.parametrize("bad", ["btcusdt", "BTC-USDT", "", 5])
def test_bad_symbols_are_refused(bad: object) -> None:
    with pytest.raises(InvalidMarket, match="symbol"):
        market(symbol=bad)


def test_event_time_must_be_integer_milliseconds() -> None:
    with pytest.raises(InvalidMarket, match="event_time"):
        market(event_time=True)
    with pytest.raises(InvalidMarket, match="event_time"):
        market(event_time=1.5)


def test_from_json_names_missing_fields() -> None:
    with pytest.raises(InvalidMarket, match="missing changePct"):
        Market.from_json({k: v for k, v in market().to_json().items() if k != "changePct"}, "binance")


@given(
    st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("1000000"), places=8),
    st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("1000000"), places=8),
)
def test_change_pct_is_exact_decimal_arithmetic(last: Decimal, opened: Decimal) -> None:
    got = Decimal(change_pct(str(last), str(opened)))
    assert got == ((last - opened) / opened * 100).quantize(Decimal("0.001"))
    assert decimal_string(change_pct(str(last), str(opened)), "changePct")
