// What every page shares: the header (search, live badge, account), the quick bar and
// its panels, the login dialog, toasts and the one click handler for data-action hooks.
// A page starts it with the markets it shows (`book`: market(symbol), allMarkets())
// and hands it its LiveFeed, whose connection state the badge then follows.

import { PriceAlerts } from "./alerts.js";
import { api } from "./api.js";
import { coinInfo as coinInfoOf, config } from "./config.js";
import { formatAsOf, formatPrice } from "./format.js";
import { Panels } from "./panels.js";
import { SearchBox } from "./search.js";
import { Session } from "./session.js";
import { rememberViewed } from "./store.js";

const STATUS_REFRESH_MS = 30000;
const OFFLINE_STALE_AFTER_MS = 5000;
const SILENT_STALE_AFTER_MS = 30000;
const TOAST_MS = 6000;
const CONN_TEXT = { connecting: "연결 중…", live: "실시간", stale: "시세 지연", offline: "연결 끊김" };

export const $ = (selector, root = document) => root.querySelector(selector);

/** The address of a coin's own page. */
export function coinHref(symbol) {
  return `/coins/${encodeURIComponent(symbol)}`;
}

// Writing an unchanged value still costs a style recalculation: write only changes.
function setIfChanged(target, key, value) {
  if (target[key] !== value) {
    target[key] = value;
  }
}

export class Shell {
  constructor(book, { symbol = "" } = {}) {
    this.book = book;
    this.session = new Session();
    this.alerts = new PriceAlerts();
    this.toasts = $(".toasts");
    this.dialog = $("#auth-dialog");
    this.conn = $(".conn");
    this.stalePanel = $("[data-stale-scope]");
    this.panels = new Panels($("#panel"), { session: this.session, coins: book, alerts: this.alerts, symbol });
    this.authMode = "login";
    this.guestHintShown = false;
    this.live = {
      serverStale: Boolean(config.stale),
      connection: "offline",
      offlineSince: Date.now(),
      lastFrameAt: 0,
      asOf: Number(config.asOf) || 0,
      retryAt: 0,
    };
    // Pages add their own data-action handlers here ({action: (target, event) => ...}).
    this.actions = {};
    this.search = null;
  }

  start() {
    this.wireClicks();
    this.wireKeys();
    this.wireDialog();
    this.session.addEventListener("change", () => {
      this.renderAccount();
      this.panels.refresh();
    });
    this.session.addEventListener("notice", (event) =>
      this.toast(event.detail.message, event.detail.action, event.detail.scope),
    );
    this.session.addEventListener("login", () => {
      for (const node of this.toasts.querySelectorAll('[data-scope="guest"]')) {
        node.remove();
      }
    });
    this.search = new SearchBox($("#search-input"), $("#search-results"), {
      symbols: config.symbols || [],
      priceOf: (symbol) => (this.book.market(symbol) || {}).last,
      onSelect: (symbol) => this.openCoin(symbol),
    });
    this.alerts.addEventListener("change", () => {
      if (this.panels.kind === "alerts") {
        this.panels.refresh();
      }
    });
    this.alerts.addEventListener("fired", (event) => this.tellAlert(event.detail));
    this.session.follow();
    this.session.restore();
  }

  tellAlert({ alert, last }) {
    const info = coinInfoOf(alert.symbol);
    const message = `${info.ko} ${formatPrice(last)} USDT · 알림 가격 ${formatPrice(alert.price)}에 닿았어요.`;
    this.toast(message, { label: "보기", run: () => this.openCoin(alert.symbol) });
    if ("Notification" in window && Notification.permission === "granted") {
      try {
        new Notification("CovaEX 가격 알림", { body: message, tag: alert.id });
      } catch {
        // Some browsers only notify from a service worker: the in-page notice is enough.
      }
    }
  }

  openCoin(symbol) {
    rememberViewed(symbol);
    window.location.assign(coinHref(symbol));
  }

  // ---------- toasts ----------
  toast(message, action, scope) {
    const node = document.createElement("div");
    node.className = "toast";
    if (scope) {
      // A scoped toast (the guest hint) goes away when its situation ends (login).
      node.dataset.scope = scope;
    }
    node.textContent = message;
    if (action) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = action.label;
      button.addEventListener("click", () => {
        node.remove();
        action.run();
      });
      node.append(button);
    }
    this.toasts.append(node);
    window.setTimeout(() => node.remove(), action ? TOAST_MS * 1.5 : TOAST_MS);
  }

  // ---------- live state: connection, staleness, simulator label ----------
  isStale() {
    const { live } = this;
    const now = Date.now();
    return (
      live.serverStale ||
      (live.connection !== "live" && now - live.offlineSince > OFFLINE_STALE_AFTER_MS) ||
      (live.connection === "live" && live.lastFrameAt > 0 && now - live.lastFrameAt > SILENT_STALE_AFTER_MS)
    );
  }

  /** What a page calls after it painted a batch of prices: the parts of the shell that show prices. */
  paintPrices() {
    this.renderLiveState();
    this.panels.refreshPrices();
    if (this.search) {
      this.search.refreshPrices();
    }
  }

  renderLiveState() {
    const { live, conn } = this;
    const stale = this.isStale();
    // The badge is never green beside stale prices: a live socket carrying stale data says so.
    const state = live.connection === "live" && stale ? "stale" : live.connection;
    setIfChanged(conn.dataset, "conn", state);
    let text = CONN_TEXT[state];
    const retryInMs = live.retryAt - Date.now();
    if (state === "offline" && retryInMs > 0) {
      text = `연결 끊김 · ${Math.ceil(retryInMs / 1000)}초 후 다시 연결`;
    }
    setIfChanged($(".conn__text", conn), "textContent", text);
    // Screen readers hear state changes, not the retry countdown ticking.
    const announce = $("[data-conn-announce]");
    if (announce.dataset.state !== state) {
      announce.dataset.state = state;
      announce.textContent = `실시간 시세: ${CONN_TEXT[state]}`;
    }
    setIfChanged($('[data-badge="stale"]'), "hidden", !stale);
    if (this.stalePanel) {
      if (stale) {
        setIfChanged(this.stalePanel.dataset, "stale", "true");
      } else {
        delete this.stalePanel.dataset.stale;
      }
    }
    const asOf = $('[data-field="asOf"]');
    if (asOf && live.asOf > 0) {
      setIfChanged(asOf, "textContent", formatAsOf(live.asOf));
    }
  }

  applyServerStatus({ source, stale }) {
    if (typeof stale === "boolean") {
      this.live.serverStale = stale;
    }
    if (typeof source === "string") {
      $('[data-badge="simulator"]').hidden = source !== "simulator";
    }
    this.renderLiveState();
  }

  async refreshServerStatus() {
    const result = await api("GET", "/api/v1/markets");
    if (result.ok && result.data) {
      this.applyServerStatus(result.data);
    }
  }

  /** Follow a LiveFeed's connection; pages listen to its "markets" and "kline" events themselves. */
  follow(feed) {
    const { live } = this;
    feed.addEventListener("state", (event) => {
      const previous = live.connection;
      live.connection = event.detail.state;
      if (live.connection !== "live" && previous === "live") {
        live.offlineSince = Date.now();
      }
      if (live.connection === "live" && previous !== "live") {
        this.refreshServerStatus();
      }
      live.retryAt = Date.now() + event.detail.retryInMs;
      this.renderLiveState();
    });
    feed.addEventListener("status", (event) => this.applyServerStatus(event.detail));
    feed.addEventListener("markets", (event) => {
      this.alerts.check(event.detail.markets);
      live.lastFrameAt = Date.now();
      for (const market of event.detail.markets) {
        live.asOf = Math.max(live.asOf, Number(market.eventTime) || 0);
      }
    });
    window.setInterval(() => {
      if (live.connection === "live") {
        this.refreshServerStatus();
      } else {
        this.renderLiveState();
      }
    }, STATUS_REFRESH_MS);
    window.setInterval(() => this.renderLiveState(), 1000);
  }

  // ---------- login ----------
  setAuthMode(mode) {
    const { dialog } = this;
    this.authMode = mode;
    dialog.dataset.mode = mode;
    const form = $(".auth__form", dialog);
    for (const tab of dialog.querySelectorAll('[role="tab"]')) {
      const selected = tab.dataset.mode === mode;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
    }
    const label = mode === "login" ? "로그인" : "회원가입";
    $(".auth__title", dialog).textContent = label;
    $('[data-action="submit-auth"]', dialog).textContent = label;
    form.elements.password.autocomplete = mode === "login" ? "current-password" : "new-password";
    $(".auth__error", dialog).hidden = true;
  }

  openLogin(mode = "login") {
    this.panels.close();
    this.setAuthMode(mode);
    if (!this.dialog.open) {
      this.dialog.showModal();
    }
    $(".auth__form", this.dialog).elements.username.focus();
  }

  async submitAuth(event) {
    event.preventDefault();
    const { dialog, session } = this;
    const form = event.currentTarget;
    const username = form.elements.username.value.trim();
    const password = form.elements.password.value;
    const error = $(".auth__error", dialog);
    const invalid =
      !username || !password
        ? "아이디와 비밀번호를 입력해 주세요."
        : this.authMode === "signup"
          ? signupProblem(username, password)
          : "";
    if (invalid) {
      error.textContent = invalid;
      error.hidden = false;
      return;
    }
    const submit = $('[data-action="submit-auth"]', dialog);
    const label = submit.textContent;
    submit.disabled = true;
    submit.textContent = "잠시만 기다려 주세요…";
    const message =
      this.authMode === "login" ? await session.login(username, password) : await session.signup(username, password);
    submit.disabled = false;
    submit.textContent = label;
    if (message) {
      error.textContent = message;
      error.hidden = false;
      return;
    }
    form.reset();
    dialog.close();
    this.toast(`반가워요, ${session.user.username}님`);
  }

  renderAccount() {
    const account = $(".account");
    const loggedIn = this.session.loggedIn;
    account.dataset.account = loggedIn ? "user" : "guest";
    $('[data-action="open-login"]', account).hidden = loggedIn;
    $(".profile", account).hidden = !loggedIn;
    if (loggedIn) {
      const name = this.session.user.username || "내 계정";
      $(".profile__name", account).textContent = name;
      $(".profile__avatar", account).textContent = name.slice(0, 1).toUpperCase();
    }
  }

  toggleProfileMenu(force) {
    const button = $('[data-action="toggle-profile"]');
    const menu = $("#profile-menu");
    const open = force === undefined ? menu.hidden : force;
    menu.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (open) {
      $('[role="menuitem"]', menu).focus();
    }
  }

  async toggleWatch(symbol) {
    const { session } = this;
    const adding = !session.has(symbol);
    await session.toggle(symbol);
    if (adding && !session.loggedIn && session.has(symbol) && !this.guestHintShown) {
      this.guestHintShown = true;
      this.toast(
        "이 기기에만 임시 저장했어요. 로그인하면 계정에 보관돼요.",
        { label: "로그인", run: () => this.openLogin() },
        "guest",
      );
    }
  }

  // ---------- one click handler for every data-action ----------
  wireClicks() {
    const shared = {
      "toggle-watch": (target) => this.toggleWatch(target.dataset.target),
      "open-panel": (target) => {
        this.toggleProfileMenu(false);
        if (this.panels.isOpen && this.panels.kind === target.dataset.panel) {
          this.panels.close();
        } else {
          this.panels.open(target.dataset.panel, { opener: target });
        }
      },
      "close-panel": () => this.panels.close(),
      "open-login": () => this.openLogin(),
      "close-auth": () => this.dialog.close(),
      "toggle-profile": () => this.toggleProfileMenu(),
      logout: () => {
        this.toggleProfileMenu(false);
        this.session.logout();
      },
      view: (target) => rememberViewed(target.dataset.target),
      "remove-alert": (target) => this.alerts.remove(target.dataset.target),
      "enable-notifications": async () => {
        await Notification.requestPermission();
        this.panels.refresh();
      },
    };
    document.addEventListener("click", (event) => {
      const target = event.target.closest("[data-action]");
      if (!target) {
        if (!event.target.closest(".profile")) {
          this.toggleProfileMenu(false);
        }
        return;
      }
      const handler = this.actions[target.dataset.action] || shared[target.dataset.action];
      if (handler) {
        handler(target, event);
      }
    });
  }

  wireKeys() {
    document.addEventListener("keydown", (event) => {
      if (event.key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey && !isTyping(event.target)) {
        // "/" jumps to search, as on many sites; typing in a field keeps its slash.
        event.preventDefault();
        $("#search-input").focus();
        return;
      }
      if (event.key !== "Escape" || this.dialog.open) {
        return;
      }
      if (!$("#profile-menu").hidden) {
        this.toggleProfileMenu(false);
        $('[data-action="toggle-profile"]').focus();
      } else if (this.panels.isOpen) {
        this.panels.close();
      }
    });
    $("#profile-menu").addEventListener("keydown", (event) => {
      if (event.key !== "ArrowDown" && event.key !== "ArrowUp") {
        return;
      }
      event.preventDefault();
      const items = [...event.currentTarget.querySelectorAll('[role="menuitem"]')];
      const step = event.key === "ArrowDown" ? 1 : -1;
      const index = (items.indexOf(document.activeElement) + step + items.length) % items.length;
      items[index].focus();
    });
  }

  wireDialog() {
    const { dialog } = this;
    for (const tab of dialog.querySelectorAll('[role="tab"]')) {
      tab.addEventListener("click", () => this.setAuthMode(tab.dataset.mode));
      tab.addEventListener("keydown", (event) => {
        if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
          const next = this.authMode === "login" ? "signup" : "login";
          this.setAuthMode(next);
          $(`[data-mode="${next}"]`, dialog).focus();
        }
      });
    }
    $(".auth__form", dialog).addEventListener("submit", (event) => this.submitAuth(event));
  }
}

function isTyping(target) {
  return target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}

/** The rules the server enforces on a new account, checked before sending (a Korean hint, or ""). */
function signupProblem(username, password) {
  const { usernameMin, usernameMax, usernamePattern, passwordMin, passwordMax } =
    config.credentials;
  if (!new RegExp(usernamePattern).test(username)) {
    return `아이디는 영문, 숫자, _ . - 로 ${usernameMin}~${usernameMax}자예요 (첫 글자는 영문이나 숫자).`;
  }
  if (password.length < passwordMin || password.length > passwordMax) {
    return `비밀번호는 ${passwordMin}~${passwordMax}자로 정해 주세요.`;
  }
  if (password.toLowerCase().includes(username.toLowerCase())) {
    return "비밀번호에 아이디를 넣을 수 없어요.";
  }
  return "";
}
