// The page's configuration, rendered by the server as JSON (one source of truth for
// the guest-watchlist schema and the coin names).

const element = document.getElementById("covaex-config");

export const config = Object.freeze(JSON.parse(element ? element.textContent : "{}"));

/** Base asset, quote asset and names of a market symbol such as "BTCUSDT". */
export function coinInfo(symbol) {
  let base = symbol;
  let quote = "";
  for (const candidate of config.quoteAssets || []) {
    if (symbol.endsWith(candidate) && symbol.length > candidate.length) {
      base = symbol.slice(0, -candidate.length);
      quote = candidate;
      break;
    }
  }
  const names = (config.names || {})[base] || { ko: base, en: base };
  return { symbol, base, quote, ko: names.ko, en: names.en };
}
