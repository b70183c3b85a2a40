// Entry point of the main page: wires the server-rendered markup to the live feed,
// the session (guest or account), search, panels, the login dialog and toasts.

import { api } from "./api.js";
import { CoinList } from "./coins.js";
import { config } from "./config.js";
import { formatAsOf } from "./format.js";
import { renderKeywords, renderSummary } from "./keywords.js";
import { LiveFeed } from "./live.js";
import { Panels } from "./panels.js";
import { SearchBox } from "./search.js";
import { Session } from "./session.js";
import { rememberViewed } from "./store.js";

const STATUS_REFRESH_MS = 30000;
const OFFLINE_STALE_AFTER_MS = 5000;
const SILENT_STALE_AFTER_MS = 30000;
const KEYWORDS_EVERY_MS = 2000;
const TOAST_MS = 6000;

const $ = (selector, root = document) => root.querySelector(selector);

const coins = new CoinList($("table.coins"));
const session = new Session();
const toasts = $(".toasts");
const dialog = $("#auth-dialog");
const markets = $("#markets");

// ---------- toasts ----------
function toast(message, action, scope) {
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
  toasts.append(node);
  window.setTimeout(() => node.remove(), action ? TOAST_MS * 1.5 : TOAST_MS);
}

// ---------- live state: connection, staleness, simulator label ----------
const live = {
  serverStale: Boolean(config.stale),
  connection: "offline",
  offlineSince: Date.now(),
  lastFrameAt: 0,
  asOf: Number(config.asOf) || 0,
  retryAt: 0,
};
const conn = $(".conn");
const CONN_TEXT = { connecting: "연결 중…", live: "실시간", stale: "시세 지연", offline: "연결 끊김" };

// Writing an unchanged value still costs a style recalculation: write only changes.
function setIfChanged(target, key, value) {
  if (target[key] !== value) {
    target[key] = value;
  }
}

function renderLiveState() {
  const now = Date.now();
  const stale =
    live.serverStale ||
    (live.connection !== "live" && now - live.offlineSince > OFFLINE_STALE_AFTER_MS) ||
    (live.connection === "live" && live.lastFrameAt > 0 && now - live.lastFrameAt > SILENT_STALE_AFTER_MS);
  // The badge is never green beside stale prices: a live socket carrying stale data says so.
  const state = live.connection === "live" && stale ? "stale" : live.connection;
  setIfChanged(conn.dataset, "conn", state);
  let text = CONN_TEXT[state];
  const retryInMs = live.retryAt - now;
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
  $('[data-badge="stale"]').hidden = !stale;
  if (markets) {
    if (stale) {
      markets.dataset.stale = "true";
    } else {
      delete markets.dataset.stale;
    }
  }
  const asOf = $('[data-field="asOf"]');
  if (asOf && live.asOf > 0) {
    asOf.textContent = formatAsOf(live.asOf);
    asOf.dateTime = new Date(live.asOf).toISOString();
  }
}

function applyServerStatus({ source, stale }) {
  if (typeof stale === "boolean") {
    live.serverStale = stale;
  }
  if (typeof source === "string") {
    $('[data-badge="simulator"]').hidden = source !== "simulator";
  }
  renderLiveState();
}

async function refreshServerStatus() {
  const result = await api("GET", "/api/v1/markets");
  if (result.ok && result.data) {
    applyServerStatus(result.data);
  }
}

// ---------- panels, views, login ----------
const panels = new Panels($("#panel"), { session, coins });

function viewCoin(symbol, opener = null) {
  if (!coins.market(symbol)) {
    return;
  }
  rememberViewed(symbol);
  coins.reveal(symbol);
  panels.open("coin", { symbol, opener });
}

let authMode = "login";

function setAuthMode(mode) {
  authMode = mode;
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

function openLogin(mode = "login") {
  panels.close();
  setAuthMode(mode);
  if (!dialog.open) {
    dialog.showModal();
  }
  $(".auth__form", dialog).elements.username.focus();
}

/** The rules the server enforces on a new account, checked before sending (a Korean hint, or ""). */
function signupProblem(username, password) {
  const { usernameMin, usernameMax, usernamePattern, passwordMin, passwordMax, passwordDistinctMin } = config.credentials;
  if (!new RegExp(usernamePattern).test(username)) {
    return `아이디는 영문, 숫자, _ . - 로 ${usernameMin}~${usernameMax}자예요 (첫 글자는 영문이나 숫자).`;
  }
  if (password.length < passwordMin || password.length > passwordMax) {
    return `비밀번호는 ${passwordMin}~${passwordMax}자로 정해 주세요.`;
  }
  if (new Set(password).size < passwordDistinctMin) {
    return `비밀번호에 서로 다른 문자를 ${passwordDistinctMin}가지 이상 섞어 주세요.`;
  }
  if (password.toLowerCase().includes(username.toLowerCase())) {
    return "비밀번호에 아이디를 넣을 수 없어요.";
  }
  return "";
}

async function submitAuth(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const username = form.elements.username.value.trim();
  const password = form.elements.password.value;
  const error = $(".auth__error", dialog);
  const invalid = !username || !password ? "아이디와 비밀번호를 입력해 주세요." : authMode === "signup" ? signupProblem(username, password) : "";
  if (invalid) {
    error.textContent = invalid;
    error.hidden = false;
    return;
  }
  const submit = $('[data-action="submit-auth"]', dialog);
  const label = submit.textContent;
  submit.disabled = true;
  submit.textContent = "잠시만 기다려 주세요…";
  const message = authMode === "login" ? await session.login(username, password) : await session.signup(username, password);
  submit.disabled = false;
  submit.textContent = label;
  if (message) {
    error.textContent = message;
    error.hidden = false;
    return;
  }
  form.reset();
  dialog.close();
  toast(`반가워요, ${session.user.username}님`);
}

function renderAccount() {
  const account = $(".account");
  const loggedIn = session.loggedIn;
  account.dataset.account = loggedIn ? "user" : "guest";
  $('[data-action="open-login"]', account).hidden = loggedIn;
  $(".profile", account).hidden = !loggedIn;
  if (loggedIn) {
    const name = session.user.username || "내 계정";
    $(".profile__name", account).textContent = name;
    $(".profile__avatar", account).textContent = name.slice(0, 1).toUpperCase();
  }
}

function toggleProfileMenu(force) {
  const button = $('[data-action="toggle-profile"]');
  const menu = $("#profile-menu");
  const open = force === undefined ? menu.hidden : force;
  menu.hidden = !open;
  button.setAttribute("aria-expanded", String(open));
  if (open) {
    $('[role="menuitem"]', menu).focus();
  }
}

let guestHintShown = false;

async function toggleWatch(symbol) {
  const adding = !session.has(symbol);
  await session.toggle(symbol);
  if (adding && !session.loggedIn && session.has(symbol) && !guestHintShown) {
    guestHintShown = true;
    toast("이 기기에만 임시 저장했어요. 로그인하면 계정에 보관돼요.", { label: "로그인", run: () => openLogin() }, "guest");
  }
}

// ---------- one click handler for every data-action ----------
document.addEventListener("click", (event) => {
  const target = event.target.closest("[data-action]");
  if (!target) {
    if (!event.target.closest(".profile")) {
      toggleProfileMenu(false);
    }
    return;
  }
  const action = target.dataset.action;
  if (action === "watch") {
    const row = target.closest("[data-symbol]");
    toggleWatch(row.dataset.symbol);
  } else if (action === "toggle-watch") {
    toggleWatch(target.dataset.target);
  } else if (action === "view") {
    event.preventDefault();
    viewCoin(target.dataset.target, target);
  } else if (action === "open-panel") {
    toggleProfileMenu(false);
    if (panels.isOpen && panels.kind === target.dataset.panel) {
      panels.close();
    } else {
      panels.open(target.dataset.panel, { opener: target });
    }
  } else if (action === "close-panel") {
    panels.close();
  } else if (action === "open-login") {
    openLogin();
  } else if (action === "close-auth") {
    dialog.close();
  } else if (action === "toggle-profile") {
    toggleProfileMenu();
  } else if (action === "logout") {
    toggleProfileMenu(false);
    session.logout();
  }
});

document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || dialog.open) {
    return;
  }
  if (!$("#profile-menu").hidden) {
    toggleProfileMenu(false);
    $('[data-action="toggle-profile"]').focus();
  } else if (panels.isOpen) {
    panels.close();
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

for (const tab of dialog.querySelectorAll('[role="tab"]')) {
  tab.addEventListener("click", () => setAuthMode(tab.dataset.mode));
  tab.addEventListener("keydown", (event) => {
    if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      const next = authMode === "login" ? "signup" : "login";
      setAuthMode(next);
      $(`[data-mode="${next}"]`, dialog).focus();
    }
  });
}
$(".auth__form", dialog).addEventListener("submit", submitAuth);

session.addEventListener("change", () => {
  coins.markWatched((symbol) => session.has(symbol));
  renderAccount();
  panels.refresh();
});
session.addEventListener("notice", (event) => toast(event.detail.message, event.detail.action, event.detail.scope));
session.addEventListener("login", () => {
  for (const node of toasts.querySelectorAll('[data-scope="guest"]')) {
    node.remove();
  }
});

// ---------- search ----------
new SearchBox($("#search-input"), $("#search-results"), {
  symbols: coins.symbols,
  priceOf: (symbol) => (coins.market(symbol) || {}).last,
  onSelect: (symbol) => viewCoin(symbol, $("#search-input")),
});

// ---------- live feed ----------
const symbols = coins.symbols.length > 0 ? coins.symbols : (config.symbols || []);
let keywordsDue = 0;
let paintRequested = false;
const pending = new Map();

function paint() {
  renderLiveState();
  panels.refreshPrices();
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
  feed.addEventListener("state", (event) => {
    const previous = live.connection;
    live.connection = event.detail.state;
    if (live.connection !== "live" && previous === "live") {
      live.offlineSince = Date.now();
    }
    if (live.connection === "live" && previous !== "live") {
      refreshServerStatus();
    }
    live.retryAt = Date.now() + event.detail.retryInMs;
    renderLiveState();
  });
  feed.addEventListener("status", (event) => applyServerStatus(event.detail));
  feed.addEventListener("markets", (event) => {
    const { kind, markets: fresh } = event.detail;
    if (coins.rows.size === 0 && fresh.length > 0) {
      // Rendered before the service had any prices: render again now that it has them.
      window.location.reload();
      return;
    }
    live.lastFrameAt = Date.now();
    for (const market of fresh) {
      live.asOf = Math.max(live.asOf, Number(market.eventTime) || 0);
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
  window.setInterval(() => {
    if (live.connection === "live") {
      refreshServerStatus();
    } else {
      renderLiveState();
    }
  }, STATUS_REFRESH_MS);
  window.setInterval(() => renderLiveState(), 1000);
}

coins.markWatched((symbol) => session.has(symbol));
session.follow();
session.restore();
document.documentElement.dataset.ready = "true";
