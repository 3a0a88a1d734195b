/**
 * The `--report` file: one self-contained, interactive HTML page rendered from the
 * validated JSON document (so the page and the JSON can never disagree) and the run's
 * candles. The vendored TradingView Lightweight Charts build and the page's own script
 * and styles are inlined, so it opens offline and years later; it loads nothing. The
 * first screen answers what ran (model or technical only), on which data, over which
 * period, how it did, and whether trading was halted. Every data string is escaped
 * (`_html.ts`); the chart data goes in as JSON with `<` escaped, never as markup.
 */

import { ATTRIBUTION, LIGHTWEIGHT_CHARTS_JS } from "../../vendor/lightweight-charts/mod.ts";
import {
  html,
  htmlPage,
  jsonForScript,
  money,
  NOT_AVAILABLE,
  percent,
  price,
  ratio,
  type Raw,
  raw,
} from "./_html.ts";
import { chartData, equitySamples, monthlyReturns, type MonthlyRow } from "./_report_data.ts";
import {
  banners,
  baselineSection,
  costsSection,
  modelOf,
  settingRows,
  sourcesSection,
  warmupSection,
} from "./_report_sections.ts";
import type { CandleSeries } from "./candles.ts";
import type { BacktestJson, MonteCarloResult, TradeRow, TradeStats } from "./schema.ts";
import { WARMING_UP_REGIME } from "./tags.ts";
import pageCss from "./_report_page.css" with { type: "text" };
import pageJs from "./_report_page.js" with { type: "text" };

/** Settings of `backtestHtml()`. */
export interface BacktestHtmlOptions {
  /** The price chart's candles (`ReportCandles.finish()`); none: equity and drawdown only. */
  readonly candles: CandleSeries;
  /** Defaults to "<symbol> backtest". */
  readonly title?: string;
}

/** The page's sections in order, with the ids the navigation links to. */
const SECTIONS = {
  charts: "Price, equity and drawdown",
  monthly: "Monthly returns",
  breakdowns: "Breakdowns",
  decisions: "Decisions",
  metrics: "Metrics",
  "monte-carlo": "Monte Carlo",
  trades: "Trades",
  data: "Data and configuration",
} as const;

type SectionId = keyof typeof SECTIONS;

/** Renders the whole report page. */
export function backtestHtml(doc: BacktestJson, options: BacktestHtmlOptions): string {
  return backtestHtmlAround(doc, options)(doc.baseline);
}

/**
 * The report page of `doc` with its chance baseline left out, and the function that writes
 * a baseline in: so the page is rendered while the baseline's runs are still going.
 * `fill(baseline)` is `backtestHtml` of `doc` with that baseline, to the byte. Only the
 * summary's "vs chance" card and the baseline's section read it.
 */
export function backtestHtmlAround(
  doc: BacktestJson,
  options: BacktestHtmlOptions,
): (baseline: BacktestJson["baseline"]) => string {
  const nonce = crypto.randomUUID();
  const cardHole = `<!--baseline-card-${nonce}-->`;
  const sectionHole = `<!--baseline-section-${nonce}-->`;
  const m = doc.metrics;
  const title = options.title ?? `${doc.symbol} backtest`;
  const files = doc.data_files.map((f) => `${f.name} (SHA-256 ${f.sha256.slice(0, 12)}…)`);
  const subtitle = `${doc.symbol} · ${m.period.start_utc} to ${m.period.end_utc} (UTC) · ` +
    `${ratio(m.period.calendar_days)} calendar days, ${m.period.trading_days} trading days · ` +
    `${m.trades} trades · data ${files.join(", ") || "not named"}`;
  const equity = equitySamples(doc);
  const sections: [SectionId, Raw][] = [
    ["charts", chartSection(options.candles)],
    ["monthly", monthlyTable(monthlyReturns(doc, equity))],
    ["breakdowns", breakdowns(doc)],
    [
      "decisions",
      html`
        <div class="grid">
          <div class="full"><h3>Sources</h3>${sourcesSection(doc)}</div>
          <div><h3>Warm-up</h3>${warmupSection(doc)}</div>
          <div><h3>Costs against the levels</h3>${costsSection(doc)}</div>
          <div class="full"><h3>Chance baseline</h3>${raw(sectionHole)}</div>
        </div>
      `,
    ],
    [
      "metrics",
      html`
        <div class="grid">
          <div>${metricsTable(doc)}</div>
          <div><h3>Notes</h3>${notesList(doc)}</div>
        </div>
      `,
    ],
    ["monte-carlo", monteCarloSection(doc)],
    ["trades", tradeTable(doc.trades)],
    ["data", dataSection(doc)],
  ];
  const page = htmlPage(
    title,
    raw(pageCss),
    html`
      <header>
        <h1>${title}</h1>
        <p class="sub">${subtitle}</p>
        ${modelLine(doc)}
        <nav>${sections.map(([id]) => html`<a href="#${id}">${SECTIONS[id]}</a>`)}</nav>
      </header>
      ${banners(doc)}${cards(doc, raw(cardHole))}${sections.map(([id, body]) =>
        html`<section id="${id}"><h2>${SECTIONS[id]}</h2>${body}</section>`
      )}
      <p
        class="attribution">Charts drawn with ${ATTRIBUTION.text} <a href="${ATTRIBUTION
          .href}">${ATTRIBUTION.href}</a> (Apache-2.0).</p>
      <script type="application/json" id="report-data">${jsonForScript(
        chartData(doc, options.candles, equity),
      )}</script>
      <script>${raw(LIGHTWEIGHT_CHARTS_JS)}</script>
      <script>${raw(pageJs)}</script>
    `,
  );
  // The cards come before the sections; each place is in the page once (its nonce).
  const card = page.indexOf(cardHole);
  const section = page.indexOf(sectionHole, card);
  const head = page.slice(0, card);
  const middle = page.slice(card + cardHole.length, section);
  const tail = page.slice(section + sectionHole.length);
  return (baseline) =>
    head + chanceCard(baseline.random).text + middle +
    baselineSection({ ...doc, baseline }).text + tail;
}

/** The "vs chance" card's value: the strategy's net-profit percentile among the runs. */
function chanceCard(random: BacktestJson["baseline"]["random"]): Raw {
  return html`${
    random === null ? NOT_AVAILABLE : `percentile ${ratio(random.percentile.net_profit)}`
  }`;
}

function signClass(value: number | null): string {
  return value === null || value === 0 ? "" : value > 0 ? "pos" : "neg";
}

/** Which model decided, with its feature spec, or that none did. */
function modelLine(doc: BacktestJson): Raw {
  const model = modelOf(doc);
  if (model === null) {
    return html`<p class="model">Signals: <b>technical only</b> (no model voted).</p>`;
  }
  return html`
    <p
      class="model">Signals: <b>model <span class="mono">${model.modelId}</span></b>${model.kind ===
          undefined
        ? ""
        : ` (${model.kind})`} · feature spec <span class="mono">${model.featureSpecHash}</span></p>
  `;
}

/** The summary's cards; `chance` is the "vs chance" card's value (`chanceCard`). */
function cards(doc: BacktestJson, chance: Raw): Raw {
  const m = doc.metrics;
  const items: [string, string | Raw, number | null][] = [
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
    ["Net profit vs chance", chance, null],
  ];
  return html`<div class="cards" id="summary">${
    items.map(([label, value, sign]) =>
      html`<div class="card"><span>${label}</span><b class="${signClass(sign)}">${value}</b></div>`
    )
  }</div>`;
}

function chartSection(candles: CandleSeries): Raw {
  const what = candles.candles.length > 0
    ? `${candles.timeframe} candles (bid, UTC) with entries (▲ buy, ▼ sell) and exits (● green win, red loss); equity (solid) and balance (dashed); drawdown from the running equity peak, % (deepest in each candle).`
    : "Equity (solid) and balance (dashed); drawdown from the running equity peak, %.";
  return html`
    <p class="sub">${what} Scroll or pinch to zoom, drag to pan.</p>
    <div class="toolbar">Zoom: <button type="button" data-zoom="7">1 week</button><button
        type="button" data-zoom="30">1 month</button><button type="button" data-zoom="91">3 months</button><button
        type="button" data-zoom="0">All</button></div>
    <div id="chart"></div>
    <div id="legend" data-hint="Move over the chart to read a candle, the equity and its trades."></div>
  `;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function monthlyTable(rows: readonly MonthlyRow[]): Raw {
  return html`
    <table class="monthly"><tr><th>Year</th>${MONTHS.map((name) =>
      html`<th>${name}</th>`
    )}<th>Year</th></tr>${rows
      .map((row) =>
        html`<tr><th>${row.year}</th>${
          row.months.map((value, i) =>
            value === null ? html`<td></td>` : html`<td class="${signClass(value)}" title="${
              row
                .trades[i]
            } trades closed, net ${money(row.pnl[i])}">${ratio(value)}</td>`
          )
        }<td class="${signClass(row.total)}"><b>${ratio(row.total)}</b></td></tr>`
      )}</table>
    <p
      class="sub">Return of equity per UTC calendar month, in %; hover a month for its closed trades and their net P&amp;L.</p>
  `;
}

function breakdowns(doc: BacktestJson): Raw {
  const m = doc.metrics;
  const warming = m.by_regime[WARMING_UP_REGIME];
  return html`
    <div class="grid">
      <div><h3>By exit reason</h3>${statsTable("Exit reason", m.by_exit_reason)}</div>
      <div><h3>By session at entry</h3>${statsTable("Session", m.by_session)}</div>
      <div><h3>By regime at entry</h3>${statsTable("Regime", m.by_regime)}${warming === undefined
        ? null
        : html`
          <p
            class="sub">${WARMING_UP_REGIME}: ${warming
              .trades} trades entered before the regime detector's first label (it warms up on H1 bars first).</p>
        `}</div>
      <div><h3>Refusals</h3>${refusalsTable(doc)}</div>
    </div>
  `;
}

function statsTable(label: string, groups: Readonly<Record<string, TradeStats>>): Raw {
  const entries = Object.entries(groups);
  if (entries.length === 0) return html`<p>No trades.</p>`;
  return html`<table><tr><th>${label}</th><th class="n">Trades</th><th class="n">Win rate</th><th class="n">Net profit</th><th class="n">Profit factor</th><th class="n">Expectancy</th></tr>${
    entries.map(([key, s]) =>
      html`
        <tr>
          <td>${key}</td>
          <td class="n">${s.trades}</td>
          <td class="n">${percent(s.win_rate_pct)}</td>
          <td class="n ${signClass(s.net_profit)}">${money(s.net_profit)}</td>
          <td class="n">${ratio(s.profit_factor)}</td>
          <td class="n">${money(s.expectancy)}</td>
        </tr>
      `
    )
  }</table>`;
}

/** Risk rejections and broker refusals, side by side by reason. */
function refusalsTable(doc: BacktestJson): Raw {
  const risk = Object.entries(doc.metrics.risk_rejections_by_reason);
  const broker = Object.entries(doc.metrics.broker_refusals_by_reason);
  const decisions = doc.metrics.risk_decisions;
  if (risk.length === 0 && broker.length === 0) return html`<p>No rejections.</p>`;
  const rows = [
    ...risk.map(([code, n]) => ["risk engine", code, n] as const),
    ...broker.map(([code, n]) => ["broker", code, n] as const),
  ];
  return html`
    <table><tr><th>By</th><th>Reason code</th><th class="n">Count</th></tr>${rows.map((
      [by, code, n],
    ) =>
      html`
        <tr>
          <td>${by}</td>
          <td class="mono">${code}</td>
          <td class="n">${n}</td>
        </tr>
      `
    )}</table>
    <p
      class="sub">${decisions.accepted} signals accepted, ${decisions
        .rejected} rejected by the risk engine; a rejection with several reasons counts under each.</p>
  `;
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
        } at ${bh.exit_time_utc}, notional = initial balance, unlevered`,
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

function monteCarloSection(doc: BacktestJson): Raw {
  if (doc.monte_carlo.length === 0) return html`<p>No Monte Carlo was run.</p>`;
  const bandRow = (label: string, b: MonteCarloResult["final_equity"], f: typeof money) =>
    html`<tr><td>${label}</td>${
      [b.p5, b.p25, b.p50, b.p75, b.p95].map((v) => html`<td class="n">${f(v)}</td>`)
    }</tr>`;
  return html`
    <p
      class="sub">Closed-trade equity by trade number: 5-95 % and 25-75 % bands (light and mid blue), the median (dark blue) and this run (orange).</p>
    <div class="grid">${doc.monte_carlo.map((mc) =>
      html`
        <div>
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
          )}</table>
          <p class="sub">Runs ending below the initial balance: ${percent(
            mc.loss_probability_pct,
          )}.</p>
          <div class="mc-chart" id="mc-${mc.method}"></div>
        </div>
      `
    )}</div>
  `;
}

function notesList(doc: BacktestJson): Raw {
  if (doc.metrics.notes.length === 0) return html`<p>None.</p>`;
  return html`<ul class="notes">${doc.metrics.notes.map((n) => html`<li>${n}</li>`)}</ul>`;
}

/** "2018-03-05T14:34:00.250Z" as "2018-03-05 14:34:00": the table's time format. */
const shortTime = (iso: string) => iso.slice(0, 19).replace("T", " ");

const TRADE_COLUMNS: readonly [string, boolean][] = [
  ["#", true],
  ["Side", false],
  ["Lots", true],
  ["Entry (UTC)", false],
  ["Entry", true],
  ["Exit (UTC)", false],
  ["Exit", true],
  ["Reason", false],
  ["P&L", true],
  ["Costs", true],
  ["MAE", true],
  ["MFE", true],
  ["R", true],
  ["Session", false],
  ["Regime", false],
];

/** Every trade, sortable by any column and filterable by text, side and outcome. */
function tradeTable(trades: readonly TradeRow[]): Raw {
  if (trades.length === 0) return html`<p>No trades.</p>`;
  const reasons = [...new Set(trades.map((t) => t.exit_reason))].sort();
  return html`
    <div class="filters">
      <input id="trade-filter" type="search" placeholder="Filter: text in any column"
        aria-label="Filter trades">
      <select id="trade-side"
        aria-label="Side"><option value="">both sides</option><option>buy</option><option>sell</option></select>
      <select id="trade-outcome"
        aria-label="Outcome"><option value="">wins and losses</option><option value="win">wins</option><option value="loss">losses</option></select>
      <span id="trade-count">${trades.length} trades</span>
      <span
        class="sub">Exit reasons: ${reasons.join(
          ", ",
        )}. Click a heading to sort. Costs: commission + spread - swap; hover a row for its id.</span>
    </div>
    <div class="scroll">
      <table class="trades" id="trade-table">
        <thead>
          <tr>${TRADE_COLUMNS.map(([label, numeric]) =>
            html`<th class="${numeric ? "n" : ""}">${label}</th>`
          )}</tr>
        </thead>
        <tbody>${trades.map((t, i) => {
          const costs = t.commission + t.spread_cost - t.swap;
          return html`
            <tr data-side="${t.side}" data-outcome="${t.pnl > 0
              ? "win"
              : t.pnl < 0
              ? "loss"
              : "flat"}" title="${t.id}">
              <td class="n">${i + 1}</td>
              <td>${t.side}</td>
              <td class="n">${t.lots}</td>
              <td>${shortTime(t.entry_time_utc)}</td>
              <td class="n" data-v="${t.entry_price}">${price(t.entry_price)}</td>
              <td>${shortTime(t.exit_time_utc)}</td>
              <td class="n" data-v="${t.exit_price}">${price(t.exit_price)}</td>
              <td>${t.exit_reason}</td>
              <td class="n ${signClass(t.pnl)}" data-v="${t.pnl}">${money(t.pnl)}</td>
              <td class="n" data-v="${costs}"
                title="commission ${money(t.commission)}, spread ${money(
                  t.spread_cost,
                )}, swap ${money(t.swap)}">${money(costs)}</td>
              <td class="n" data-v="${t.mae}">${money(t.mae)}</td>
              <td class="n" data-v="${t.mfe}">${money(t.mfe)}</td>
              <td class="n" data-v="${t.r_multiple ?? ""}">${ratio(t.r_multiple)}</td>
              <td>${t.session}</td>
              <td>${t.regime}</td>
            </tr>
          `;
        })}</tbody>
      </table>
    </div>
  `;
}

function dataSection(doc: BacktestJson): Raw {
  return html`
    ${doc.data_files.length === 0
      ? html`<p>No data file was named.</p>`
      : html`<table><tr><th>File</th><th class="n">Rows</th><th>SHA-256</th></tr>${
        doc.data_files
          .map((f) =>
            html`
              <tr>
                <td>${f.name}</td>
                <td class="n">${f.rows}</td>
                <td class="mono">${f.sha256}</td>
              </tr>
            `
          )
      }</table>`}<table>${settingRows(doc).map(([key, value]) =>
        html`
          <tr>
            <th>${key}</th>
            <td class="mono">${value}</td>
          </tr>
        `
      )}</table>${configTable(doc.config)}
  `;
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
      <summary>Configuration: ${rows.length} settings</summary>
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
