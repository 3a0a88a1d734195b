/**
 * The console summary of a backtest, as freqtrade prints one: the result, then tables per
 * exit reason, per month, per session and per regime, the risk engine's refusals and the
 * Monte Carlo bands. A pure function of the JSON document (`backtestJson`), so the same
 * text can be printed again from a saved file, and every figure in it can be found in
 * the document. It never computes a metric of its own but the per-month rows, which are
 * sums of the document's trades.
 */

import { fixed, money, textTable } from "../../pipeline/text_table.ts";
import type { BacktestJson, TradeStats } from "./schema.ts";
import { SESSIONS } from "./schema.ts";

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
  const ml = (document.config.ml ?? null) as { modelId?: string } | null;
  const rows: [string, string][] = [
    [
      "period (UTC)",
      `${m.period.start_utc} .. ${m.period.end_utc} (${m.period.trading_days} trading days)`,
    ],
    [
      "signals",
      ml?.modelId
        ? `model ${ml.modelId.slice(0, 12)}… with technical and regime votes`
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

function rejections(document: BacktestJson): string {
  const { risk_decisions: decisions, risk_rejections_by_reason: reasons } = document.metrics;
  const head = `risk decisions: ${count(decisions.accepted)} accepted, ${
    count(decisions.rejected)
  } rejected`;
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
  const sections = [
    result(document),
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
  if (m.notes.length > 0) sections.push(`notes:\n${m.notes.map((n) => `  - ${n}`).join("\n")}`);
  return sections.join("\n\n");
}
