// The main page (the market list): the server-rendered table kept live, the keyword
// chips and the summary, on top of the shared shell (header, panels, login, toasts).

import { CoinList } from "./coins.js";
import { config } from "./config.js";
import { renderKeywords, renderSummary } from "./keywords.js";
import { LiveFeed } from "./live.js";
import { $, Shell, coinHref } from "./shell.js";

const KEYWORDS_EVERY_MS = 2000;
const ROW_HASH = /^#row-([A-Z0-9]{2,20})$/;

// An old link to a row (/#row-ETHUSDT) opens that coin's page, without a history entry.
const linked = ROW_HASH.exec(window.location.hash);
if (linked && config.symbols.includes(linked[1])) {
  window.location.replace(coinHref(linked[1]));
}

const coins = new CoinList($("table.coins"));
const shell = new Shell(coins);
shell.actions.watch = (target) => shell.toggleWatch(target.closest("[data-symbol]").dataset.symbol);
let onlyWatched = false;

// The 관심 tab: the same table, only the starred rows (it follows stars made anywhere).
function applyFilter() {
  const watched = (symbol) => shell.session.has(symbol);
  const shown = coins.filter(onlyWatched ? watched : null);
  $("[data-watch-empty]").hidden = !(onlyWatched && shown === 0);
  for (const tab of document.querySelectorAll(".list-tab[data-filter]")) {
    tab.setAttribute("aria-pressed", String((tab.dataset.filter === "watch") === onlyWatched));
  }
}

for (const tab of document.querySelectorAll(".list-tab[data-filter]")) {
  tab.addEventListener("click", () => {
    onlyWatched = tab.dataset.filter === "watch";
    applyFilter();
  });
}

shell.session.addEventListener("change", () => {
  coins.markWatched((symbol) => shell.session.has(symbol));
  applyFilter();
});

const symbols = coins.symbols.length > 0 ? coins.symbols : config.symbols || [];
let keywordsDue = 0;
let paintRequested = false;
const pending = new Map();

function paint() {
  shell.paintPrices();
  const now = Date.now();
  if (now >= keywordsDue) {
    keywordsDue = now + KEYWORDS_EVERY_MS;
    renderKeywords($(".keywords"), coins.allMarkets());
    renderSummary($(".hero"), coins.allMarkets());
    coins.resort();
  }
}

if (symbols.length > 0) {
  const feed = new LiveFeed(config.wsPath, symbols);
  shell.follow(feed);
  feed.addEventListener("markets", (event) => {
    const { kind, markets: fresh } = event.detail;
    if (coins.rows.size === 0 && fresh.length > 0) {
      // Rendered before the service had any prices: render again now that it has them.
      window.location.reload();
      return;
    }
    if (kind === "snapshot") {
      pending.clear();
      coins.apply(fresh, true);
      paint();
      return;
    }
    // Updates arrive per symbol; paint them once per animation frame.
    for (const market of fresh) {
      pending.set(market.symbol, { ...pending.get(market.symbol), ...market });
    }
    if (!paintRequested) {
      paintRequested = true;
      window.requestAnimationFrame(() => {
        paintRequested = false;
        coins.apply([...pending.values()]);
        pending.clear();
        paint();
      });
    }
  });
  feed.start();
}

coins.markWatched((symbol) => shell.session.has(symbol));
shell.start();
document.documentElement.dataset.ready = "true";
