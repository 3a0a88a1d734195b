/**
 * The console summary of a backtest, as freqtrade prints one: the halts first (a run that
 * stopped trading must say so before anything else), the result, the warm-up, each
 * signal source's part, costs against the levels, chance (random entries), then tables
 * per exit reason, per month, per session and per regime, the risk engine's refusals and
 * the Monte Carlo bands. A pure function of the JSON document (`backtestJson`), so the
 * same text can be printed again from a saved file, and every figure in it can be found
 * in the document. It never computes a metric of its own but the per-month rows, which
 * are sums of the document's trades.
 */

import { fixed, money, textTable } from "../../pipeline/text_table.ts";
import type { BacktestJson, HaltReport, TradeStats } from "./schema.ts";
import { SESSIONS } from "./schema.ts";
import { modelCoverageWarning } from "./attribution.ts";
import { modelOf } from "./_report_sections.ts";

const count = (n: number) => n.toLocaleString("en-US");
const pct = (value: number | null, digits = 1) =>
  value === null ? "n/a" : `${fixed(value, digits)}%`;

/** The columns every breakdown shares, for a set of trades' stats. */
const STATS_HEADERS = ["trades", "wins", "win %", "net P&L", "avg P&L", "profit factor"];

function statsCells(stats: TradeStats): string[] {
  return [
    count(stats.trades),
    count(stats.wins),
    pct(stats.win_rate_pct),
    money(stats.net_profit),
    money(stats.expectancy),
    fixed(stats.profit_factor),
  ];
}

/** A breakdown table: one row per key with trades, then a total row from `total`. */
function breakdown(
  title: string,
  keyHeader: string,
  entries: readonly (readonly [string, TradeStats])[],
  total: TradeStats,
): string {
  const rows = entries.filter(([, stats]) => stats.trades > 0)
    .map(([key, stats]) => [key, ...statsCells(stats)]);
  if (rows.length === 0) return `${title}: no trades`;
  rows.push(["total", ...statsCells(total)]);
  return `${title}\n${textTable([{ header: keyHeader, align: "left" }, ...STATS_HEADERS], rows)}`;
}

interface MonthRow {
  month: string;
  trades: number;
  wins: number;
  net: number;
  /** Closed-trade balance when the month began. */
  startBalance: number;
}

/** Trades by the UTC month they closed in, with the return on the balance at the month's start. */
function byMonth(document: BacktestJson): string {
  const months: MonthRow[] = [];
  let balance = document.metrics.initial_balance;
  const trades = [...document.trades].sort((a, b) =>
    a.exit_time_utc < b.exit_time_utc ? -1 : a.exit_time_utc > b.exit_time_utc ? 1 : 0
  );
  for (const trade of trades) {
    const month = trade.exit_time_utc.slice(0, 7);
    let row = months.at(-1);
    if (row === undefined || row.month !== month) {
      row = { month, trades: 0, wins: 0, net: 0, startBalance: balance };
      months.push(row);
    }
    row.trades++;
    if (trade.pnl > 0) row.wins++;
    row.net += trade.pnl;
    balance += trade.pnl;
  }
  if (months.length === 0) return "by month (exit time, UTC): no trades";
  const rows = months.map((m) => [
    m.month,
    count(m.trades),
    count(m.wins),
    pct((100 * m.wins) / m.trades),
    money(m.net),
    pct((100 * m.net) / m.startBalance, 2),
  ]);
  return `by month (exit time, UTC; return on the balance at the month's start)\n${
    textTable(
      [{ header: "month", align: "left" }, "trades", "wins", "win %", "net P&L", "return"],
      rows,
    )
  }`;
}

function result(document: BacktestJson): string {
  const m = document.metrics;
  const model = modelOf(document);
  const rows: [string, string][] = [
    [
      "period (UTC)",
      `${m.period.start_utc} .. ${m.period.end_utc} (${m.period.trading_days} trading days)`,
    ],
    [
      "signals",
      model !== null
        ? `model ${model.modelId.slice(0, 12)}… with technical and regime votes`
        : "technical only (no model)",
    ],
    [
      "trades",
      `${count(m.trades)} (${count(m.wins)} won, ${count(m.losses)} lost; win rate ${
        pct(m.win_rate_pct)
      })`,
    ],
    [
      "net profit",
      `${money(m.net_profit)} (${pct(m.total_return_pct, 2)} of ${money(m.initial_balance)})`,
    ],
    ["final balance", money(m.final_balance)],
    ["profit factor", fixed(m.profit_factor)],
    ["expectancy / trade", money(m.expectancy)],
    ["avg win / avg loss", `${money(m.average_win)} / ${money(m.average_loss)}`],
    [
      "max drawdown",
      `${money(m.max_drawdown.amount)} (${pct(m.max_drawdown.pct, 2)}), ${
        fixed(m.max_drawdown_duration_days, 1)
      } days`,
    ],
    ["Sharpe / Sortino / Calmar", `${fixed(m.sharpe)} / ${fixed(m.sortino)} / ${fixed(m.calmar)}`],
    ["exposure", pct(m.exposure_pct)],
    [
      "costs",
      `${money(m.costs.total)} (spread ${money(m.costs.spread)}, commission ${
        money(m.costs.commission)
      }, swap ${money(m.costs.swap)})`,
    ],
  ];
  if (m.buy_and_hold !== null) {
    rows.push([
      "buy and hold",
      `${pct(m.buy_and_hold.return_pct, 2)} (${money(m.buy_and_hold.pnl)} on the initial balance)`,
    ]);
  }
  const width = Math.max(...rows.map(([label]) => label.length));
  return `${document.symbol} backtest\n${
    rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join("\n")
  }`;
}

/** A 0-1 fraction as a percentage. */
const share = (value: number | null, digits = 1) =>
  pct(value === null ? null : value * 100, digits);

/**
 * The halts, the first lines a user reads (nothing above them): when, why, and how much of
 * the period went untraded.
 */
function halts(list: readonly HaltReport[]): string {
  const lines = list.map((h) =>
    `${
      h.enforced ? "HALTED" : "halt recorded (trading went on)"
    } at ${h.time_utc}: ${h.code}, ${h.detail}` +
    (h.enforced
      ? ` (${share(h.untraded_share)} of the period untraded${
        h.until_utc === null ? ", to the end" : ` until ${h.until_utc}`
      })`
      : "")
  );
  return lines.join("\n");
}

function warmUp(document: BacktestJson): string {
  const w = document.warmup;
  return [
    `warm-up: history from ${w.history_start_utc}, trading from ${w.trading_start_utc} ` +
    `(${count(w.warm_bars)} M1 bars before it${w.complete ? ", every source warm" : ""})`,
    ...w.notes.map((note) => `  ${note}`),
  ].join("\n");
}

/**
 * Each signal source's coverage, agreement and the trades it backed or opposed, and the
 * warning on a model that sat out decisions (`modelCoverageWarning`), if one is due.
 */
function sources(document: BacktestJson, coverageWarning: string | null): string {
  const rows = Object.entries(document.sources)
    .filter(([, s]) => s.configured || s.voted_bars > 0)
    .map(([name, s]) => [
      name,
      fixed(s.weight),
      share(s.coverage),
      share(s.agreement_rate),
      `${count(s.trades_supported.trades)} / ${money(s.trades_supported.net_profit)}`,
      `${count(s.trades_opposed.trades)} / ${money(s.trades_opposed.net_profit)}`,
      `${count(s.trades_neutral.trades)} / ${money(s.trades_neutral.net_profit)}`,
    ]);
  return [
    "signal sources (coverage of the decision bars; trades and net P&L by the source's vote)",
    textTable(
      [
        { header: "source", align: "left" },
        "weight",
        "coverage",
        "agreed",
        { header: "supported", align: "right" },
        { header: "opposed", align: "right" },
        { header: "neutral", align: "right" },
      ],
      rows,
    ),
    ...(coverageWarning === null ? [] : [`WARNING: ${coverageWarning}`]),
  ].join("\n");
}

function costs(document: BacktestJson): string | null {
  const c = document.costs;
  if (c.trades === 0) return null;
  const p = c.per_trade;
  return `costs per trade: ${fixed(p.total, 3)} in price units (spread ${fixed(p.spread, 3)}, ` +
    `slippage ${fixed(p.slippage, 3)}, commission ${fixed(p.commission, 3)}, swap ${
      fixed(p.swap, 3)
    }): ${share(c.cost_share_of_stop)} of the average stop ${fixed(c.average_stop_distance)}, ${
      share(c.cost_share_of_take)
    } of the average target ${fixed(c.average_take_distance)}; break-even win rate ${
      share(c.breakeven_win_rate)
    }`;
}

function chance(document: BacktestJson): string | null {
  const r = document.baseline.random;
  if (r === null) return null;
  const band = (b: { p5: number; p50: number; p95: number } | null, f: (v: number) => string) =>
    b === null ? ["n/a", "n/a", "n/a"] : [f(b.p5), f(b.p50), f(b.p95)];
  const percentile = (v: number | null) => v === null ? "n/a" : fixed(v, 0);
  const m = document.metrics;
  return `chance: ${
    count(r.runs)
  } random-entry runs (seed ${r.seed}) through the same levels, risk and broker\n${
    textTable(
      [{ header: "", align: "left" }, "this run", "random p5", "p50", "p95", "percentile"],
      [
        [
          "net profit",
          money(m.net_profit),
          ...band(r.net_profit, money),
          percentile(r.percentile.net_profit),
        ],
        [
          "profit factor",
          fixed(m.profit_factor),
          ...band(r.profit_factor, (v) => fixed(v)),
          percentile(r.percentile.profit_factor),
        ],
        [
          "Sharpe",
          fixed(m.sharpe),
          ...band(r.sharpe, (v) => fixed(v)),
          percentile(r.percentile.sharpe),
        ],
        ["trades", count(m.trades), ...band(r.trades, (v) => fixed(v, 0)), "-"],
      ],
    )
  }`;
}

/** The broker's terms and the news filter the run traded with: a result is theirs. */
function terms(document: BacktestJson): string {
  const b = document.broker;
  const news = document.news.enabled ? `on (${document.news.calendar})` : "OFF: no --news calendar";
  return `broker ${b.name} (1:${b.leverage}, lot step ${b.lot_step}); news filter ${news}`;
}

function rejections(document: BacktestJson): string {
  const m = document.metrics;
  const { risk_decisions: decisions, risk_rejections_by_reason: reasons } = m;
  const refused = Object.entries(m.broker_refusals_by_reason).map(([r, n]) => `${r} ${count(n)}`);
  const head = `risk decisions: ${count(decisions.accepted)} accepted, ${
    count(decisions.rejected)
  } rejected; the broker did not execute ${count(m.broker_refusals)} orders${
    refused.length === 0 ? "" : ` (${refused.join(", ")})`
  }`;
  const rows = Object.entries(reasons).sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => [reason, count(n)]);
  if (rows.length === 0) return head;
  return `${head} (a rejection with several reasons counts under each)\n${
    textTable([{ header: "reason", align: "left" }, "rejections"], rows)
  }`;
}

function monteCarloLines(document: BacktestJson): string {
  if (document.monte_carlo.length === 0) return "Monte Carlo: fewer than 2 trades, not run";
  const rows = document.monte_carlo.map((mc) => [
    `${mc.method} x${count(mc.runs)}`,
    money(mc.final_equity.p5),
    money(mc.final_equity.p50),
    money(mc.final_equity.p95),
    money(mc.max_drawdown.p50),
    money(mc.max_drawdown.p95),
    pct(mc.loss_probability_pct),
  ]);
  return `Monte Carlo of the trades' order (seed ${document.monte_carlo[0].seed})\n${
    textTable(
      [
        { header: "method", align: "left" },
        "final p5",
        "final p50",
        "final p95",
        "max DD p50",
        "max DD p95",
        "P(loss)",
      ],
      rows,
    )
  }`;
}

/**
 * The summary a person reads after `backtest`: the result, then breakdowns per exit
 * reason, month, session and regime, refusals, Monte Carlo bands and the notes.
 */
export function backtestSummary(document: BacktestJson): string {
  const m = document.metrics;
  // The model's warning is also a note: printed beside the sources, not again below.
  const coverageWarning = modelCoverageWarning(document.sources.ml);
  const notes = m.notes.filter((n) => n !== coverageWarning);
  const sections = [
    ...(document.halts.length > 0 ? [halts(document.halts)] : []),
    result(document),
    terms(document),
    warmUp(document),
    sources(document, coverageWarning),
    ...[costs(document), chance(document)].filter((s) => s !== null),
    breakdown("by exit reason", "exit reason", Object.entries(m.by_exit_reason), m),
    byMonth(document),
    breakdown(
      "by session (entry time)",
      "session",
      SESSIONS.map((s) => [s, m.by_session[s]] as const),
      m,
    ),
    breakdown("by regime (at entry)", "regime", Object.entries(m.by_regime), m),
    rejections(document),
    monteCarloLines(document),
  ];
  if (notes.length > 0) sections.push(`notes:\n${notes.map((n) => `  - ${n}`).join("\n")}`);
  return sections.join("\n\n");
}
