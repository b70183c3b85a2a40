// The latest value of every market, for pages without the list (the coin page):
// the same market()/allMarkets() the panels and search read from the list page's CoinList.

export class MarketBook {
  constructor(markets = []) {
    this.markets = new Map(markets.map((market) => [market.symbol, market]));
  }

  market(symbol) {
    return this.markets.get(symbol);
  }

  allMarkets() {
    return [...this.markets.values()];
  }

  apply(markets) {
    for (const market of markets) {
      this.markets.set(market.symbol, { ...this.markets.get(market.symbol), ...market });
    }
  }
}
