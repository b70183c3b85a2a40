// Keyword chips (top gainers, top losers, most traded) recomputed from live data.
// Same rule as chip_groups() in ui/page.py.

import { coinInfo } from "./config.js";
import { directionOf, formatChange, formatVolume } from "./format.js";

const CHIP_COUNT = 3;

export function rankMarkets(markets) {
  const byChange = [...markets].sort((a, b) => Number(a.changePct) - Number(b.changePct));
  const byVolume = [...markets].sort((a, b) => Number(b.quoteVolume) - Number(a.quoteVolume));
  return {
    gainers: [...byChange].reverse().slice(0, CHIP_COUNT),
    losers: byChange.slice(0, CHIP_COUNT),
    traded: byVolume.slice(0, CHIP_COUNT),
  };
}

function chipElement(market, group) {
  const info = coinInfo(market.symbol);
  const item = document.createElement("li");
  const link = document.createElement("a");
  link.className = "chip";
  link.href = `/coins/${market.symbol}`;
  link.dataset.action = "view";
  link.dataset.target = market.symbol;
  const name = document.createElement("span");
  name.className = "chip__name";
  name.textContent = info.ko;
  const value = document.createElement("span");
  const volume = group === "traded";
  value.className = `chip__value ${volume ? "flat" : directionOf(market.changePct)}`;
  value.textContent = volume ? formatVolume(market.quoteVolume) : formatChange(market.changePct);
  link.append(name, value);
  item.append(link);
  return item;
}

/** Re-render the chip lists under `root` from `markets`; unchanged lists are left alone. */
export function renderKeywords(root, markets) {
  const ranked = rankMarkets(markets);
  for (const [group, picked] of Object.entries(ranked)) {
    const list = root.querySelector(`[data-chips="${group}"] .chips`);
    if (!list) {
      continue;
    }
    const fresh = picked.map((market) => chipElement(market, group));
    const same =
      fresh.length === list.children.length &&
      fresh.every((item, index) => item.textContent === list.children[index].textContent);
    if (!same) {
      list.replaceChildren(...fresh);
    }
  }
}

/** The hero's counts of rising and falling coins and the total traded. */
export function renderSummary(root, markets) {
  const fields = {
    rising: String(markets.filter((market) => directionOf(market.changePct) === "rise").length),
    falling: String(markets.filter((market) => directionOf(market.changePct) === "fall").length),
    volume: formatVolume(markets.reduce((total, market) => total + (Number(market.quoteVolume) || 0), 0)),
  };
  for (const [name, text] of Object.entries(fields)) {
    const field = root.querySelector(`[data-summary="${name}"]`);
    if (field && field.textContent !== text) {
      field.textContent = text;
    }
  }
}
