// The live market connection: subscribe over /ws/v1/market, reconnect forever with
// capped, jittered backoff, resubscribe after every reconnect.
//
// Liveness: a socket can stay "open" long after the network is gone, so the feed checks it.
// Any frame proves the connection alive; after QUIET_MS without one it pings, and a ping
// unanswered for PONG_TIMEOUT_MS (or the browser's `offline` event) declares it dead at
// once: worst case QUIET_MS + WATCHDOG_MS + PONG_TIMEOUT_MS = 4.5 s, within the 5 s promised.
//
// Candles: `watchKlines(symbol, interval)` adds the gateway's candle extension
// ({"op": "subscribe", "symbols": [symbol], "klines": [interval]}), kept across reconnects.
//
// Events: "state" ({detail: {state: "connecting"|"live"|"offline", retryInMs}}),
//         "markets" ({detail: {kind: "snapshot"|"update", markets}}),
//         "kline" ({detail: {symbol, interval, source, kline}}).

const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 30000;
export const QUIET_MS = 1000;
export const PONG_TIMEOUT_MS = 3000;
const WATCHDOG_MS = 500;

export class LiveFeed extends EventTarget {
  constructor(path, symbols) {
    super();
    this.path = path;
    this.symbols = symbols;
    this.socket = null;
    this.attempt = 0;
    this.retryTimer = 0;
    this.watchdog = 0;
    this.lastFrameAt = 0;
    this.pingSentAt = 0;
    this.lastSeq = 0;
    this.requestId = 0;
    this.stopped = false;
    this.klines = null;
  }

  /** Follow one symbol's open candle at `interval` (replacing the candle followed before). */
  watchKlines(symbol, interval) {
    const before = this.klines;
    this.klines = { symbol, interval };
    if (before) {
      this.send({ op: "unsubscribe", symbols: [before.symbol], klines: [before.interval] });
    }
    this.subscribeKlines();
  }

  subscribeKlines() {
    if (this.klines) {
      this.send({ op: "subscribe", symbols: [this.klines.symbol], klines: [this.klines.interval] });
    }
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  start() {
    this.stopped = false;
    window.addEventListener("online", () => this.reconnectNow());
    window.addEventListener("offline", () => this.declareDead());
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.clearTimeout(this.retryTimer);
    window.clearInterval(this.watchdog);
    if (this.socket) {
      this.socket.close(1000, "bye");
    }
  }

  url() {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    return `${scheme}://${window.location.host}${this.path}`;
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.requestId += 1;
      this.socket.send(JSON.stringify({ ...message, id: this.requestId }));
    }
  }

  connect() {
    window.clearTimeout(this.retryTimer);
    this.emit("state", { state: "connecting", retryInMs: 0 });
    const socket = new WebSocket(this.url());
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.lastSeq = 0;
      this.snapshotAsked = true;
      this.lastFrameAt = Date.now();
      this.pingSentAt = 0;
      this.send({ op: "subscribe", symbols: this.symbols });
      this.subscribeKlines();
      window.clearInterval(this.watchdog);
      this.watchdog = window.setInterval(() => this.checkAlive(), WATCHDOG_MS);
    });
    socket.addEventListener("message", (event) => {
      if (this.socket === socket) {
        this.lastFrameAt = Date.now();
        this.pingSentAt = 0;
        this.receive(event.data);
      }
    });
    socket.addEventListener("close", () => {
      if (this.socket === socket) {
        this.scheduleReconnect();
      }
    });
  }

  checkAlive() {
    const now = Date.now();
    if (this.pingSentAt > 0 && now - this.pingSentAt > PONG_TIMEOUT_MS) {
      this.declareDead();
    } else if (this.pingSentAt === 0 && now - this.lastFrameAt > QUIET_MS) {
      this.pingSentAt = now;
      this.send({ op: "ping" });
    }
  }

  /** Give up on the current socket now (its close may take minutes on a dead network). */
  declareDead() {
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED || this.stopped) {
      return;
    }
    this.socket = null;
    try {
      socket.close(4000, "no answer");
    } catch {
      // Already closing: nothing more to do with it.
    }
    this.scheduleReconnect();
  }

  receive(raw) {
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      return;
    }
    if ("source" in frame || "stale" in frame) {
      // snapshot, update and status frames say which feed the data comes from
      // and whether it is stale; the page's labels follow them.
      this.emit("status", { source: frame.source, stale: frame.stale });
    }
    if (frame.type === "snapshot") {
      this.snapshotAsked = false;
      this.attempt = 0;
      this.emit("state", { state: "live", retryInMs: 0 });
      this.emit("markets", { kind: "snapshot", markets: frame.data || [] });
    } else if (frame.type === "update") {
      if (this.snapshotAsked) {
        // Updates flow but the snapshot that makes the connection live was lost: ask again, once.
        this.snapshotAsked = false;
        this.send({ op: "subscribe", symbols: this.symbols });
      }
      if (this.lastSeq && frame.seq !== this.lastSeq + 1) {
        // A gap means frames were lost: a fresh subscription brings a new snapshot.
        this.send({ op: "subscribe", symbols: this.symbols });
      }
      this.lastSeq = frame.seq;
      this.emit("markets", { kind: "update", markets: frame.data || [] });
    } else if (frame.type === "kline") {
      this.emit("kline", { symbol: frame.symbol, interval: frame.interval, source: frame.source, kline: frame.data });
    } else if (frame.type === "error") {
      this.emit("error", { code: frame.code, message: frame.message });
    }
  }

  scheduleReconnect() {
    window.clearInterval(this.watchdog);
    if (this.stopped) {
      return;
    }
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** this.attempt);
    const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    this.attempt += 1;
    this.emit("state", { state: "offline", retryInMs: delay });
    this.retryTimer = window.setTimeout(() => this.connect(), delay);
  }

  reconnectNow() {
    if (!this.socket || this.socket.readyState === WebSocket.CLOSED) {
      window.clearTimeout(this.retryTimer);
      this.attempt = 0;
      this.connect();
    }
  }
}
