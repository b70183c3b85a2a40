// A row's 24 h line, drawn by the server from the hourly candles (ui/page.py `sparkline`: the
// price at each hour's boundary, a day ago to now), kept live here: its last point is the open
// candle's close, so it follows the row's price, and a new hour starts a new point.
// Attribute writes only (no layout read): no reflow per tick.

const HOUR_MS = 3_600_000;
const HOURS = 24; // page.py DAY_CANDLES: 25 hour boundaries, a day ago at the left edge, now at the right
const PAD = 2; // page.py SPARK_PAD
const DIRECTIONS = ["rise", "fall", "flat"];

export class Spark {
  constructor(svg) {
    this.svg = svg;
    this.line = svg.querySelector("polyline");
    const [, , width, height] = svg.getAttribute("viewBox").split(" ").map(Number);
    this.width = width;
    this.height = height;
    this.lastOpen = Number(svg.dataset.lastOpen);
    this.points = null; // parsed on the first update: most rows of a long list never need it
  }

  /** The server's points back as {slot, value}: y undoes the scale between data-low and data-high. */
  parse() {
    const low = Number(this.svg.dataset.low);
    const high = Number(this.svg.dataset.high);
    const usable = this.height - 2 * PAD;
    return this.line
      .getAttribute("points")
      .trim()
      .split(/\s+/)
      .map((pair) => {
        const [x, y] = pair.split(",").map(Number);
        const slot = Math.round((x / this.width) * HOURS);
        return { slot, value: high === low ? low : high - ((y - PAD) / usable) * (high - low) };
      });
  }

  /** Move the line's newest point to `price` (a decimal string) as of `now` (ms). */
  update(price, now = Date.now()) {
    const value = Number(price);
    if (!Number.isFinite(value)) {
      return;
    }
    this.points ??= this.parse();
    const hours = Math.floor((now - this.lastOpen) / HOUR_MS);
    if (hours > 0) {
      // New hourly candles opened since the line was drawn: the day moves left by as many slots.
      this.lastOpen += hours * HOUR_MS;
      this.points = this.points.map((p) => ({ slot: p.slot - hours, value: p.value })).filter((p) => p.slot >= 0);
      this.points.push({ slot: HOURS, value });
    } else {
      this.points[this.points.length - 1].value = value;
    }
    this.draw();
  }

  draw() {
    const values = this.points.map((p) => p.value);
    const low = Math.min(...values);
    const high = Math.max(...values);
    const usable = this.height - 2 * PAD;
    const step = this.width / HOURS;
    const text = this.points
      .map((p) => {
        const y = high === low ? this.height / 2 : PAD + ((high - p.value) / (high - low)) * usable;
        return `${(p.slot * step).toFixed(2)},${y.toFixed(2)}`;
      })
      .join(" ");
    this.line.setAttribute("points", text);
    const first = values[0];
    const last = values[values.length - 1];
    const direction = last > first ? "rise" : last < first ? "fall" : "flat";
    if (!this.svg.classList.contains(direction)) {
      this.svg.classList.remove(...DIRECTIONS);
      this.svg.classList.add(direction);
    }
  }
}
