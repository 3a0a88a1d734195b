// The dashboard page: asks for the API token, reads the SSE stream with fetch (EventSource
// cannot send an Authorization header) and draws what it says. It must never put the
// token in a URL or keep it beyond the tab (sessionStorage), nor write data as HTML.
"use strict";

const TOKEN_KEY = "dashboardToken";
const STREAM_URL = "../v1/dashboard/stream";
const RETRY_MS = 3000;
const US_PER_S = 1e6;
const LISTS = ["bars", "signals", "risk", "trades", "account", "regimes"];
const TABLE_ROWS = 50;

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
  charts.price.setData(priceData());
  charts.equity.setData(equityData());
  drawPositions();
  drawRisk();
  drawTrades();
  drawRegimeAndModels();
  drawHealth();
  const lastBar = state.bars.at(-1);
  $("price-caption").textContent = `${state.timeframe} bid close, UTC`;
  $("last-update").textContent = `batch ${state.seq}` +
    (lastBar ? ` · last bar ${utc(lastBar.closeUs)}` : "");
  $("last-update").dataset.seq = String(state.seq);
}

const utcDate = (seconds) => uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC");
const clock = uPlot.fmtDate("{HH}:{mm}");
/** A UTC time axis in 24-hour time (uPlot's default is am/pm). */
const TIME_AXIS = { values: (_, splits) => splits.map((s) => clock(utcDate(s))) };

function marker(label, color, size) {
  return {
    label,
    stroke: color,
    fill: color,
    paths: () => null,
    points: { show: true, size, stroke: color, fill: color },
  };
}

function makeChart(id, series, axes = [TIME_AXIS, { size: 70 }], scales = undefined) {
  const element = $(id);
  const chart = new uPlot(
    {
      width: element.clientWidth || 800,
      height: 260,
      tzDate: utcDate,
      series,
      axes,
      scales,
    },
    [[], ...series.slice(1).map(() => [])],
    element,
  );
  new ResizeObserver(() => chart.setSize({ width: element.clientWidth, height: 260 }))
    .observe(element);
  return chart;
}

function makeCharts() {
  return {
    price: makeChart("price-chart", [
      {},
      { label: "Bid close", stroke: "#1d2330", width: 1 },
      marker("Buy signal", "#2e7d32", 7),
      marker("Sell signal", "#c62828", 7),
      marker("Trade entry", "#1565c0", 10),
      marker("Trade exit", "#ef6c00", 10),
    ]),
    equity: makeChart(
      "equity-chart",
      [
        {},
        { label: "Equity", stroke: "#1565c0", width: 1.5, scale: "money" },
        { label: "Drawdown %", stroke: "#c62828", fill: "rgba(198,40,40,0.1)", scale: "pct" },
      ],
      [TIME_AXIS, { scale: "money", size: 70 }, { scale: "pct", side: 1, grid: { show: false } }],
      { money: {}, pct: {} },
    ),
  };
}

/** Index of the first bar closing at or after `timeUs`, or -1 when outside the bars. */
function barIndexAt(xs, timeUs) {
  const x = timeUs / US_PER_S;
  if (xs.length === 0 || x < xs[0] - 60 || x > xs[xs.length - 1]) return -1;
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Bars as the line; signals and trades snapped onto the bar they happened in. */
function priceData() {
  const xs = state.bars.map((bar) => bar.closeUs / US_PER_S);
  const markers = () => new Array(xs.length).fill(null);
  const [buys, sells, entries, exits] = [markers(), markers(), markers(), markers()];
  const put = (series, timeUs, price) => {
    const at = barIndexAt(xs, timeUs);
    if (at >= 0) series[at] = price;
  };
  for (const signal of state.signals) {
    put(signal.side === "buy" ? buys : sells, signal.timeUs, signal.entryPrice);
  }
  for (const trade of state.trades) {
    put(entries, trade.entryTimeUs, trade.entryPrice);
    put(exits, trade.exitTimeUs, trade.exitPrice);
  }
  return [xs, state.bars.map((bar) => bar.bid.close), buys, sells, entries, exits];
}

function equityData() {
  let peak = -Infinity;
  const drawdown = state.account.map(({ equity }) => {
    peak = Math.max(peak, equity);
    return peak > 0 ? (equity / peak - 1) * 100 : 0;
  });
  return [
    state.account.map((point) => point.timeUs / US_PER_S),
    state.account.map((point) => point.equity),
    drawdown,
  ];
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
      td.textContent = String(cell);
      tr.append(td);
    }
    return tr;
  }));
}

function drawPositions() {
  fillTable(
    "positions",
    state.positions.map((p) => [
      [p.side, p.lots, price(p.entryPrice), price(p.stopLoss), price(p.takeProfit)],
      p.side,
    ]),
  );
}

function drawRisk() {
  const decisions = state.risk;
  const rejected = decisions.filter((d) => d.decision === "reject");
  $("risk-state").textContent = decisions.at(-1)?.state ?? "unknown";
  $("risk-state").className = decisions.at(-1)?.state ?? "";
  $("risk-accepted").textContent = String(decisions.length - rejected.length);
  $("risk-rejected").textContent = String(rejected.length);
  fillTable(
    "rejections",
    rejected.slice(-TABLE_ROWS).reverse().map((d) => [
      [utc(d.timeUs), d.side, d.reasons.map((r) => r.code).join(", ")],
      "",
    ]),
  );
}

function drawTrades() {
  fillTable(
    "trades",
    state.trades.slice(-TABLE_ROWS).reverse().map((t) => [
      [
        utc(t.exitTimeUs),
        t.side,
        t.lots,
        price(t.entryPrice),
        price(t.exitPrice),
        t.exitReason,
        t.pnl.toFixed(2),
      ],
      t.pnl >= 0 ? "win" : "loss",
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
    "health",
    Object.entries(health?.components ?? {}).map(([name, c]) => [
      [name, c.status, c.detail, c.lastEventAgeSeconds?.toFixed(1) ?? "-"],
      c.status,
    ]),
  );
}

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
