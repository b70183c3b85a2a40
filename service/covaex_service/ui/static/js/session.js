// Who is looking (guest or account) and their watchlist. A guest's watchlist lives in
// localStorage; an account's is the server's. Logging in merges the guest list into the
// account through the sync endpoint and clears the local copy only after a 2xx answer.
//
// Nothing a user added is lost to another tab or device: every star is one idempotent
// per-item change (PUT or DELETE /api/v1/watchlist/<SYMBOL>, or a change applied by the one
// tab that writes the guest list, guest-writer.js), never a whole-list write, and every tab
// follows the others (the `storage` event for guests, a BroadcastChannel and a re-fetch on
// focus for accounts). After a merge into the account only the merged symbols leave the
// guest list: a star another tab added meanwhile waits for the next sync.
//
// Events: "change" (user or watchlist changed), "notice" ({detail: {message, action?, scope?}}).

import { api, forgetCsrfCookie, readCookie, CSRF_COOKIE } from "./api.js";
import { config } from "./config.js";
import { GuestWriter } from "./guest-writer.js";
import { readGuestWatchlist } from "./store.js";

const CHANNEL = "covaex.watchlist";

function newSyncId() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") {
    return window.crypto.randomUUID();
  }
  // Not a secure context (plain http on a LAN name): build a v4 UUID by hand.
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function usernameOf(data) {
  if (!data) {
    return "";
  }
  return data.username || (data.user && data.user.username) || "";
}

export class Session extends EventTarget {
  constructor() {
    super();
    this.user = null;
    this.items = readGuestWatchlist();
    this.pendingSyncId = null;
    // symbol -> {wanted: boolean, seq}: changes sent but not answered yet, laid over any
    // list the server sends meanwhile so a slower answer cannot undo a newer click.
    this.inFlight = new Map();
    this.seq = 0;
    this.channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(CHANNEL) : null;
    this.guest = new GuestWriter();
  }

  get loggedIn() {
    return this.user !== null;
  }

  has(symbol) {
    return this.items.some((item) => item.symbol === symbol);
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  notify(message, action, scope) {
    this.emit("notice", { message, action, scope });
  }

  /** Follow other tabs and devices: storage events, the channel, and a re-fetch on focus. */
  follow() {
    const guestListChanged = () => {
      if (!this.loggedIn) {
        this.items = readGuestWatchlist();
        this.emit("change");
      }
    };
    window.addEventListener("storage", (event) => {
      if (event.key === config.guestStorageKey || event.key === null) {
        guestListChanged();
      }
    });
    this.guest.addEventListener("written", guestListChanged);
    if (this.channel) {
      this.channel.addEventListener("message", () => this.refresh());
    }
    window.addEventListener("focus", () => this.refresh());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") {
        this.refresh();
      }
    });
  }

  /** Re-read the list from where it lives (the server or this browser). */
  async refresh() {
    if (this.loggedIn) {
      await this.loadServerWatchlist({ quiet: true });
    } else {
      this.items = readGuestWatchlist();
    }
    this.emit("change");
  }

  /** Restore a session only when its CSRF cookie says there may be one (avoids a 401 per guest visit). */
  async restore() {
    if (readCookie(CSRF_COOKIE)) {
      const me = await api("GET", "/api/v1/auth/me");
      if (me.ok) {
        this.user = { username: usernameOf(me.data) };
        // Stars left by a guest visit in this browser join the account too.
        await this.syncGuest();
        await this.loadServerWatchlist();
      } else if (me.status === 401) {
        forgetCsrfCookie();
      }
    }
    this.emit("change");
  }

  async loadServerWatchlist({ quiet = false } = {}) {
    const result = await api("GET", "/api/v1/watchlist");
    if (result.ok && result.data && Array.isArray(result.data.items)) {
      this.items = this.withInFlight(result.data.items);
    } else if (result.status === 401) {
      this.dropSession();
    } else if (!quiet) {
      this.notify(`관심 목록을 불러오지 못했어요. ${result.message}`);
    }
  }

  withInFlight(serverItems) {
    let items = serverItems;
    for (const [symbol, { wanted }] of this.inFlight) {
      const present = items.some((item) => item.symbol === symbol);
      if (wanted && !present) {
        items = [...items, { symbol, addedAt: Date.now() }];
      } else if (!wanted && present) {
        items = items.filter((item) => item.symbol !== symbol);
      }
    }
    return items;
  }

  async toggle(symbol) {
    const wanted = !this.has(symbol);
    if (!this.loggedIn) {
      await this.toggleGuest(symbol, wanted);
      return;
    }
    if (wanted && this.items.length >= config.watchlistCap) {
      this.notify(`관심 목록에는 ${config.watchlistCap}개까지 담을 수 있어요.`);
      return;
    }
    this.seq += 1;
    const seq = this.seq;
    this.inFlight.set(symbol, { wanted, seq });
    this.items = this.withInFlight(this.items);
    this.emit("change");
    const path = `/api/v1/watchlist/${encodeURIComponent(symbol)}`;
    const result = await api(wanted ? "PUT" : "DELETE", path);
    const latest = this.inFlight.get(symbol);
    if (latest && latest.seq === seq) {
      this.inFlight.delete(symbol);
    }
    if (result.ok && result.data && Array.isArray(result.data.items)) {
      this.items = this.withInFlight(result.data.items);
      if (this.channel) {
        this.channel.postMessage({ changed: symbol });
      }
    } else if (result.status === 401) {
      this.notify(result.message);
      this.dropSession();
      return;
    } else {
      this.notify(`관심 목록을 바꾸지 못했어요. ${result.message}`);
      await this.loadServerWatchlist({ quiet: true });
    }
    this.emit("change");
  }

  async toggleGuest(symbol, wanted) {
    // The writer tab applies the change to the list as stored: another tab may have changed it.
    const { outcome, items } = await this.guest.change({ kind: "star", symbol, wanted, addedAt: Date.now() });
    if (outcome === "full") {
      this.notify(`관심 목록에는 ${config.watchlistCap}개까지 담을 수 있어요.`);
    } else if (outcome === "unavailable") {
      this.notify("이 브라우저에서는 관심 목록을 저장할 수 없어요.");
    }
    if (!this.loggedIn) {
      this.items = items;
      this.emit("change");
    }
  }

  /** Returns an error message, or "" on success. */
  async login(username, password) {
    const result = await api("POST", "/api/v1/auth/login", { username, password });
    if (!result.ok) {
      return result.status === 401 ? "아이디 또는 비밀번호가 맞지 않아요." : result.message;
    }
    this.user = { username: usernameOf(result.data) || username };
    this.emit("login");
    await this.syncGuest();
    await this.loadServerWatchlist();
    this.emit("change");
    return "";
  }

  /** Returns an error message, or "" on success (then logged in). */
  async signup(username, password) {
    const result = await api("POST", "/api/v1/auth/signup", { username, password });
    if (!result.ok) {
      if (result.code === "invalid_request") {
        return "아이디나 비밀번호가 규칙에 맞지 않아요. 흔한 비밀번호나 아이디가 들어간 비밀번호는 쓸 수 없어요.";
      }
      return result.message;
    }
    return this.login(username, password);
  }

  /** Merge the guest list into the account; the local copy is cleared only after a 2xx. */
  async syncGuest() {
    const guestItems = readGuestWatchlist();
    if (guestItems.length === 0) {
      return;
    }
    // The same id on a retry lets the server answer a replay without merging twice.
    this.pendingSyncId = this.pendingSyncId || newSyncId();
    const result = await api("POST", "/api/v1/watchlist/sync", {
      syncId: this.pendingSyncId,
      items: guestItems,
    });
    if (!result.ok || !result.data) {
      if (result.status === 409) {
        // The id was spent on other items (the list changed since): the next try is a new sync.
        this.pendingSyncId = null;
      }
      this.notify(`이 기기의 관심 목록을 계정으로 옮기지 못했어요. 다음 로그인 때 다시 시도할게요. ${result.message}`);
      return;
    }
    await this.guest.change({ kind: "forget", symbols: guestItems.map((item) => item.symbol) });
    this.pendingSyncId = null;
    const { added = [], skipped = [], truncated = [] } = result.data;
    const parts = [`추가 ${added.length}개`];
    if (skipped.length > 0) {
      parts.push(`건너뜀 ${skipped.length}개 (${skipped.join(", ")})`);
    }
    if (truncated.length > 0) {
      parts.push(`한도 초과 ${truncated.length}개 (${truncated.join(", ")})`);
    }
    this.emit("synced", { added, skipped, truncated });
    this.notify(`이 기기의 관심 목록을 계정으로 옮겼어요: ${parts.join(" · ")}`);
  }

  async logout() {
    await api("POST", "/api/v1/auth/logout");
    this.dropSession();
    this.notify("로그아웃했어요.");
  }

  dropSession() {
    forgetCsrfCookie();
    this.user = null;
    // A sync id belongs to one login: the next account's sync must not replay it.
    this.pendingSyncId = null;
    this.inFlight.clear();
    this.items = readGuestWatchlist();
    this.emit("change");
  }
}
