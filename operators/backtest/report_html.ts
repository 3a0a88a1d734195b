/**
 * The `--report` file: one self-contained HTML page rendered from the validated JSON
 * document, so the page and the JSON can never disagree. Charts are inline SVG (equity,
 * drawdown, price with trades, Monte Carlo bands); there is no script, no stylesheet
 * link and no external resource, so it opens offline and years later. Every string from
 * the data is escaped (`_html.ts`). The first screen answers: what ran, on which data
 * (file and SHA-256), over which period, and how it did.
 */

import { usFromIso } from "../../pipeline/events.ts";
import { html, money, NOT_AVAILABLE, percent, price, ratio, type Raw, raw } from "./_html.ts";
import { chart, type Marker, type Segment } from "./_svg.ts";
import type { BacktestJson, MonteCarloResult, TradeStats } from "./schema.ts";

/** One point of the price line: a (downsampled) close. */
export interface PricePoint {
  readonly timeUs: number;
  readonly close: number;
}

/** Settings of `backtestHtml()`. */
export interface BacktestHtmlOptions {
  /** The close series under the trade markers, downsampled by the caller. */
  readonly prices: readonly PricePoint[];
  /** Defaults to "<symbol> backtest". */
  readonly title?: string;
}

const COLORS = {
  equity: "#1f77b4",
  balance: "#9a9a9a",
  drawdown: "#d62728",
  price: "#444444",
  buy: "#2ca02c",
  sell: "#d62728",
  exit: "#555555",
  win: "#2ca02c",
  loss: "#d62728",
  outer: "#c6dbef",
  inner: "#6baed6",
  median: "#08519c",
  actual: "#ff7f0e",
} as const;

const STYLE = raw(`
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;margin:0 auto;max-width:1180px;padding:16px 24px}
h1{font-size:22px;margin:8px 0 2px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:14px;margin:16px 0 6px}.sub{color:#555;margin:0 0 12px}
table{border-collapse:collapse;margin:4px 0 12px;font-variant-numeric:tabular-nums}
th,td{padding:3px 10px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
th{background:#f6f6f6;font-weight:600}td.n,th.n{text-align:right}
.pos{color:#1a7f37}.neg{color:#c62828}.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:8px}
.card{border:1px solid #ddd;border-radius:6px;padding:8px 10px}.card b{display:block;font-size:18px}.card span{color:#666;font-size:12px}
svg.chart{width:100%;height:auto;display:block;margin:6px 0 14px}
svg .grid{stroke:#eee}svg .frame{fill:none;stroke:#ccc}svg .tick{font-size:11px;fill:#666}svg .legend{font-size:12px;fill:#333}svg .muted{fill:#888;font-size:14px}
.trades{font-size:12px}.notes li{margin:2px 0}
`);

/** Renders the whole report page. */
export function backtestHtml(doc: BacktestJson, options: BacktestHtmlOptions): string {
  const m = doc.metrics;
  const title = options.title ?? `${doc.symbol} backtest`;
  const files = doc.data_files.map((f) => `${f.name} (SHA-256 ${f.sha256.slice(0, 12)}…)`);
  const subtitle = `${doc.symbol} · ${m.period.start_utc} to ${m.period.end_utc} (UTC) · ` +
    `${ratio(m.period.calendar_days)} calendar days, ${m.period.trading_days} trading days · ` +
    `${m.trades} trades · data ${files.join(", ") || "not named"}`;
  const page = html`
    <!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width,initial-scale=1">
        <title>${title}</title>
        <style>${STYLE}</style>
      </head>
      <body>
    <h1>${title}</h1>
    <p class="sub">${subtitle}</p>
    <p class="sub">${brokerLine(doc)}</p>
    ${cards(doc)}
    <h2>Data</h2>${dataTable(doc)}
    <h2>Equity and drawdown</h2>${equityCharts(doc)}
    <h2>Price and trades</h2>${priceChart(doc, options.prices)}
    <h2>Metrics</h2>${metricsTable(doc)}
    <h2>Breakdowns</h2>
    <h3>By session at entry</h3>${statsTable("Session", m.by_session)}
    <h3>By regime at entry</h3>${statsTable("Regime", m.by_regime)}
    <h3>By exit reason</h3>${statsTable("Exit reason", m.by_exit_reason)}
    <h3>Risk rejections by reason</h3>${rejectionsTable(doc)}
    <h3>Broker refusals by reason</h3>${refusalsLine(doc)}
    <h2>Monte Carlo</h2>${monteCarloSection(doc)}
    <h2>Notes</h2>${notesList(doc)}
    <h2>Trades</h2>${tradeTable(doc)}
    <h2>Configuration</h2>${configTable(doc.config)}
      </body>
    </html>
  `;
  return page.text.trim() + "\n";
}

function signClass(value: number | null): string {
  return value === null || value === 0 ? "" : value > 0 ? "pos" : "neg";
}

function cards(doc: BacktestJson): Raw {
  const m = doc.metrics;
  const items: [string, string, number | null][] = [
    ["Net profit", money(m.net_profit), m.net_profit],
    ["Total return", percent(m.total_return_pct), m.total_return_pct],
    [
      "Buy and hold",
      percent(m.buy_and_hold?.return_pct ?? null),
      m.buy_and_hold?.return_pct ?? null,
    ],
    ["Max drawdown", `${money(m.max_drawdown.amount)} (${percent(m.max_drawdown.pct)})`, null],
    ["Sharpe (daily)", ratio(m.sharpe), null],
    ["Profit factor", ratio(m.profit_factor), null],
    ["Win rate", percent(m.win_rate_pct), null],
    ["Trades", String(m.trades), null],
  ];
  return html`<div class="cards">${
    items.map(([label, value, sign]) =>
      html`<div class="card"><span>${label}</span><b class="${signClass(sign)}">${value}</b></div>`
    )
  }</div>`;
}

function dataTable(doc: BacktestJson): Raw {
  if (doc.data_files.length === 0) return html`<p>No data file was named.</p>`;
  return html`<table><tr><th>File</th><th class="n">Rows</th><th>SHA-256</th></tr>${
    doc.data_files.map((f) =>
      html`
        <tr>
          <td>${f.name}</td>
          <td class="n">${f.rows}</td>
          <td class="mono">${f.sha256}</td>
        </tr>
      `
    )
  }</table>`;
}

/** The config flattened to dotted keys, one row each, values as JSON. */
function configTable(config: Readonly<Record<string, unknown>>): Raw {
  const rows: [string, string][] = [];
  const walk = (value: unknown, path: string) => {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      const entries = Object.entries(value);
      if (entries.length === 0) rows.push([path, "{}"]);
      for (const [key, item] of entries) walk(item, path ? `${path}.${key}` : key);
    } else rows.push([path, typeof value === "string" ? value : JSON.stringify(value)]);
  };
  walk(config, "");
  if (rows.length === 0) return html`<p>No configuration was recorded.</p>`;
  return html`
    <details>
      <summary>${rows.length} settings</summary>
      <table><tr><th>Setting</th><th>Value</th></tr>${rows.map(([key, value]) =>
        html`
          <tr>
            <td class="mono">${key}</td>
            <td class="mono">${value}</td>
          </tr>
        `
      )}</table>
    </details>
  `;
}

function equityCharts(doc: BacktestJson): Raw {
  const start = usFromIso(doc.period.start_utc);
  const times = [start, ...doc.equity_curve.map((p) => usFromIso(p.time_utc))];
  const equity = [doc.metrics.initial_balance, ...doc.equity_curve.map((p) => p.equity)];
  const balance = [doc.metrics.initial_balance, ...doc.equity_curve.map((p) => p.balance)];
  let peak = -Infinity;
  const underwater = equity.map((e) => {
    peak = Math.max(peak, e);
    return (e - peak) / peak * 100;
  });
  return html`${
    chart({
      title: "Equity and balance",
      xAxis: "time",
      yFormat: (v) => money(v),
      lines: [
        { xs: times, ys: balance, color: COLORS.balance, label: "Balance" },
        { xs: times, ys: equity, color: COLORS.equity, label: "Equity (marked to market)" },
      ],
    })
  }${
    chart({
      title: "Drawdown from the running equity peak, %",
      xAxis: "time",
      yFormat: (v) => `${ratio(v)} %`,
      lines: [{
        xs: times,
        ys: underwater,
        color: COLORS.drawdown,
        label: "Drawdown %",
        area: true,
      }],
    })
  }`;
}

function priceChart(doc: BacktestJson, prices: readonly PricePoint[]): Raw {
  const markers: Marker[] = [];
  const segments: Segment[] = [];
  for (const t of doc.trades) {
    const entryUs = usFromIso(t.entry_time_utc);
    const exitUs = usFromIso(t.exit_time_utc);
    const name = `#${t.id} ${t.side} ${t.lots} lots`;
    markers.push({
      x: entryUs,
      y: t.entry_price,
      shape: t.side === "buy" ? "up" : "down",
      color: t.side === "buy" ? COLORS.buy : COLORS.sell,
      title: `${name}: entry ${price(t.entry_price)} at ${t.entry_time_utc}`,
    }, {
      x: exitUs,
      y: t.exit_price,
      shape: "dot",
      color: COLORS.exit,
      title: `${name}: exit ${price(t.exit_price)} at ${t.exit_time_utc} (${t.exit_reason}), ` +
        `P&L ${money(t.pnl)}`,
    });
    segments.push({
      x1: entryUs,
      y1: t.entry_price,
      x2: exitUs,
      y2: t.exit_price,
      color: t.pnl >= 0 ? COLORS.win : COLORS.loss,
    });
  }
  return chart({
    title: "Price (close) with entries (▲ buy, ▼ sell) and exits (●)",
    xAxis: "time",
    yFormat: (v) => price(v),
    lines: prices.length === 0 ? [] : [{
      xs: prices.map((p) => p.timeUs),
      ys: prices.map((p) => p.close),
      color: COLORS.price,
      label: "Close",
    }],
    markers,
    segments,
    empty: "No price series and no trades",
  });
}

function metricsTable(doc: BacktestJson): Raw {
  const m = doc.metrics;
  const bh = m.buy_and_hold;
  const rows: [string, string, string][] = [
    ["Initial balance", money(m.initial_balance), ""],
    ["Final equity", money(m.final_equity), `final balance ${money(m.final_balance)}`],
    ["Net profit", money(m.net_profit), "sum of net trade P&L"],
    ["Gross profit / gross loss", `${money(m.gross_profit)} / ${money(m.gross_loss)}`, ""],
    ["Total return", percent(m.total_return_pct), "final equity / initial balance - 1"],
    ["CAGR", percent(m.cagr_pct), "over calendar time, 365.25-day years"],
    ["Sharpe", ratio(m.sharpe), "daily returns (17:00 New York), x sqrt(252), risk-free 0"],
    ["Sortino", ratio(m.sortino), "downside deviation of daily returns, target 0"],
    ["Calmar", ratio(m.calmar), "CAGR % / max drawdown %"],
    [
      "Max drawdown",
      `${money(m.max_drawdown.amount)} / ${percent(m.max_drawdown.pct)}`,
      m.max_drawdown.peak_time_utc === null
        ? "equity never fell"
        : `peak ${m.max_drawdown.peak_time_utc}, trough ${m.max_drawdown.trough_time_utc}`,
    ],
    ["Max drawdown duration", `${ratio(m.max_drawdown_duration_days)} days`, "peak to recovery"],
    ["Trades", String(m.trades), `${m.wins} wins, ${m.losses} losses`],
    ["Win rate", percent(m.win_rate_pct), "wins / trades"],
    ["Profit factor", ratio(m.profit_factor), "gross profit / |gross loss|"],
    ["Expectancy", money(m.expectancy), "net profit / trades"],
    ["Average win / loss", `${money(m.average_win)} / ${money(m.average_loss)}`, ""],
    ["Average R", ratio(m.average_r), `P&L / initial risk, over ${m.r_trades} trades`],
    ["Exposure", percent(m.exposure_pct), "calendar time with a position open"],
    [
      "Costs",
      money(m.costs.total),
      `commission ${money(m.costs.commission)}, swap ${money(m.costs.swap)} (as booked), ` +
      `spread ${money(m.costs.spread)}; all already inside net P&L`,
    ],
    [
      "Buy and hold",
      bh === null ? NOT_AVAILABLE : `${percent(bh.return_pct)} / ${money(bh.pnl)}`,
      bh === null
        ? ""
        : `ask ${price(bh.entry_price)} at ${bh.entry_time_utc} to bid ${
          price(bh.exit_price)
        } at ` +
          `${bh.exit_time_utc}, notional = initial balance, unlevered`,
    ],
    [
      "Risk decisions",
      `${m.risk_decisions.accepted} accepted, ${m.risk_decisions.rejected} rejected`,
      "",
    ],
  ];
  return html`<table><tr><th>Metric</th><th class="n">Value</th><th>Definition</th></tr>${
    rows.map(([label, value, note]) =>
      html`
        <tr>
          <td>${label}</td>
          <td class="n">${value}</td>
          <td>${note}</td>
        </tr>
      `
    )
  }</table>`;
}

function statsTable(label: string, groups: Readonly<Record<string, TradeStats>>): Raw {
  const entries = Object.entries(groups);
  if (entries.length === 0) return html`<p>No trades.</p>`;
  return html`<table><tr><th>${label}</th><th class="n">Trades</th><th class="n">Wins</th><th class="n">Losses</th><th class="n">Win rate</th><th class="n">Net profit</th><th class="n">Profit factor</th><th class="n">Expectancy</th></tr>${
    entries.map(([key, s]) =>
      html`
        <tr>
          <td>${key}</td>
          <td class="n">${s.trades}</td>
          <td class="n">${s.wins}</td>
          <td class="n">${s.losses}</td>
          <td class="n">${percent(s.win_rate_pct)}</td>
          <td class="n ${signClass(s.net_profit)}">${money(s.net_profit)}</td>
          <td class="n">${ratio(s.profit_factor)}</td>
          <td class="n">${money(s.expectancy)}</td>
        </tr>
      `
    )
  }</table>`;
}

function rejectionsTable(doc: BacktestJson): Raw {
  const entries = Object.entries(doc.metrics.risk_rejections_by_reason);
  if (entries.length === 0) return html`<p>No rejections.</p>`;
  return html`
    <table><tr><th>Reason code</th><th class="n">Rejections</th></tr>${entries.map(([code, n]) =>
      html`
        <tr>
          <td class="mono">${code}</td>
          <td class="n">${n}</td>
        </tr>
      `
    )}</table>
    <p class="sub">A rejection with several reasons counts under each.</p>
  `;
}

/** The broker profile and the news filter, in one line under the title. */
function brokerLine(doc: BacktestJson): string {
  const b = doc.broker;
  const news = doc.news.enabled
    ? `news filter on (${doc.news.calendar})`
    : "news filter OFF (no calendar given)";
  return `broker: ${b.name}${
    b.file === null ? "" : ` (${b.file})`
  } · 1:${b.leverage}, lots ${b.min_lot} ` +
    `step ${b.lot_step}, stop-out ${b.stop_out_level_pct}% · ${news}`;
}

function refusalsLine(doc: BacktestJson): Raw {
  const entries = Object.entries(doc.metrics.broker_refusals_by_reason);
  if (entries.length === 0) return html`<p>No order was refused, expired or cancelled.</p>`;
  return html`<p>${doc.metrics.broker_refusals} orders not executed: ${
    entries.map(([reason, n]) => `${reason} ${n}`).join(", ")
  }.</p>`;
}

function monteCarloSection(doc: BacktestJson): Raw {
  if (doc.monte_carlo.length === 0) return html`<p>No Monte Carlo was run.</p>`;
  const bandRow = (label: string, b: MonteCarloResult["final_equity"], f: typeof money) =>
    html`<tr><td>${label}</td>${
      [b.p5, b.p25, b.p50, b.p75, b.p95].map((v) => html`<td class="n">${f(v)}</td>`)
    }</tr>`;
  const actual = [doc.metrics.initial_balance];
  for (const t of doc.trades) actual.push(actual[actual.length - 1] + t.pnl);
  return html`${
    doc.monte_carlo.map((mc) =>
      html`
        <h3>${mc.method === "reshuffle" ? "Trade reshuffling" : "Bootstrap"}: ${mc
          .runs} runs, seed ${mc.seed}, ${mc.trades} trades</h3>
        <table><tr><th></th><th class="n">5 %</th><th class="n">25 %</th><th class="n">50 %</th><th class="n">75 %</th><th class="n">95 %</th></tr>${bandRow(
          "Final equity",
          mc.final_equity,
          money,
        )}${bandRow("Max drawdown", mc.max_drawdown, money)}${bandRow(
          "Max drawdown %",
          mc.max_drawdown_pct,
          percent,
        )}</table><p
          class="sub">Runs ending below the initial balance: ${percent(
            mc.loss_probability_pct,
          )}. Equity here is closed-trade equity.</p>${chart({
            title: `${mc.method} Monte Carlo: closed-trade equity by trade number`,
            xAxis: "index",
            yFormat: (v) => money(v),
            bands: [
              {
                xs: mc.path.trade_index,
                lo: mc.path.p5,
                hi: mc.path.p95,
                color: COLORS.outer,
                label: "5-95 %",
              },
              {
                xs: mc.path.trade_index,
                lo: mc.path.p25,
                hi: mc.path.p75,
                color: COLORS.inner,
                label: "25-75 %",
              },
            ],
            lines: [
              { xs: mc.path.trade_index, ys: mc.path.p50, color: COLORS.median, label: "Median" },
              { xs: actual.map((_, i) => i), ys: actual, color: COLORS.actual, label: "This run" },
            ],
          })}
      `
    )
  }`;
}

function notesList(doc: BacktestJson): Raw {
  if (doc.metrics.notes.length === 0) return html`<p>None.</p>`;
  return html`<ul class="notes">${doc.metrics.notes.map((n) => html`<li>${n}</li>`)}</ul>`;
}

function tradeTable(doc: BacktestJson): Raw {
  if (doc.trades.length === 0) return html`<p>No trades.</p>`;
  const head = [
    "#",
    "Id",
    "Side",
    "Lots",
    "Entry (UTC)",
    "Entry",
    "Exit (UTC)",
    "Exit",
    "Reason",
    "P&L",
    "Commission",
    "Swap",
    "Spread",
    "MAE",
    "MFE",
    "R",
    "Session",
    "Regime",
  ];
  return html`<table class="trades"><tr>${head.map((h) => html`<th>${h}</th>`)}</tr>${
    doc.trades.map((t, i) =>
      html`
        <tr>
          <td class="n">${i + 1}</td>
          <td class="mono">${t.id}</td>
          <td>${t.side}</td>
          <td class="n">${t.lots}</td>
          <td>${t.entry_time_utc}</td>
          <td class="n">${price(t.entry_price)}</td>
          <td>${t.exit_time_utc}</td>
          <td class="n">${price(t.exit_price)}</td>
          <td>${t.exit_reason}</td>
          <td class="n ${signClass(t.pnl)}">${money(t.pnl)}</td>
          <td class="n">${money(t.commission)}</td>
          <td class="n">${money(t.swap)}</td>
          <td class="n">${money(t.spread_cost)}</td>
          <td class="n">${money(t.mae)}</td>
          <td class="n">${money(t.mfe)}</td>
          <td class="n">${ratio(t.r_multiple)}</td>
          <td>${t.session}</td>
          <td>${t.regime}</td>
        </tr>
      `
    )
  }</table>`;
}
