from __future__ import annotations

import pytest
from covaex_service.errors import SettingsError
from covaex_service.settings import DEFAULT_SYMBOLS, load_settings


def test_defaults_match_the_contract() -> None:
    s = load_settings({})
    assert s.port == 8000
    assert s.feed == "auto"
    assert s.symbols == DEFAULT_SYMBOLS and len(s.symbols) == 20
    assert s.binance_ws_url == "wss://data-stream.binance.vision"
    assert s.binance_rest_url == "https://data-api.binance.vision"
    assert s.redis_url is None
    assert s.database_url == "sqlite:///var/covaex.db"
    assert s.secret_generated and len(s.secret_key) >= 32


def test_symbols_are_normalised_and_deduplicated() -> None:
    s = load_settings({"COVAEX_SYMBOLS": " btcusdt, ETHUSDT ,btcusdt,1000SATSUSDT"})
    assert s.symbols == ("BTCUSDT", "ETHUSDT", "1000SATSUSDT")


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"COVAEX_PORT": "70000"}, "port must be from 1 to 65535"),
        ({"COVAEX_PORT": "x"}, "COVAEX_PORT must be a whole number"),
        ({"COVAEX_FEED": "kraken"}, "COVAEX_FEED must be one of"),
        ({"COVAEX_SYMBOLS": "BTC-USD"}, "invalid symbols: BTC-USD"),
        ({"COVAEX_BINANCE_WS_URL": "http://x"}, "COVAEX_BINANCE_WS_URL must be a ws/wss URL"),
        ({"COVAEX_REDIS_URL": "localhost:6379"}, "COVAEX_REDIS_URL must start with"),
        ({"COVAEX_DATABASE_URL": "mysql://x"}, "COVAEX_DATABASE_URL must be"),
        ({"COVAEX_ENV": "prod", "COVAEX_SECRET_KEY": "changeme"}, "placeholder"),
        ({"COVAEX_ENV": "prod"}, "must be set outside dev"),
        ({"COVAEX_ENV": "staging"}, "COVAEX_ENV must be"),
        ({"COVAEX_PROXIES_COUNT": "-1"}, "COVAEX_PROXIES_COUNT must be a whole number"),
    ],
)
def test_bad_values_are_refused_with_a_clear_message(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(SettingsError, match=fragment):
        load_settings(env)


def test_prod_accepts_a_real_secret() -> None:
    s = load_settings({"COVAEX_ENV": "prod", "COVAEX_SECRET_KEY": "k" * 40})
    assert not s.secret_generated


def test_workers_need_redis() -> None:
    with pytest.raises(SettingsError, match="COVAEX_REDIS_URL"):
        load_settings({}).with_overrides(workers=2)
    assert load_settings({"COVAEX_REDIS_URL": "redis://127.0.0.1:6379/0"}).with_overrides(workers=2).workers == 2
