// Browser-side storage: the guest watchlist (documented, versioned schema) and the
// recently viewed coins. Both tolerate foreign or corrupt values instead of throwing.

import { config } from "./config.js";

const RECENT_KEY = "covaex.recent";
const RECENT_MAX = 10;

function readJson(key) {
  try {
    return JSON.parse(window.localStorage.getItem(key) || "null");
  } catch {
    return null;
  }
}

function writeJson(key, value) {
  try {
    window.localStorage.setItem(key, JSON.stringify(value));
    return true;
  } catch {
    return false;
  }
}

function isItem(item) {
  return (
    item !== null &&
    typeof item === "object" &&
    typeof item.symbol === "string" &&
    Number.isFinite(item.addedAt)
  );
}

/** The guest watchlist items `[{symbol, addedAt}]`; empty when absent or of another version. */
export function readGuestWatchlist() {
  const stored = readJson(config.guestStorageKey);
  if (!stored || stored.v !== config.guestSchemaVersion || !Array.isArray(stored.items)) {
    return [];
  }
  const seen = new Set();
  return stored.items.filter((item) => {
    if (!isItem(item) || seen.has(item.symbol)) {
      return false;
    }
    seen.add(item.symbol);
    return true;
  });
}

/**
 * Change the guest watchlist as stored right now (another tab may have changed it since
 * this one read it): `change(items)` returns the new items, or null when the list is full.
 * Returns "ok", "full" or "unavailable" (storage disabled or over quota).
 */
export function updateGuestWatchlist(change) {
  const items = change(readGuestWatchlist());
  if (items === null) {
    return "full";
  }
  const written = writeJson(config.guestStorageKey, {
    v: config.guestSchemaVersion,
    items: items.map(({ symbol, addedAt }) => ({ symbol, addedAt })),
  });
  return written ? "ok" : "unavailable";
}

export function clearGuestWatchlist() {
  try {
    window.localStorage.removeItem(config.guestStorageKey);
  } catch {
    // Storage disabled: there is nothing to clear.
  }
}

/** Recently viewed symbols, newest first. */
export function readRecent() {
  const stored = readJson(RECENT_KEY);
  if (!stored || stored.v !== 1 || !Array.isArray(stored.symbols)) {
    return [];
  }
  return stored.symbols.filter((symbol) => typeof symbol === "string");
}

export function rememberViewed(symbol) {
  const symbols = [symbol, ...readRecent().filter((other) => other !== symbol)].slice(0, RECENT_MAX);
  writeJson(RECENT_KEY, { v: 1, symbols });
  return symbols;
}
