// The live market connection: subscribe over /ws/v1/market, reconnect forever with
// capped, jittered backoff, resubscribe after every reconnect, ping to keep it warm.
//
// Events: "state" ({detail: {state: "connecting"|"live"|"offline", retryInMs}}),
//         "markets" ({detail: {kind: "snapshot"|"update", markets}}).

const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 30000;
const PING_EVERY_MS = 20000;

export class LiveFeed extends EventTarget {
  constructor(path, symbols) {
    super();
    this.path = path;
    this.symbols = symbols;
    this.socket = null;
    this.attempt = 0;
    this.retryTimer = 0;
    this.pingTimer = 0;
    this.lastSeq = 0;
    this.requestId = 0;
    this.stopped = false;
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  start() {
    this.stopped = false;
    window.addEventListener("online", () => this.reconnectNow());
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.clearTimeout(this.retryTimer);
    window.clearInterval(this.pingTimer);
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
      this.send({ op: "subscribe", symbols: this.symbols });
      window.clearInterval(this.pingTimer);
      this.pingTimer = window.setInterval(() => this.send({ op: "ping" }), PING_EVERY_MS);
    });
    socket.addEventListener("message", (event) => this.receive(event.data));
    socket.addEventListener("close", () => {
      if (this.socket === socket) {
        this.scheduleReconnect();
      }
    });
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
      this.attempt = 0;
      this.emit("state", { state: "live", retryInMs: 0 });
      this.emit("markets", { kind: "snapshot", markets: frame.data || [] });
    } else if (frame.type === "update") {
      if (this.lastSeq && frame.seq !== this.lastSeq + 1) {
        // A gap means frames were lost: a fresh subscription brings a new snapshot.
        this.send({ op: "subscribe", symbols: this.symbols });
      }
      this.lastSeq = frame.seq;
      this.emit("markets", { kind: "update", markets: frame.data || [] });
    } else if (frame.type === "error") {
      this.emit("error", { code: frame.code, message: frame.message });
    }
  }

  scheduleReconnect() {
    window.clearInterval(this.pingTimer);
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
      this.attempt = 0;
      this.connect();
    }
  }
}
