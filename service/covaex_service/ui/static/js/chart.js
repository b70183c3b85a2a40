// The coin page's candlestick chart, drawn by TradingView's lightweight-charts (vendored,
// pinned, served by the service: /static/vendor/). History comes from
// GET /api/v1/markets/<SYMBOL>/klines, the open candle from the WebSocket's kline frames.

import { api } from "./api.js";
import { pricePlaces } from "./format.js";

const HISTORY_LIMIT = 300;
// Korean market colours: rise red, fall blue (as in the list).
const RISE = "#e42939";
const FALL = "#2272eb";
// lightweight-charts draws UTC timestamps as they are: shift them so the axis reads local time.
const OFFSET_S = -new Date().getTimezoneOffset() * 60;

function bar(kline) {
  return {
    time: Math.floor(kline.openTime / 1000) + OFFSET_S,
    open: Number(kline.open),
    high: Number(kline.high),
    low: Number(kline.low),
    close: Number(kline.close),
  };
}

function themeOptions() {
  const style = getComputedStyle(document.documentElement);
  const color = (name) => style.getPropertyValue(name).trim();
  return {
    // The library's own logo injects a <style> element the page's CSP refuses; the page credits
    // TradingView with a plain link under the chart instead, as the library's NOTICE asks.
    layout: { background: { color: "transparent" }, textColor: color("--text-2"), attributionLogo: false },
    grid: { vertLines: { color: color("--line") }, horzLines: { color: color("--line") } },
  };
}

export class CandleChart {
  constructor(container, status, symbol) {
    this.container = container;
    this.status = status;
    this.symbol = symbol;
    this.interval = "";
    this.series = null;
    this.chart = null;
    this.lastTime = 0;
    this.request = 0;
  }

  ensureChart() {
    if (this.chart) {
      return true;
    }
    const library = window.LightweightCharts;
    if (!library) {
      this.say("차트를 그릴 수 없어요. 페이지를 새로 고쳐 주세요.");
      return false;
    }
    this.chart = library.createChart(this.container, {
      autoSize: true,
      localization: { locale: "ko-KR" },
      timeScale: { timeVisible: true, secondsVisible: false },
      ...themeOptions(),
    });
    this.series = this.chart.addSeries(library.CandlestickSeries, {
      upColor: RISE,
      downColor: FALL,
      borderUpColor: RISE,
      borderDownColor: FALL,
      wickUpColor: RISE,
      wickDownColor: FALL,
    });
    // Follow the system's dark mode as the page does.
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
      this.chart.applyOptions(themeOptions());
    });
    return true;
  }

  say(text) {
    this.status.textContent = text;
    this.status.hidden = !text;
  }

  /** Load the history of `interval`; the caller then follows its open candle. */
  async show(interval) {
    this.interval = interval;
    this.request += 1;
    const request = this.request;
    this.say("차트를 불러오는 중이에요…");
    const path = `/api/v1/markets/${encodeURIComponent(this.symbol)}/klines?interval=${interval}&limit=${HISTORY_LIMIT}`;
    const result = await api("GET", path);
    if (request !== this.request) {
      return; // another interval was chosen meanwhile
    }
    if (!result.ok || !result.data || !Array.isArray(result.data.klines)) {
      this.say(`차트를 불러오지 못했어요. ${result.message}`);
      return;
    }
    if (!this.ensureChart()) {
      return;
    }
    const bars = result.data.klines.map(bar);
    const places = bars.length > 0 ? pricePlaces(result.data.klines.at(-1).close) : 2;
    this.series.applyOptions({ priceFormat: { type: "price", precision: places, minMove: 10 ** -places } });
    this.series.setData(bars);
    this.lastTime = bars.length > 0 ? bars.at(-1).time : 0;
    this.chart.timeScale().fitContent();
    this.container.dataset.interval = interval;
    this.container.dataset.bars = String(bars.length);
    this.say(result.data.source === "simulator" ? "시뮬레이터가 만든 캔들이에요." : "");
  }

  /** The open candle from the WebSocket. */
  update(interval, kline) {
    if (!this.series || interval !== this.interval) {
      return;
    }
    const next = bar(kline);
    if (next.time < this.lastTime) {
      return; // older than what is drawn (a late frame after a reconnect)
    }
    this.series.update(next);
    this.lastTime = next.time;
    this.container.dataset.liveClose = kline.close;
    this.container.dataset.liveOpenTime = String(kline.openTime);
  }
}
