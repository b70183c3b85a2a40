"""Typed service settings, read once from ``COVAEX_*`` environment variables.

Every value is validated when the settings are built, so a bad variable stops
the process at start with one clear line instead of failing on first use.
The variable names and defaults are the public contract (INTERFACE.md).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal
from urllib.parse import urlsplit

from covaex_service.errors import SettingsError
from covaex_service.venues import DEFAULT_VENUE, SIMULATOR, SYMBOL_SHAPE, VENUES

Feed = str
"""A ``COVAEX_FEED`` value: one of :data:`FEEDS`."""
Environment = Literal["dev", "prod"]

AUTO = "auto"
"""The default feed: :data:`~covaex_service.venues.DEFAULT_VENUE`, falling back to the simulator."""
FEEDS: tuple[Feed, ...] = (*VENUES, SIMULATOR, AUTO)
"""Every ``COVAEX_FEED`` value: each venue by name (:mod:`covaex_service.venues`), ``simulator`` and ``auto``."""

DEFAULT_SYMBOLS: tuple[str, ...] = (
    "BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT",
    "DOGEUSDT", "ADAUSDT", "TRXUSDT", "AVAXUSDT", "LINKUSDT",
    "DOTUSDT", "TONUSDT", "SHIBUSDT", "LTCUSDT", "BCHUSDT",
    "UNIUSDT", "NEARUSDT", "APTUSDT", "SUIUSDT", "PEPEUSDT",
)  # fmt: skip

# Values that look like a secret but are not one; refused outside dev.
PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "dev", "development", "placeholder", "xxx"})
MIN_SECRET_LENGTH = 32


@dataclass(frozen=True)
class Settings:
    """Service configuration; build it with :func:`load_settings`."""

    env: Environment = "dev"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    feed: Feed = AUTO
    symbols: tuple[str, ...] = DEFAULT_SYMBOLS
    binance_ws_url: str = "wss://data-stream.binance.vision"
    binance_rest_url: str = "https://data-api.binance.vision"
    redis_url: str | None = None
    database_url: str = "sqlite:///var/covaex.db"
    # Reverse proxies in front of the service (1 behind the ALB), so the client
    # address used by the login rate limit is the real one, not the proxy's.
    proxies_count: int = 0
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    # True when the secret was generated for this process (dev only).
    secret_generated: bool = False

    def with_overrides(
        self,
        *,
        host: str | None = None,
        port: int | None = None,
        workers: int | None = None,
        feed: str | None = None,
    ) -> Settings:
        """Return a copy with the CLI's overrides (``None`` keeps a value), validated again."""
        updated = replace(
            self,
            host=self.host if host is None else host,
            port=self.port if port is None else port,
            workers=self.workers if workers is None else workers,
            feed=self.feed if feed is None else _parse_feed(feed, "--feed"),
        )
        _validate(updated)
        return updated


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate settings from ``environ`` (default: ``os.environ``)."""
    env = os.environ if environ is None else environ

    def get(name: str) -> str | None:
        value = env.get(f"COVAEX_{name}")
        return value.strip() if value is not None and value.strip() != "" else None

    environment = get("ENV") or "dev"
    if environment not in ("dev", "prod"):
        raise SettingsError(f"COVAEX_ENV must be 'dev' or 'prod', got {environment!r}")

    secret = get("SECRET_KEY")
    settings = Settings(
        env=environment,  # type: ignore[arg-type]
        host=get("HOST") or Settings.host,
        port=_parse_port(get("PORT"), "COVAEX_PORT") if get("PORT") else Settings.port,
        feed=_parse_feed(get("FEED") or Settings.feed, "COVAEX_FEED"),
        symbols=parse_symbols(get("SYMBOLS"), "COVAEX_SYMBOLS") if get("SYMBOLS") else DEFAULT_SYMBOLS,
        binance_ws_url=get("BINANCE_WS_URL") or Settings.binance_ws_url,
        binance_rest_url=get("BINANCE_REST_URL") or Settings.binance_rest_url,
        redis_url=get("REDIS_URL"),
        database_url=get("DATABASE_URL") or Settings.database_url,
        proxies_count=_parse_count(get("PROXIES_COUNT"), "COVAEX_PROXIES_COUNT") if get("PROXIES_COUNT") else 0,
        secret_key=secret if secret is not None else secrets.token_urlsafe(32),
        secret_generated=secret is None,
    )
    _validate(settings)
    return settings


def parse_symbols(raw: str | None, source: str) -> tuple[str, ...]:
    """Parse a comma-separated symbol list: upper-cased, de-duplicated, order kept."""
    items = [part.strip().upper() for part in (raw or "").split(",") if part.strip()]
    if not items:
        raise SettingsError(f"{source} must list at least one symbol, e.g. BTCUSDT,ETHUSDT")
    bad = [s for s in items if not SYMBOL_SHAPE.match(s)]
    if bad:
        raise SettingsError(f"{source} has invalid symbols: {', '.join(bad)} (expected e.g. BTCUSDT)")
    return tuple(dict.fromkeys(items))


def _parse_port(raw: str | None, source: str) -> int:
    try:
        port = int(raw or "")
    except ValueError:
        raise SettingsError(f"{source} must be a whole number from 1 to 65535, got {raw!r}") from None
    return port


def _parse_count(raw: str | None, source: str) -> int:
    try:
        value = int(raw or "")
    except ValueError:
        raise SettingsError(f"{source} must be a whole number of at least 0, got {raw!r}") from None
    if value < 0:
        raise SettingsError(f"{source} must be a whole number of at least 0, got {raw!r}")
    return value


def _parse_feed(raw: str, source: str) -> Feed:
    if raw not in FEEDS:
        raise SettingsError(f"{source} must be one of {', '.join(FEEDS)}, got {raw!r}")
    return raw


def _validate(s: Settings) -> None:
    if not 1 <= s.port <= 65535:
        raise SettingsError(f"port must be from 1 to 65535, got {s.port}")
    if s.workers < 1:
        raise SettingsError(f"workers must be at least 1, got {s.workers}")
    if s.feed not in FEEDS:
        raise SettingsError(f"feed must be one of {', '.join(FEEDS)}, got {s.feed!r}")
    venue = DEFAULT_VENUE if s.feed == AUTO else VENUES.get(s.feed)
    if venue is not None and (unlisted := venue.check_symbols(s.symbols)):
        raise SettingsError(
            f"COVAEX_SYMBOLS has symbols {venue.name} does not list: {', '.join(unlisted)}"
            f" (expected e.g. {venue.symbol_example})"
        )
    for name, url, schemes in (
        ("COVAEX_BINANCE_WS_URL", s.binance_ws_url, ("ws", "wss")),
        ("COVAEX_BINANCE_REST_URL", s.binance_rest_url, ("http", "https")),
    ):
        parts = urlsplit(url)
        if parts.scheme not in schemes or not parts.netloc:
            raise SettingsError(f"{name} must be a {'/'.join(schemes)} URL, got {url!r}")
    if s.redis_url is not None and urlsplit(s.redis_url).scheme not in ("redis", "rediss", "unix"):
        raise SettingsError(f"COVAEX_REDIS_URL must start with redis://, rediss:// or unix://, got {s.redis_url!r}")
    if not (s.database_url.startswith("sqlite:///") or s.database_url.startswith(("postgresql://", "postgres://"))):
        raise SettingsError(f"COVAEX_DATABASE_URL must be sqlite:///path or postgresql://..., got {s.database_url!r}")
    if s.workers > 1 and s.redis_url is None:
        raise SettingsError(
            "several workers need a shared cache: set COVAEX_REDIS_URL (the embedded cache is single-process only)"
        )
    weak = s.secret_key.lower() in PLACEHOLDER_SECRETS or len(s.secret_key) < MIN_SECRET_LENGTH
    if s.env != "dev" and not s.secret_generated and weak:
        raise SettingsError(
            f"COVAEX_SECRET_KEY is a placeholder or shorter than {MIN_SECRET_LENGTH} characters; "
            "set a random value outside dev"
        )
    if s.env != "dev" and s.secret_generated:
        raise SettingsError(
            "COVAEX_SECRET_KEY must be set outside dev (a generated key would log everyone out on restart)"
        )
