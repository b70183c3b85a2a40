// One coin's page (/coins/<SYMBOL>): price, 24 h stats and the star kept live, a candle
// chart with intervals, and a back button that returns to the list where it was.

import { config } from "./config.js";
import { CandleChart } from "./chart.js";
import { directionOf, formatChange, formatPrice, formatVolume } from "./format.js";
import { LiveFeed } from "./live.js";
import { MarketBook } from "./markets.js";
import { $, Shell } from "./shell.js";
import { rememberViewed } from "./store.js";

const main = $("main[data-symbol]");
const symbol = main.dataset.symbol;
const book = new MarketBook(config.markets || []);
const shell = new Shell(book, { symbol });
const chart = new CandleChart($("#chart"), $("[data-chart-status]"), symbol);
const star = $('.coin-head [data-action="toggle-watch"]');
const starLabel = star.getAttribute("aria-label").replace(/ 관심 목록에 추가$/, "");
const DIRECTIONS = ["rise", "fall", "flat"];

rememberViewed(symbol);

function renderStar() {
  const watched = shell.session.has(symbol);
  star.setAttribute("aria-pressed", String(watched));
  star.setAttribute("aria-label", watched ? `${starLabel} 관심 목록에서 빼기` : `${starLabel} 관심 목록에 추가`);
}

function renderMarket() {
  const market = book.market(symbol);
  if (!market || !market.last) {
    return;
  }
  const fields = {
    last: formatPrice(market.last),
    changePct: formatChange(market.changePct),
    open: formatPrice(market.open),
    high: formatPrice(market.high),
    low: formatPrice(market.low),
    volume: formatVolume(market.volume),
    quoteVolume: formatVolume(market.quoteVolume),
  };
  for (const [key, text] of Object.entries(fields)) {
    const node = main.querySelector(`[data-field="${key}"]`);
    if (node && node.textContent !== text) {
      node.textContent = text;
    }
  }
  const change = main.querySelector('[data-field="changePct"]');
  const direction = directionOf(market.changePct);
  if (!change.classList.contains(direction)) {
    change.classList.remove(...DIRECTIONS);
    change.classList.add(direction);
  }
}

// The back button returns to the list where the visitor left it: history when they came
// from it (the browser restores the scroll), the list at this coin's row otherwise.
shell.actions.back = (target, event) => {
  const from = document.referrer ? new URL(document.referrer) : null;
  if (from && from.origin === window.location.origin && from.pathname === "/" && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
};

function choose(interval) {
  for (const button of document.querySelectorAll(".intervals [data-interval]")) {
    button.setAttribute("aria-pressed", String(button.dataset.interval === interval));
  }
  chart.show(interval);
  feed.watchKlines(symbol, interval);
}

const feed = new LiveFeed(config.wsPath, config.symbols || [symbol]);
shell.follow(feed);
feed.addEventListener("markets", (event) => {
  book.apply(event.detail.markets);
  renderMarket();
  shell.paintPrices();
});
feed.addEventListener("kline", (event) => {
  if (event.detail.symbol === symbol) {
    chart.update(event.detail.interval, event.detail.kline);
  }
});
for (const button of document.querySelectorAll(".intervals [data-interval]")) {
  button.addEventListener("click", () => choose(button.dataset.interval));
}
shell.session.addEventListener("change", renderStar);

feed.start();
choose(document.querySelector('.intervals [aria-pressed="true"]').dataset.interval);
renderStar();
shell.start();
document.documentElement.dataset.ready = "true";
