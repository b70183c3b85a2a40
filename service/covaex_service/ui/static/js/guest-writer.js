// One writer of the guest watchlist per browser.
//
// localStorage has no transactions: each tab reads its own copy, and another tab's write
// reaches that copy a moment later (Chromium keeps one cached copy per renderer process).
// Two tabs that each read, change and write the whole list at once undo each other's
// change. So the tab holding the Web Lock below writes for every tab; the others send it
// each change over a BroadcastChannel and take the list it answers with. A change is data
// (star or unstar one symbol, forget the symbols merged into an account), applied to the
// list as the writer holds it. Without Web Locks or BroadcastChannel, or when no writer
// answers in time (its tab frozen), a tab writes itself.

import { config } from "./config.js";
import { clearGuestWatchlist, readGuestWatchlist, updateGuestWatchlist } from "./store.js";

const LOCK = "covaex.watchlist.writer";
const CHANNEL = "covaex.watchlist.guest";
const ANSWER_WITHIN_MS = 2000;

/**
 * The items after one change: `{kind: "star", symbol, wanted, addedAt}` or
 * `{kind: "forget", symbols}`; null when a star does not fit under the cap.
 */
function applyChange(items, change) {
  if (change.kind === "forget") {
    const gone = new Set(change.symbols);
    return items.filter((item) => !gone.has(item.symbol));
  }
  const present = items.some((item) => item.symbol === change.symbol);
  if (change.wanted && !present) {
    if (items.length >= config.watchlistCap) {
      return null;
    }
    return [...items, { symbol: change.symbol, addedAt: change.addedAt }];
  }
  return change.wanted ? items : items.filter((item) => item.symbol !== change.symbol);
}

function holdForever() {
  return new Promise(() => {});
}

/** Fires "written" when this tab wrote a change another tab sent: the `storage` event never fires in the writer. */
export class GuestWriter extends EventTarget {
  constructor() {
    super();
    const supported = Boolean(navigator.locks) && typeof BroadcastChannel === "function";
    this.writing = !supported;
    this.waiting = new Map();
    this.nextId = 0;
    this.tabId = Math.random().toString(36).slice(2);
    this.channel = supported ? new BroadcastChannel(CHANNEL) : null;
    this.elected = supported ? this.elect() : Promise.resolve();
    this.channel?.addEventListener("message", (event) => this.onMessage(event.data));
  }

  /** Settles once this tab knows whether it writes; a reader queues to take over when the writer's tab closes. */
  elect() {
    return new Promise((settled) => {
      navigator.locks.request(LOCK, { ifAvailable: true }, (lock) => {
        if (lock) {
          this.writing = true;
          settled();
          return holdForever();
        }
        settled();
        navigator.locks.request(LOCK, () => {
          this.writing = true;
          return holdForever();
        });
        return undefined;
      });
    });
  }

  onMessage(message) {
    if (!message || typeof message !== "object") {
      return;
    }
    if (message.type === "change" && this.writing) {
      this.channel.postMessage({ type: "done", id: message.id, ...this.write(message.change) });
      this.dispatchEvent(new Event("written"));
    } else if (message.type === "done") {
      const settle = this.waiting.get(message.id);
      if (settle) {
        this.waiting.delete(message.id);
        settle({ outcome: message.outcome, items: message.items });
      }
    }
  }

  /** Apply a change here: `{outcome: "ok" | "full" | "unavailable", items}`. */
  write(change) {
    const outcome = updateGuestWatchlist((items) => applyChange(items, change));
    if (outcome === "ok" && change.kind === "forget" && readGuestWatchlist().length === 0) {
      clearGuestWatchlist();
    }
    return { outcome, items: readGuestWatchlist() };
  }

  /** Apply a change through the writer tab: resolves to `{outcome, items}` as `write` does. */
  async change(change) {
    await this.elected;
    if (this.writing) {
      return this.write(change);
    }
    this.nextId += 1;
    const id = `${this.tabId}-${this.nextId}`;
    const answer = await new Promise((settle) => {
      this.waiting.set(id, settle);
      this.channel.postMessage({ type: "change", id, change });
      setTimeout(() => {
        if (this.waiting.delete(id)) {
          settle(null);
        }
      }, ANSWER_WITHIN_MS);
    });
    return answer || this.write(change);
  }
}
