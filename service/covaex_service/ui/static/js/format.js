// Number formatting for live updates. Same rules as ui/page.py (server-side render):
// keep the two in step so a re-render never changes a digit that did not change.

const COMPACT_UNITS = [
  [1e12, "T"],
  [1e9, "B"],
  [1e6, "M"],
  [1e3, "K"],
];
const formatters = new Map();

function fixed(places, signDisplay = "auto") {
  const key = `${places}:${signDisplay}`;
  if (!formatters.has(key)) {
    formatters.set(
      key,
      new Intl.NumberFormat("en-US", {
        minimumFractionDigits: places,
        maximumFractionDigits: places,
        roundingMode: "halfExpand",
        signDisplay,
      }),
    );
  }
  return formatters.get(key);
}

/** Fraction digits for a price: cents for big coins, more for small ones. */
export function pricePlaces(raw) {
  const value = Math.abs(Number(raw));
  if (value >= 1) {
    return 2;
  }
  return value >= 0.01 ? 4 : 8;
}

/** A decimal price string formatted without float rounding (Intl reads strings exactly). */
export function formatPrice(raw) {
  return fixed(pricePlaces(raw)).format(String(raw));
}

/** "+1.23%", "-0.50%", "0.00%". */
export function formatChange(raw) {
  return `${fixed(2, "exceptZero").format(String(raw))}%`;
}

/** "rise", "fall" or "flat" for a change that rounds to two places. */
export function directionOf(raw) {
  const value = Number(raw);
  if (value >= 0.005) {
    return "rise";
  }
  return value <= -0.005 ? "fall" : "flat";
}

/** A quote volume in compact form, e.g. "$1.23B". */
export function formatVolume(raw) {
  const value = Number(raw) || 0;
  for (const [size, unit] of COMPACT_UNITS) {
    if (Math.abs(value) >= size) {
      return `$${fixed(2).format(value / size)}${unit}`;
    }
  }
  return `$${fixed(2).format(value)}`;
}

/** Wall-clock time in Korea for an epoch-ms timestamp, e.g. "12:34:56 기준". */
export function formatAsOf(ms) {
  const time = new Intl.DateTimeFormat("en-GB", {
    timeZone: "Asia/Seoul",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).format(new Date(ms));
  return `${time} 기준`;
}
