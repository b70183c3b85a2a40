"""Display names of the coins the main page may show: symbol -> (Korean, English).

The search box matches a symbol, its base asset, or either name; the page
shows the Korean name with the English one as a hint. An unknown base asset
falls back to its own ticker so a new ``COVAEX_SYMBOLS`` entry still renders.
"""

from __future__ import annotations

from dataclasses import dataclass

# Quote assets stripped from a pair to find its base asset, longest first.
QUOTE_ASSETS: tuple[str, ...] = ("FDUSD", "USDT", "USDC", "BUSD", "TUSD", "BTC", "ETH", "KRW")

COIN_NAMES: dict[str, tuple[str, str]] = {
    "BTC": ("비트코인", "Bitcoin"),
    "ETH": ("이더리움", "Ethereum"),
    "BNB": ("바이낸스코인", "BNB"),
    "SOL": ("솔라나", "Solana"),
    "XRP": ("엑스알피", "XRP"),
    "DOGE": ("도지코인", "Dogecoin"),
    "ADA": ("에이다", "Cardano"),
    "TRX": ("트론", "TRON"),
    "AVAX": ("아발란체", "Avalanche"),
    "LINK": ("체인링크", "Chainlink"),
    "DOT": ("폴카닷", "Polkadot"),
    "TON": ("톤코인", "Toncoin"),
    "SHIB": ("시바이누", "Shiba Inu"),
    "LTC": ("라이트코인", "Litecoin"),
    "BCH": ("비트코인캐시", "Bitcoin Cash"),
    "UNI": ("유니스왑", "Uniswap"),
    "NEAR": ("니어프로토콜", "NEAR Protocol"),
    "APT": ("앱토스", "Aptos"),
    "SUI": ("수이", "Sui"),
    "PEPE": ("페페", "Pepe"),
    "ATOM": ("코스모스", "Cosmos"),
    "ETC": ("이더리움클래식", "Ethereum Classic"),
    "XLM": ("스텔라루멘", "Stellar"),
    "FIL": ("파일코인", "Filecoin"),
    "ARB": ("아비트럼", "Arbitrum"),
    "OP": ("옵티미즘", "Optimism"),
    "POL": ("폴리곤", "Polygon"),
    "HBAR": ("헤데라", "Hedera"),
    "ICP": ("인터넷컴퓨터", "Internet Computer"),
    "AAVE": ("에이브", "Aave"),
}


@dataclass(frozen=True)
class CoinName:
    """How one market is named on the page."""

    symbol: str
    base: str
    quote: str
    ko: str
    en: str


def coin_name(symbol: str) -> CoinName:
    """Split ``symbol`` (e.g. ``BTCUSDT``) into base/quote and look up its names."""
    base, quote = symbol, ""
    for candidate in QUOTE_ASSETS:
        if symbol.endswith(candidate) and len(symbol) > len(candidate):
            base, quote = symbol[: -len(candidate)], candidate
            break
    ko, en = COIN_NAMES.get(base, (base, base))
    return CoinName(symbol=symbol, base=base, quote=quote, ko=ko, en=en)
