// Who is looking (guest or account) and their watchlist. A guest's watchlist lives in
// localStorage; an account's is the server's. Logging in merges the guest list into the
// account through the sync endpoint and clears the local copy only after a 2xx answer.
//
// Events: "change" (user or watchlist changed), "notice" ({detail: {message, action?}}).

import { api, forgetCsrfCookie, readCookie, CSRF_COOKIE } from "./api.js";
import { config } from "./config.js";
import { clearGuestWatchlist, readGuestWatchlist, writeGuestWatchlist } from "./store.js";

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
    this.version = 0;
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

  notify(message, action) {
    this.emit("notice", { message, action });
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

  async loadServerWatchlist() {
    const result = await api("GET", "/api/v1/watchlist");
    if (result.ok && result.data && Array.isArray(result.data.items)) {
      this.items = result.data.items;
    } else {
      this.notify(`관심 목록을 불러오지 못했어요: ${result.message}`);
    }
  }

  async toggle(symbol) {
    const removing = this.has(symbol);
    if (!removing && this.items.length >= config.watchlistCap) {
      this.notify(`관심 목록에는 ${config.watchlistCap}개까지 담을 수 있어요.`);
      return;
    }
    const before = this.items;
    this.items = removing
      ? before.filter((item) => item.symbol !== symbol)
      : [...before, { symbol, addedAt: Date.now() }];
    this.emit("change");
    if (!this.loggedIn) {
      if (!writeGuestWatchlist(this.items)) {
        this.notify("이 브라우저에서는 관심 목록을 저장할 수 없어요.");
      }
      return;
    }
    // Each PUT carries the whole list; only the answer to the latest one is applied,
    // so quick successive stars cannot be undone by an earlier, slower answer.
    this.version += 1;
    const version = this.version;
    const result = await api("PUT", "/api/v1/watchlist", {
      items: this.items.map((item) => ({ symbol: item.symbol })),
    });
    if (version !== this.version) {
      return;
    }
    if (result.ok && result.data && Array.isArray(result.data.items)) {
      this.items = result.data.items;
    } else {
      this.items = before;
      this.notify(`관심 목록을 바꾸지 못했어요: ${result.message}`);
      if (result.status === 401) {
        this.dropSession();
      }
    }
    this.emit("change");
  }

  /** Returns an error message, or "" on success. */
  async login(username, password) {
    const result = await api("POST", "/api/v1/auth/login", { username, password });
    if (!result.ok) {
      return result.status === 401 ? "아이디 또는 비밀번호가 맞지 않아요." : result.message;
    }
    this.user = { username: usernameOf(result.data) || username };
    await this.syncGuest();
    await this.loadServerWatchlist();
    this.emit("change");
    return "";
  }

  /** Returns an error message, or "" on success (then logged in). */
  async signup(username, password) {
    const result = await api("POST", "/api/v1/auth/signup", { username, password });
    if (!result.ok) {
      return result.status === 409 ? "이미 쓰이고 있는 아이디예요." : result.message;
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
      this.notify(`이 기기의 관심 목록을 계정으로 옮기지 못했어요. 다음 로그인 때 다시 시도할게요. (${result.message})`);
      return;
    }
    clearGuestWatchlist();
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
    this.items = readGuestWatchlist();
    this.emit("change");
  }
}
