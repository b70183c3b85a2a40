// The side panel opened from the quick bar: watchlist, recently viewed, top movers and
// price alerts. Every coin in it links to the coin's own page.

import { ALERTS_MAX } from "./alerts.js";
import { coinInfo, config } from "./config.js";
import { directionOf, formatChange, formatPrice, formatVolume } from "./format.js";
import { rankMarkets } from "./keywords.js";
import { readRecent } from "./store.js";

const TITLES = {
  watchlist: "관심 목록",
  recent: "최근 본 코인",
  movers: "급등락",
  alerts: "가격 알림",
};
const MOVERS_COUNT = 5;

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

export class Panels {
  constructor(panel, { session, coins, alerts, symbol = "" }) {
    this.panel = panel;
    this.title = panel.querySelector(".panel__title");
    this.body = panel.querySelector(".panel__body");
    this.session = session;
    this.coins = coins;
    this.alerts = alerts;
    this.alertSymbol = symbol || (config.symbols || [])[0] || "";
    this.kind = "";
    this.opener = null;
  }

  get isOpen() {
    return !this.panel.hidden;
  }

  open(kind, { opener = null } = {}) {
    this.kind = kind;
    if (opener) {
      this.opener = opener;
    }
    this.render();
    this.panel.hidden = false;
    this.panel.dataset.kind = kind;
    this.syncQuickbar();
    this.title.focus();
  }

  close() {
    if (!this.isOpen) {
      return;
    }
    this.panel.hidden = true;
    this.kind = "";
    this.syncQuickbar();
    if (this.opener && document.body.contains(this.opener)) {
      this.opener.focus();
    }
    this.opener = null;
  }

  syncQuickbar() {
    for (const button of document.querySelectorAll('.quickbar [data-action="open-panel"]')) {
      button.setAttribute("aria-expanded", String(this.isOpen && button.dataset.panel === this.kind));
    }
  }

  /** Re-render after a watchlist or login change, keeping the same view. */
  refresh() {
    if (this.isOpen) {
      this.render();
    }
  }

  /** Update the prices shown in place (keeps focus and scroll position). */
  refreshPrices() {
    if (!this.isOpen) {
      return;
    }
    if (this.kind === "movers" && this.moversKey() !== this.body.dataset.ranking) {
      // The ranking changed: rebuild, and keep keyboard focus on the coin it was on.
      const focused = this.body.contains(document.activeElement) ? document.activeElement.dataset.coin : "";
      this.render();
      if (focused) {
        const again = this.body.querySelector(`[data-coin="${focused}"]`) || this.title;
        again.focus();
      }
      return;
    }
    for (const item of this.body.querySelectorAll("[data-coin]")) {
      const market = this.coins.market(item.dataset.coin);
      if (!market) {
        continue;
      }
      for (const field of item.querySelectorAll("[data-value]")) {
        const key = field.dataset.value;
        field.textContent = key === "quoteVolume" ? formatVolume(market[key]) : key === "changePct" ? formatChange(market[key]) : formatPrice(market[key]);
        if (key === "changePct") {
          field.classList.remove("rise", "fall", "flat");
          field.classList.add(directionOf(market.changePct));
        }
      }
    }
  }

  render() {
    this.title.textContent = TITLES[this.kind] || "";
    const renderers = {
      watchlist: () => this.watchlist(),
      recent: () => this.recent(),
      movers: () => this.movers(),
      alerts: () => this.alertsView(),
    };
    this.body.replaceChildren(...(renderers[this.kind] || (() => []))());
  }

  loginNote(heading, text) {
    const note = element("div", "panel-note");
    note.dataset.gate = "login";
    note.append(element("strong", "", heading), element("p", "", text));
    const button = element("button", "btn btn--primary", "로그인 / 회원가입");
    button.type = "button";
    button.dataset.action = "open-login";
    note.append(button);
    return note;
  }

  coinItem(symbol) {
    const info = coinInfo(symbol);
    const market = this.coins.market(symbol) || {};
    const item = element("li");
    const button = element("a", "panel-item");
    button.href = `/coins/${encodeURIComponent(symbol)}`;
    button.dataset.action = "view";
    button.dataset.target = symbol;
    button.dataset.coin = symbol;
    const icon = element("span", "coin__icon", info.base.slice(0, 1));
    icon.dataset.base = info.base;
    icon.setAttribute("aria-hidden", "true");
    const main = element("span", "panel-item__main");
    main.append(element("span", "coin__name", info.ko), element("span", "coin__symbol", info.base));
    const end = element("span", "panel-item__end");
    const price = element("span", "panel-item__price", market.last ? formatPrice(market.last) : "—");
    price.dataset.value = "last";
    const change = element(
      "span",
      `panel-item__change ${directionOf(market.changePct)}`,
      market.changePct ? formatChange(market.changePct) : "",
    );
    change.dataset.value = "changePct";
    end.append(price, change);
    button.append(icon, main, end);
    item.append(button);
    return item;
  }

  coinList(symbols, emptyText) {
    if (symbols.length === 0) {
      return element("p", "panel-note", emptyText);
    }
    const list = element("ul", "panel-list");
    list.append(...symbols.map((symbol) => this.coinItem(symbol)));
    return list;
  }

  watchlist() {
    const symbols = this.session.items.map((item) => item.symbol);
    if (this.session.loggedIn) {
      return [this.coinList(symbols, "아직 담은 코인이 없어요. 시세 목록의 별을 눌러 담아 보세요.")];
    }
    // A guest's list works: it is shown first; logging in is offered as keeping it everywhere.
    return [
      this.coinList(symbols, "아직 담은 코인이 없어요. 시세 목록의 별을 눌러 담아 보세요."),
      this.loginNote(
        "이 기기에 저장돼 있어요",
        "로그인하면 지금 담은 코인이 계정으로 옮겨져 어느 기기에서나 볼 수 있어요.",
      ),
    ];
  }

  recent() {
    return [this.coinList(readRecent(), "최근에 본 코인이 없어요. 코인 이름을 누르거나 검색해 보세요.")];
  }

  moverLists() {
    const ranked = rankMarkets(this.coins.allMarkets());
    const gainers = this.coins.allMarkets().sort((a, b) => Number(b.changePct) - Number(a.changePct));
    const count = Math.min(MOVERS_COUNT, gainers.length);
    const symbols = (markets) => markets.map((market) => market.symbol);
    return [
      ["오른 코인", symbols(gainers.slice(0, count))],
      ["내린 코인", symbols([...gainers].reverse().slice(0, count))],
      ["거래 많은 코인", symbols(ranked.traded)],
    ];
  }

  moversKey() {
    return JSON.stringify(this.moverLists().map(([, symbols]) => symbols));
  }

  movers() {
    const lists = this.moverLists();
    this.body.dataset.ranking = JSON.stringify(lists.map(([, symbols]) => symbols));
    return lists.flatMap(([title, symbols]) => [
      element("h3", "panel-section", title),
      this.coinList(symbols, "시세가 아직 없어요."),
    ]);
  }

  alertsView() {
    const form = element("form", "alert-form");
    form.noValidate = true;
    const symbolField = element("label", "field");
    const select = element("select", "field__input");
    select.name = "symbol";
    for (const symbol of config.symbols || []) {
      const info = coinInfo(symbol);
      const option = element("option", "", `${info.ko} ${info.base}`);
      option.value = symbol;
      option.selected = symbol === this.alertSymbol;
      select.append(option);
    }
    symbolField.append(element("span", "field__label", "코인"), select);
    const priceField = element("label", "field");
    const input = element("input", "field__input");
    input.name = "price";
    input.inputMode = "decimal";
    input.autocomplete = "off";
    input.placeholder = "예: 100,000";
    priceField.append(element("span", "field__label", "알림 가격 (USDT)"), input);
    const hint = element("p", "alert-form__hint");
    const showHint = () => {
      this.alertSymbol = select.value;
      const market = this.coins.market(select.value) || {};
      hint.textContent = market.last
        ? `지금 ${formatPrice(market.last)} USDT · 이 가격까지 오르거나 내리면 알려 드려요.`
        : "아직 이 코인의 시세가 없어요.";
    };
    select.addEventListener("change", showHint);
    showHint();
    const error = element("p", "auth__error");
    error.setAttribute("role", "alert");
    error.hidden = true;
    const submit = element("button", "btn btn--primary btn--block", "알림 만들기");
    submit.type = "submit";
    form.append(symbolField, priceField, hint, error, submit);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const market = this.coins.market(select.value) || {};
      const problem = this.alerts.add(select.value, input.value, market.last);
      error.textContent = problem;
      error.hidden = !problem;
      if (!problem) {
        input.value = "";
      }
    });
    const nodes = [form];
    if ("Notification" in window && Notification.permission === "default") {
      const allow = element("button", "btn btn--block", "시스템 알림도 받기");
      allow.type = "button";
      allow.dataset.action = "enable-notifications";
      nodes.push(allow);
    }
    nodes.push(element("h3", "panel-section", `내 가격 알림 ${this.alerts.items.length}/${ALERTS_MAX}`));
    if (this.alerts.items.length === 0) {
      nodes.push(element("p", "panel-note", "아직 만든 알림이 없어요. 알림은 이 브라우저에 저장돼요."));
    } else {
      const list = element("ul", "panel-list");
      for (const alert of this.alerts.items) {
        const info = coinInfo(alert.symbol);
        const item = element("li", "alert-item");
        item.dataset.alert = alert.id;
        const text = `${info.ko} ${formatPrice(alert.price)} ${alert.rising ? "이상" : "이하"}`;
        const remove = element("button", "icon-button");
        remove.type = "button";
        remove.dataset.action = "remove-alert";
        remove.dataset.target = alert.id;
        remove.setAttribute("aria-label", `${text} 알림 지우기`);
        remove.textContent = "✕";
        item.append(element("span", "alert-item__text", text), remove);
        list.append(item);
      }
      nodes.push(list);
    }
    return nodes;
  }
}
