// The dashboard page: asks for the API token, reads the SSE stream with fetch (EventSource
// cannot send an Authorization header) and draws what it says: summary figures, candles
// with trades, equity and drawdown, risk, health. Its kill switch and stage switches call
// the control plane's own routes with the token, which audits them. It must never act
// without the operator's confirmation, put the token in a URL or keep it beyond the tab
// (sessionStorage), nor write data as HTML.
"use strict";

const TOKEN_KEY = "dashboardToken";
const STREAM_URL = "../v1/dashboard/stream";
const RETRY_MS = 3000;
const US_PER_S = 1e6;
const LISTS = ["bars", "signals", "risk", "trades", "account", "regimes"];
/** The latest rejections and trades listed; the counts above them cover everything. */
const REJECTIONS_SHOWN = 5;
const TRADES_SHOWN = 10;
const KILL_SWITCH_URL = "../v1/kill-switch";
const COMPONENTS_URL = "../v1/components";

const $ = (id) => document.getElementById(id);

/** The latest snapshot, kept current by batch and status frames. */
let state = null;
let charts = null;
let drawScheduled = false;
let stream = null;
/** Why the server ended the last stream (a `dropped` or `end` frame), if it said. */
let notice = null;

class AuthError extends Error {}

// --- token and connection -------------------------------------------------------------

function showLogin(message) {
  $("board").hidden = true;
  $("forget").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message ?? "";
  setConnection("not connected", "");
}

function setConnection(text, className) {
  const badge = $("connection");
  badge.textContent = text;
  badge.className = `badge ${className}`;
}

async function connect() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return showLogin();
  $("login").hidden = true;
  $("board").hidden = false;
  $("forget").hidden = false;
  stream = new AbortController();
  const { signal } = stream;
  setConnection("connecting", "");
  notice = null;
  try {
    await readStream(token, signal);
    setConnection(`${notice ?? "stream ended"}, reconnecting`, "down");
  } catch (error) {
    if (signal.aborted) return;
    if (error instanceof AuthError) {
      sessionStorage.removeItem(TOKEN_KEY);
      return showLogin(error.message);
    }
    setConnection(`disconnected (${error.message}), reconnecting`, "down");
  }
  if (!signal.aborted) setTimeout(connect, RETRY_MS);
}

/** Reads `event:`/`data:` frames off the stream until it ends. */
async function readStream(token, signal) {
  const response = await fetch(STREAM_URL, {
    headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
    cache: "no-store",
    signal,
  });
  if (response.status === 401 || response.status === 403) {
    throw new AuthError(`The server refused the token (HTTP ${response.status}).`);
  }
  if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
  setConnection("live", "live");
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      onFrame(parseFrame(buffer.slice(0, end)));
      buffer = buffer.slice(end + 2);
    }
  }
}

function parseFrame(text) {
  let event = "message";
  const data = [];
  for (const line of text.split("\n")) {
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    if (field === "data") data.push(value);
  }
  return { event, data: data.length ? JSON.parse(data.join("\n")) : null };
}

function onFrame({ event, data }) {
  if (event === "snapshot") state = data;
  else if (event === "batch" && state) merge(data);
  else if (event === "status" && state) Object.assign(state, data);
  else if (event === "dropped") notice = `dropped by the server: ${data.reason}`;
  else if (event === "end") notice = `feed ended: ${data.reason}`;
  scheduleDraw();
}

function merge(delta) {
  for (const key of LISTS) state[key] = state[key].concat(delta[key]).slice(-state.limits[key]);
  if (delta.positions) state.positions = delta.positions;
  state.tally = delta.tally;
  state.seq = delta.seq;
}

// --- drawing --------------------------------------------------------------------------

function scheduleDraw() {
  if (drawScheduled) return;
  drawScheduled = true;
  requestAnimationFrame(() => {
    drawScheduled = false;
    if (state) draw();
  });
}

function draw() {
  charts ??= makeCharts();
  // Equity first: drawing the price chart moves its range, which the equity chart follows.
  drawEquity();
  drawPrice();
  drawSummary();
  drawControls();
  drawRisk();
  drawTrades();
  drawPositions();
  drawHealth();
  drawRegimeAndModels();
  const lastBar = state.bars.at(-1);
  $("price-caption").textContent = `${state.timeframe} bid candles, UTC`;
  $("last-update").textContent = `batch ${state.seq}` +
    (lastBar ? ` · last bar ${utc(lastBar.closeUs)}` : "");
  $("last-update").dataset.seq = String(state.seq);
}

const COLORS = {
  up: "#26a269",
  down: "#c62828",
  buy: "#2e7d32",
  sell: "#c62828",
  signal: "#7b8aa8",
  equity: "#1565c0",
  balance: "#9a9a9a",
  drawdown: "#c62828",
};

/** A drawdown as "-1.25 %", never "-0.00 %". */
const percentLabel = (value) => `${(Math.abs(value) < 0.005 ? 0 : value).toFixed(2)} %`;

const CHART_OPTIONS = {
  autoSize: true,
  layout: {
    attributionLogo: false,
    background: { type: "solid", color: "#ffffff" },
    textColor: "#1d2330",
    fontSize: 11,
    panes: { separatorColor: "#e3e6eb" },
  },
  grid: { vertLines: { color: "#f2f3f5" }, horzLines: { color: "#f2f3f5" } },
  // Room on the right so the last time label is not cut.
  timeScale: {
    timeVisible: true,
    secondsVisible: false,
    borderColor: "#d5d9e0",
    rightOffsetPixels: 28,
  },
  // No half-drawn price labels at the top and bottom edges.
  rightPriceScale: { borderColor: "#d5d9e0", entireTextOnly: true },
};

function makeCharts() {
  const LWC = globalThis.LightweightCharts;
  const price = LWC.createChart($("price-chart"), CHART_OPTIONS);
  const candles = price.addSeries(LWC.CandlestickSeries, {
    upColor: COLORS.up,
    downColor: COLORS.down,
    borderVisible: false,
    wickUpColor: COLORS.up,
    wickDownColor: COLORS.down,
  });
  const markers = LWC.createSeriesMarkers(candles, []);
  const equityChart = LWC.createChart($("equity-chart"), CHART_OPTIONS);
  const equity = equityChart.addSeries(LWC.LineSeries, { color: COLORS.equity, lineWidth: 2 });
  const balance = equityChart.addSeries(LWC.LineSeries, {
    color: COLORS.balance,
    lineWidth: 1,
    lineStyle: LWC.LineStyle.Dashed,
    lastValueVisible: false,
    priceLineVisible: false,
  });
  const drawdown = equityChart.addSeries(LWC.AreaSeries, {
    lineColor: COLORS.drawdown,
    lineWidth: 1,
    topColor: "rgba(198, 40, 40, 0.05)",
    bottomColor: "rgba(198, 40, 40, 0.3)",
    invertFilledArea: true,
    priceFormat: { type: "custom", formatter: percentLabel, minMove: 0.01 },
  }, 1);
  equityChart.panes()[0].setStretchFactor(2);
  // Both charts have a point per bar: zooming or panning the price chart moves the equity.
  price.timeScale().subscribeVisibleLogicalRangeChange((range) => {
    if (range !== null) equityChart.timeScale().setVisibleLogicalRange(range);
  });
  // Handles for the browser tests.
  globalThis.dashboardCharts = { price, equity: equityChart };
  return { price, candles, markers, equityChart, equity, balance, drawdown, fitted: false };
}

const seconds = (timeUs) => Math.floor(timeUs / US_PER_S);

/** Index of the last bar opening at or before `timeUs`, or -1 outside the bars. */
function barIndexAt(bars, timeUs) {
  if (bars.length === 0 || timeUs < bars[0].openUs || timeUs > bars.at(-1).closeUs) return -1;
  let lo = 0;
  let hi = bars.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (bars[mid].openUs <= timeUs) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Bid candles; signals (small) and trade entries and exits as markers on their bar. */
function drawPrice() {
  const bars = state.bars;
  charts.candles.setData(bars.map((bar) => ({
    time: seconds(bar.openUs),
    open: bar.bid.open,
    high: bar.bid.high,
    low: bar.bid.low,
    close: bar.bid.close,
  })));
  const markers = [];
  const put = (timeUs, marker) => {
    const at = barIndexAt(bars, timeUs);
    if (at >= 0) markers.push({ time: seconds(bars[at].openUs), ...marker });
  };
  for (const signal of state.signals) {
    const buy = signal.side === "buy";
    put(signal.timeUs, {
      position: buy ? "belowBar" : "aboveBar",
      shape: buy ? "arrowUp" : "arrowDown",
      color: COLORS.signal,
      size: 0.6,
    });
  }
  for (const trade of state.trades) {
    const buy = trade.side === "buy";
    put(trade.entryTimeUs, {
      position: buy ? "atPriceBottom" : "atPriceTop",
      price: trade.entryPrice,
      shape: buy ? "arrowUp" : "arrowDown",
      color: buy ? COLORS.buy : COLORS.sell,
    });
    put(trade.exitTimeUs, {
      position: "atPriceMiddle",
      price: trade.exitPrice,
      shape: "circle",
      color: trade.pnl >= 0 ? COLORS.buy : COLORS.sell,
    });
  }
  charts.markers.setMarkers(markers.sort((a, b) => a.time - b.time));
  if (!charts.fitted && bars.length > 0) {
    charts.price.timeScale().fitContent();
    charts.fitted = true;
  }
}

/**
 * The account on the price chart's bars (the last point at or before each bar's close, none
 * before the first), so both charts share one axis and zoom together; on its own times,
 * one per second, when there are no bars. Drawdown from the running equity peak, in %.
 */
function drawEquity() {
  const steps = state.bars.length > 0
    ? state.bars.map((bar) => ({ time: seconds(bar.openUs), endUs: bar.closeUs }))
    : [...new Set(state.account.map((p) => seconds(p.timeUs)))]
      .map((time) => ({ time, endUs: (time + 1) * US_PER_S - 1 }));
  const equity = [];
  const balance = [];
  const drawdown = [];
  let next = 0;
  let point = null;
  let peak = -Infinity;
  for (const { time, endUs } of steps) {
    while (next < state.account.length && state.account[next].timeUs <= endUs) {
      point = state.account[next++];
      peak = Math.max(peak, point.equity);
    }
    if (point === null) {
      for (const list of [equity, balance, drawdown]) list.push({ time });
      continue;
    }
    equity.push({ time, value: point.equity });
    balance.push({ time, value: point.balance });
    drawdown.push({ time, value: peak > 0 ? (point.equity / peak - 1) * 100 : 0 });
  }
  charts.equity.setData(equity);
  charts.balance.setData(balance);
  charts.drawdown.setData(drawdown);
}

const money = (value) =>
  value === null || value === undefined
    ? "-"
    : value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

function setFigure(id, value, signed) {
  const element = $(id);
  element.textContent = money(value);
  element.className = !signed || value === null || value === 0 ? "" : value > 0 ? "pos" : "neg";
}

/** Balance, equity, open and today's P&L from the account; trades and win rate from the tally. */
function drawSummary() {
  const account = state.account.at(-1) ?? null;
  const tally = state.tally;
  setFigure("sum-balance", account?.balance ?? null, false);
  setFigure("sum-equity", account?.equity ?? null, false);
  setFigure("sum-open", account ? account.equity - account.balance : null, true);
  setFigure(
    "sum-today",
    account && tally.dayStartEquity !== null ? account.equity - tally.dayStartEquity : null,
    true,
  );
  setFigure("sum-net", tally.netProfit, true);
  $("sum-trades").textContent = String(tally.trades);
  $("sum-winrate").textContent = tally.trades > 0
    ? `${(tally.wins / tally.trades * 100).toFixed(1)} %`
    : "-";
}

function utc(timeUs) {
  return new Date(timeUs / 1000).toISOString().slice(0, 19).replace("T", " ");
}

const price = (value) => (value === null || value === undefined ? "-" : value.toFixed(2));

/** Replaces a table's body with rows of text cells; `[cells, className]` per row. */
function fillTable(id, rows) {
  const body = $(id).tBodies[0];
  body.replaceChildren(...rows.map(([cells, className]) => {
    const tr = document.createElement("tr");
    if (className) tr.className = className;
    for (const cell of cells) {
      const td = document.createElement("td");
      const [text, cellClass] = Array.isArray(cell) ? cell : [cell, ""];
      td.textContent = String(text);
      if (cellClass) td.className = cellClass;
      tr.append(td);
    }
    return tr;
  }));
}

/** The trading state, the kill switch and the stage switches, when this process has them. */
function drawControls() {
  const trading = state.status?.trading ?? null;
  const components = state.status?.components ?? [];
  const badge = $("trading-state");
  badge.hidden = trading === null;
  $("kill-switch").hidden = trading === null;
  $("no-controls").hidden = trading !== null || components.length > 0;
  if (trading !== null) {
    const killed = trading.reasons.some((r) => r.code === "KILL_SWITCH");
    badge.textContent = trading.state;
    badge.className = `badge ${trading.state}`;
    $("trading-text").textContent = trading.state;
    $("trading-text").className = trading.state;
    $("trading-reasons").textContent = trading.reasons.map((r) => `${r.code}: ${r.detail}`)
      .join("; ");
    const button = $("kill-switch");
    button.textContent = killed ? "Turn the kill switch off" : "Kill switch: halt trading";
    button.className = killed ? "" : "danger";
    button.dataset.on = killed ? "false" : "true";
  }
  $("components").hidden = components.length === 0;
  const body = $("components").tBodies[0];
  body.replaceChildren(...components.map(({ name, enabled }) => {
    const tr = document.createElement("tr");
    const nameCell = document.createElement("td");
    nameCell.textContent = name;
    const stateCell = document.createElement("td");
    stateCell.textContent = enabled ? "enabled" : "disabled";
    stateCell.className = enabled ? "ok" : "degraded";
    const buttonCell = document.createElement("td");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = enabled ? "Disable" : "Enable";
    button.dataset.component = name;
    button.dataset.action = enabled ? "disable" : "enable";
    buttonCell.append(button);
    tr.append(nameCell, stateCell, buttonCell);
    return tr;
  }));
}

/** Counts by reason since the start; the latest few rejections with their reasons. */
function drawRisk() {
  const decisions = state.risk;
  const rejected = decisions.filter((d) => d.decision === "reject");
  $("risk-window").textContent = String(decisions.length);
  $("risk-accepted").textContent = String(decisions.length - rejected.length);
  $("risk-rejected").textContent = String(rejected.length);
  const counts = Object.entries(state.tally.rejectionsByReason).sort((a, b) => b[1] - a[1]);
  fillTable("rejection-counts", counts.map(([code, n]) => [[code, [n, "n"]], ""]));
  fillTable(
    "rejections",
    rejected.slice(-REJECTIONS_SHOWN).reverse().map((d) => [
      [[utc(d.timeUs), "time"], d.side, d.reasons.map((r) => r.code).join(", ")],
      "",
    ]),
  );
}

function drawTrades() {
  fillTable(
    "trade-table",
    state.trades.slice(-TRADES_SHOWN).reverse().map((t) => [
      [
        [utc(t.exitTimeUs), "time"],
        t.side,
        [t.lots, "n"],
        [price(t.entryPrice), "n"],
        [price(t.exitPrice), "n"],
        t.exitReason,
        [t.pnl.toFixed(2), "n"],
      ],
      t.pnl >= 0 ? "win" : "loss",
    ]),
  );
}

function drawPositions() {
  fillTable(
    "position-table",
    state.positions.map((p) => [
      [
        p.side,
        [p.lots, "n"],
        [price(p.entryPrice), "n"],
        [price(p.stopLoss), "n"],
        [price(p.takeProfit), "n"],
      ],
      p.side,
    ]),
  );
}

function drawRegimeAndModels() {
  const regime = state.regimes.at(-1);
  $("regime").textContent = regime
    ? `${regime.volatility} volatility, ${regime.trend} (${regime.timeframe}, since ${
      utc(regime.timeUs)
    })`
    : "none yet";
  $("model-production").textContent = state.status?.production?.id ?? "none";
  $("model-shadow").textContent = state.status?.shadow?.id ?? "none";
}

function drawHealth() {
  const health = state.health;
  $("health-overall").textContent = health ? health.status : "not reported";
  fillTable(
    "health-table",
    Object.entries(health?.components ?? {}).map(([name, c]) => [
      [name, c.status, c.detail, [c.lastEventAgeSeconds?.toFixed(1) ?? "-", "n"]],
      c.status,
    ]),
  );
}

// --- actions --------------------------------------------------------------------------

/** What the open confirmation dialog will do: `{ url, body, needsReason, describe }`. */
let pending = null;

function confirmAction(action) {
  pending = action;
  $("confirm-title").textContent = action.title;
  $("confirm-text").textContent = action.text;
  $("confirm-reason").value = "";
  $("confirm-reason").hidden = !action.needsReason;
  $("confirm-reason-label").hidden = !action.needsReason;
  $("confirm-error").textContent = "";
  $("confirm").showModal();
  if (action.needsReason) $("confirm-reason").focus();
}

/** Sends the confirmed action with the token; the server audits it under that token. */
async function sendAction(action, reason) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const response = await fetch(action.url, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
    },
    body: action.body === null ? undefined : JSON.stringify({ ...action.body, reason }),
    cache: "no-store",
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(answer.error ?? `HTTP ${response.status}`);
  }
  return answer;
}

$("kill-switch").addEventListener("click", () => {
  const on = $("kill-switch").dataset.on === "true";
  confirmAction({
    title: on ? "Halt trading?" : "Turn the kill switch off?",
    text: on
      ? "The risk engine refuses every new trade until the switch is turned off; " +
        "open positions are flattened when the risk config says so (flattenOnKill)."
      : "The risk engine accepts new trades again, within its other rules.",
    url: KILL_SWITCH_URL,
    body: { on },
    needsReason: true,
    done: `kill switch ${on ? "on" : "off"}`,
  });
});

$("components").addEventListener("click", (event) => {
  const button = event.target.closest("button[data-component]");
  if (!button) return;
  const { component, action } = button.dataset;
  confirmAction({
    title: `${action === "disable" ? "Disable" : "Enable"} ${component}?`,
    text: action === "disable"
      ? `The ${component} stage stops and passes events through untouched until enabled again.`
      : `The ${component} stage starts again with fresh state.`,
    url: `${COMPONENTS_URL}/${encodeURIComponent(component)}/${action}`,
    body: null,
    needsReason: false,
    done: `${component} ${action}d`,
  });
});

$("confirm-cancel").addEventListener("click", () => $("confirm").close());

$("confirm-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const action = pending;
  const reason = $("confirm-reason").value.trim();
  if (action.needsReason && reason === "") {
    $("confirm-error").textContent = "Give a reason: it goes into the audit log.";
    return;
  }
  $("confirm-ok").disabled = true;
  try {
    await sendAction(action, reason);
    $("confirm").close();
    $("control-result").textContent =
      `Done: ${action.done}. The state updates with the next status.`;
  } catch (error) {
    $("confirm-error").textContent = `The server refused: ${error.message}`;
  } finally {
    $("confirm-ok").disabled = false;
  }
});

// --- start ----------------------------------------------------------------------------

$("login").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
  $("token").value = "";
  connect();
});

$("forget").addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  stream?.abort();
  showLogin();
});

connect();
