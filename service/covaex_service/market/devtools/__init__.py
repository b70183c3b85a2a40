"""Development tools of the market area (a local Binance-protocol server); not used in production."""
