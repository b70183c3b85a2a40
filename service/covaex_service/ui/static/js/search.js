// The header search: a combobox over the known markets (symbol, Korean or English name),
// navigable with the arrow keys, Enter and Escape.

import { coinInfo } from "./config.js";
import { formatPrice } from "./format.js";

const MAX_RESULTS = 8;

function score(info, query) {
  const base = info.base.toLowerCase();
  const symbol = info.symbol.toLowerCase();
  const en = info.en.toLowerCase();
  if (base === query || symbol === query || info.ko === query || en === query) {
    return 0;
  }
  if (base.startsWith(query) || symbol.startsWith(query)) {
    return 1;
  }
  if (info.ko.startsWith(query) || en.startsWith(query)) {
    return 2;
  }
  if (info.ko.includes(query) || en.includes(query) || symbol.includes(query)) {
    return 3;
  }
  return -1;
}

/** Markets matching `query`, best first. */
export function searchMarkets(symbols, query) {
  const needle = query.trim().toLowerCase();
  if (!needle) {
    return [];
  }
  return symbols
    .map((symbol) => ({ info: coinInfo(symbol), rank: score(coinInfo(symbol), needle) }))
    .filter((hit) => hit.rank >= 0)
    .sort((a, b) => a.rank - b.rank)
    .slice(0, MAX_RESULTS)
    .map((hit) => hit.info);
}

export class SearchBox {
  constructor(input, list, { symbols, priceOf, onSelect }) {
    this.input = input;
    this.list = list;
    this.symbols = symbols;
    this.priceOf = priceOf;
    this.onSelect = onSelect;
    this.results = [];
    this.active = -1;
    input.addEventListener("input", () => this.update());
    input.addEventListener("keydown", (event) => this.onKey(event));
    input.addEventListener("focus", () => this.update());
    input.addEventListener("blur", () => window.setTimeout(() => this.close(), 150));
    list.addEventListener("mousedown", (event) => event.preventDefault());
    list.addEventListener("click", (event) => {
      const option = event.target.closest("[role=option]");
      if (option) {
        this.choose(Number(option.dataset.index));
      }
    });
  }

  update() {
    this.results = searchMarkets(this.symbols, this.input.value);
    this.active = this.results.length > 0 ? 0 : -1;
    this.render();
  }

  render() {
    const query = this.input.value.trim();
    if (!query) {
      this.close();
      return;
    }
    const options = this.results.map((info, index) => {
      const option = document.createElement("li");
      option.id = `search-option-${index}`;
      option.className = "search__option";
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", String(index === this.active));
      option.dataset.index = String(index);
      option.dataset.coin = info.symbol;
      const icon = document.createElement("span");
      icon.className = "coin__icon";
      icon.dataset.base = info.base;
      icon.setAttribute("aria-hidden", "true");
      icon.textContent = info.base.slice(0, 1);
      const names = document.createElement("span");
      names.className = "coin__names";
      const name = document.createElement("span");
      name.className = "search__option-name";
      name.textContent = info.ko;
      const meta = document.createElement("span");
      meta.className = "search__option-meta";
      meta.textContent = `${info.base} · ${info.en}`;
      names.append(name, meta);
      const price = document.createElement("span");
      price.className = "search__option-price";
      const last = this.priceOf(info.symbol);
      price.textContent = last ? formatPrice(last) : "";
      option.append(icon, names, price);
      return option;
    });
    if (options.length === 0) {
      const empty = document.createElement("li");
      empty.className = "search__empty";
      empty.setAttribute("role", "presentation");
      empty.textContent = `'${query}'에 맞는 코인이 없어요`;
      options.push(empty);
    }
    this.list.replaceChildren(...options);
    this.list.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
    this.syncActive();
  }

  syncActive() {
    for (const option of this.list.querySelectorAll("[role=option]")) {
      option.setAttribute("aria-selected", String(Number(option.dataset.index) === this.active));
    }
    if (this.active >= 0) {
      this.input.setAttribute("aria-activedescendant", `search-option-${this.active}`);
      const option = this.list.querySelector(`#search-option-${this.active}`);
      if (option) {
        option.scrollIntoView({ block: "nearest" });
      }
    } else {
      this.input.removeAttribute("aria-activedescendant");
    }
  }

  close() {
    this.list.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  }

  onKey(event) {
    const count = this.results.length;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (this.list.hidden) {
        this.update();
        return;
      }
      if (count > 0) {
        const step = event.key === "ArrowDown" ? 1 : -1;
        this.active = (this.active + step + count) % count;
        this.syncActive();
      }
    } else if (event.key === "Enter") {
      if (this.active >= 0 && !this.list.hidden) {
        event.preventDefault();
        this.choose(this.active);
      }
    } else if (event.key === "Escape") {
      if (!this.list.hidden) {
        event.preventDefault();
        this.close();
      } else {
        this.input.value = "";
      }
    }
  }

  choose(index) {
    const info = this.results[index];
    if (!info) {
      return;
    }
    this.close();
    this.input.value = "";
    this.onSelect(info.symbol);
  }
}
