// Price alerts kept in this browser (localStorage, versioned like the guest watchlist):
// a coin and a target price; the direction is set by where the price is when the alert is
// made (above it: tell me when it rises to the target; below: when it falls to it). Each
// alert fires once, as an in-page notice and, when the visitor allowed it, a system
// notification; every tab follows the others through the `storage` event.

const KEY = "covaex.alerts";
const VERSION = 1;
export const ALERTS_MAX = 20;
const DECIMAL = /^\d+(\.\d+)?$/;

function read() {
  try {
    const stored = JSON.parse(window.localStorage.getItem(KEY) || "null");
    if (!stored || stored.v !== VERSION || !Array.isArray(stored.items)) {
      return [];
    }
    return stored.items.filter(
      (item) =>
        item && typeof item.id === "string" && typeof item.symbol === "string" && DECIMAL.test(item.price) &&
        typeof item.rising === "boolean",
    );
  } catch {
    return [];
  }
}

function write(items) {
  try {
    window.localStorage.setItem(KEY, JSON.stringify({ v: VERSION, items }));
    return true;
  } catch {
    return false;
  }
}

/** "97,123.5" or "97123.5" typed by a person -> "97123.5", or "" when it is not a positive number. */
export function parsePrice(text) {
  const plain = String(text).replace(/[,\s]/g, "");
  return DECIMAL.test(plain) && Number(plain) > 0 ? plain : "";
}

export class PriceAlerts extends EventTarget {
  constructor() {
    super();
    this.items = read();
    window.addEventListener("storage", (event) => {
      if (event.key === KEY || event.key === null) {
        this.items = read();
        this.dispatchEvent(new CustomEvent("change"));
      }
    });
  }

  /** Add an alert; returns "" or a Korean reason it was not added. */
  add(symbol, priceText, currentPrice) {
    const price = parsePrice(priceText);
    if (!price) {
      return "알림 가격을 숫자로 입력해 주세요.";
    }
    if (!currentPrice) {
      return "아직 이 코인의 시세가 없어요. 잠시 후 다시 시도해 주세요.";
    }
    if (Number(price) === Number(currentPrice)) {
      return "지금 가격과 같아요. 다른 가격을 입력해 주세요.";
    }
    const items = read();
    if (items.length >= ALERTS_MAX) {
      return `가격 알림은 ${ALERTS_MAX}개까지 만들 수 있어요.`;
    }
    const id = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    items.push({ id, symbol, price, rising: Number(price) > Number(currentPrice), createdAt: Date.now() });
    if (!write(items)) {
      return "이 브라우저에서는 알림을 저장할 수 없어요.";
    }
    this.items = items;
    this.dispatchEvent(new CustomEvent("change"));
    return "";
  }

  remove(id) {
    this.items = read().filter((item) => item.id !== id);
    write(this.items);
    this.dispatchEvent(new CustomEvent("change"));
  }

  /** Fire (once) every alert whose price was reached; "fired" carries {alert, last}. */
  check(markets) {
    const reached = [];
    for (const market of markets) {
      if (!market.last) {
        continue;
      }
      const last = Number(market.last);
      for (const alert of this.items) {
        if (alert.symbol === market.symbol && (alert.rising ? last >= Number(alert.price) : last <= Number(alert.price))) {
          reached.push({ alert, last: market.last });
        }
      }
    }
    if (reached.length === 0) {
      return;
    }
    const fired = new Set(reached.map(({ alert }) => alert.id));
    // Another tab may fire the same alert: only the one that removes it from storage tells.
    const stored = read();
    const mine = reached.filter(({ alert }) => stored.some((item) => item.id === alert.id));
    this.items = stored.filter((item) => !fired.has(item.id));
    write(this.items);
    for (const detail of mine) {
      this.dispatchEvent(new CustomEvent("fired", { detail }));
    }
    this.dispatchEvent(new CustomEvent("change"));
  }
}
