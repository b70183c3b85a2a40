// The coin list: the server-rendered table kept live. Rows are found by their
// data-symbol hook; prices arrive as decimal strings and are shown without float rounding.

import { directionOf, formatChange, formatPrice, formatVolume } from "./format.js";
import { Spark } from "./spark.js";

const DIRECTIONS = ["rise", "fall", "flat"];
const SORT_CYCLE = { none: "descending", descending: "ascending", ascending: "none" };

const FLASHES = ["flash-rise-0", "flash-rise-1", "flash-fall-0", "flash-fall-1"];

function flash(element, direction) {
  // A different animation name restarts the flash; no layout read (no forced reflow per cell).
  const parity = element.dataset.flash === "0" ? "1" : "0";
  element.dataset.flash = parity;
  element.classList.remove(...FLASHES);
  element.classList.add(`flash-${direction === "fall" ? "fall" : "rise"}-${parity}`);
}

export class CoinList {
  constructor(table) {
    this.table = table;
    this.body = table ? table.tBodies[0] : null;
    this.rows = new Map();
    this.markets = new Map();
    this.sortKey = "";
    this.sortOrder = "none";
    if (!table) {
      return;
    }
    for (const row of this.body.rows) {
      const symbol = row.dataset.symbol;
      const line = row.querySelector("svg[data-spark]");
      this.rows.set(symbol, {
        row,
        last: row.querySelector('[data-field="last"]'),
        change: row.querySelector('[data-field="changePct"]'),
        volume: row.querySelector('[data-field="quoteVolume"]'),
        star: row.querySelector('[data-action="watch"]'),
        spark: line ? new Spark(line) : null,
      });
      this.markets.set(symbol, {
        symbol,
        last: row.dataset.last,
        open: row.dataset.open,
        high: row.dataset.high,
        low: row.dataset.low,
        changePct: row.dataset.changePct,
        quoteVolume: row.dataset.quoteVolume,
      });
    }
    table.querySelector("thead").addEventListener("click", (event) => {
      const button = event.target.closest("button[data-sort]");
      if (button) {
        this.sortBy(button.dataset.sort);
      }
    });
  }

  get symbols() {
    return [...this.rows.keys()];
  }

  market(symbol) {
    return this.markets.get(symbol);
  }

  allMarkets() {
    return [...this.markets.values()];
  }

  /** Apply fresh market values; flash the cells that changed unless `quiet`. */
  apply(markets, quiet = false) {
    for (const market of markets) {
      const cells = this.rows.get(market.symbol);
      const previous = this.markets.get(market.symbol);
      if (!cells || !previous) {
        continue;
      }
      this.markets.set(market.symbol, { ...previous, ...market });
      if (market.last !== undefined && market.last !== previous.last) {
        cells.last.textContent = formatPrice(market.last);
        cells.row.dataset.last = market.last;
        if (!quiet) {
          flash(cells.last, Number(market.last) < Number(previous.last) ? "fall" : "rise");
        }
        cells.spark?.update(market.last);
      }
      if (market.changePct !== undefined && market.changePct !== previous.changePct) {
        const text = formatChange(market.changePct);
        cells.row.dataset.changePct = market.changePct;
        if (cells.change.textContent !== text) {
          cells.change.textContent = text;
          cells.change.classList.remove(...DIRECTIONS);
          cells.change.classList.add(directionOf(market.changePct));
        }
      }
      if (market.quoteVolume !== undefined && market.quoteVolume !== previous.quoteVolume) {
        cells.row.dataset.quoteVolume = market.quoteVolume;
        cells.volume.textContent = formatVolume(market.quoteVolume);
      }
    }
  }

  /** Reflect the watchlist on every star. */
  markWatched(isWatched) {
    for (const [symbol, cells] of this.rows) {
      const watched = isWatched(symbol);
      const name = cells.row.querySelector(".coin__name").textContent;
      cells.star.setAttribute("aria-pressed", String(watched));
      cells.star.setAttribute("aria-label", watched ? `${name} 관심 목록에서 빼기` : `${name} 관심 목록에 추가`);
    }
  }

  /** Show only the rows `keep(symbol)` accepts (all with null); returns how many are shown. */
  filter(keep) {
    let shown = 0;
    for (const [symbol, cells] of this.rows) {
      const visible = keep === null || keep(symbol);
      cells.row.hidden = !visible;
      shown += visible ? 1 : 0;
    }
    return shown;
  }

  /** Sort by a column: descending, then ascending, then the original order. */
  sortBy(key) {
    const first = key === "name" ? "ascending" : "descending";
    this.sortOrder = key === this.sortKey ? SORT_CYCLE[this.sortOrder] : first;
    this.sortKey = key;
    for (const header of this.table.querySelectorAll("thead th[aria-sort]")) {
      const button = header.querySelector("button[data-sort]");
      header.setAttribute("aria-sort", button.dataset.sort === key ? this.sortOrder : "none");
    }
    this.applySort();
  }

  /** Keep a live sort true to the latest values, unless that would move focus out of a row. */
  resort() {
    if (this.sortOrder !== "none" && this.sortKey !== "name" && !this.body.contains(document.activeElement)) {
      this.applySort();
    }
  }

  applySort() {
    const key = this.sortKey;
    const rows = [...this.body.rows];
    const sign = this.sortOrder === "ascending" ? 1 : -1;
    const value = (row) => {
      if (key === "name") {
        return row.querySelector(".coin__name").textContent;
      }
      return Number(this.markets.get(row.dataset.symbol)[key]);
    };
    rows.sort((a, b) => {
      if (this.sortOrder === "none") {
        return Number(a.dataset.index) - Number(b.dataset.index);
      }
      const left = value(a);
      const right = value(b);
      if (key === "name") {
        return sign * left.localeCompare(right, "ko");
      }
      return sign * (left - right);
    });
    if (rows.some((row, index) => row !== this.body.rows[index])) {
      this.body.append(...rows);
    }
  }

  /** Scroll a row into view and mark it briefly. */
  reveal(symbol) {
    const cells = this.rows.get(symbol);
    if (!cells) {
      return;
    }
    for (const other of this.body.querySelectorAll(".is-focused")) {
      other.classList.remove("is-focused");
    }
    cells.row.classList.add("is-focused");
    cells.row.scrollIntoView({ block: "center", behavior: "smooth" });
    window.setTimeout(() => cells.row.classList.remove("is-focused"), 2400);
  }
}
