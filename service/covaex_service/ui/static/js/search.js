// The header search: a combobox over the known markets (symbol, Korean or English name,
// 초성 such as "ㅂㅌ", and pairs as other exchanges write them: "BTC/USDT", "KRW-BTC"),
// navigable with the arrow keys, Enter and Escape; the prices shown stay live.

import { coinInfo, config } from "./config.js";
import { formatPrice } from "./format.js";

const MAX_RESULTS = 8;

const CHOSEONG = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ";
const ONLY_CHOSEONG = /^[ㄱ-ㅎ]+$/;
const PAIR = /^([a-z0-9]+)\s*[/\-_:]\s*([a-z0-9]+)$/;
// Korean exchanges write the quote first (Upbit's KRW-BTC, USDT-BTC); the won is never a base.
const KOREAN_QUOTE = "krw";

/** The initial consonants of a Korean name: "비트코인" -> "ㅂㅌㅋㅇ" (other characters kept). */
export function choseongOf(text) {
  return [...text]
    .map((char) => {
      const code = char.charCodeAt(0) - 0xac00;
      return code >= 0 && code < 11172 ? CHOSEONG[Math.floor(code / 588)] : char;
    })
    .join("");
}

/** "BTC/USDT", "btc-usdt", "KRW-BTC" -> "btc"; anything else unchanged. */
export function normalizeQuery(query) {
  const needle = query.trim().toLowerCase();
  const pair = PAIR.exec(needle);
  if (!pair) {
    return needle;
  }
  const [, first, second] = pair;
  const quotes = new Set((config.quoteAssets || []).map((quote) => quote.toLowerCase()));
  if (first === KOREAN_QUOTE || (quotes.has(first) && !quotes.has(second))) {
    return second; // KRW-BTC, USDT-ETH: the quote comes first
  }
  return first;
}

function score(info, query) {
  if (ONLY_CHOSEONG.test(query)) {
    const initials = choseongOf(info.ko);
    return initials.startsWith(query) ? 1 : initials.includes(query) ? 3 : -1;
  }
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
  const needle = normalizeQuery(query);
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

  /** Keep the prices of an open result list live. */
  refreshPrices() {
    if (this.list.hidden) {
      return;
    }
    for (const option of this.list.querySelectorAll("[role=option]")) {
      const last = this.priceOf(option.dataset.coin);
      const price = option.querySelector(".search__option-price");
      const text = last ? formatPrice(last) : "";
      if (price && price.textContent !== text) {
        price.textContent = text;
      }
    }
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
