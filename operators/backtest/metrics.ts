/**
 * The backtest's performance figures from its results alone: closed trades, the equity
 * curve, risk decisions, the regime timeline and the first and last bars. Pure data in,
 * data out, so every figure can be recomputed by hand from the JSON it ends up in; the
 * formulas are in docs/backtest-metrics.md. A figure that is undefined for this run (no
 * losing trade, one day of data) is null with a line in `notes`, never NaN or Infinity.
 */

import {
  type BarEvent,
  isoFromUs,
  type RegimeEvent,
  type RejectionEvent,
  type RiskDecisionEvent,
  type TradeEvent,
  US_PER_DAY,
} from "../../pipeline/events.ts";
import { longestUnderwater, maxDrawdown } from "./_drawdown.ts";
import { mean, sampleStdev } from "./_stats.ts";
import { statsBy, tradeStats } from "./_trade_stats.ts";
import { dailyCloses } from "./trading_days.ts";
import { type BacktestMetrics, SESSIONS } from "./schema.ts";
import { regimeTagger, sessionOf } from "./tags.ts";

/** Trading days per year used to annualise Sharpe and Sortino. */
export const TRADING_DAYS_PER_YEAR = 252;
/** Days per year used for CAGR (calendar time, leap years averaged in). */
export const DAYS_PER_YEAR = 365.25;

/**
 * A closed trade with, when it had a stop at entry, its initial risk: its risk decision's
 * budget, what hitting that stop without a gap loses in account currency, slippage and
 * commissions included. It is the unit of R; trades without it are left out of `average_r`.
 */
export type BacktestTrade = TradeEvent & { readonly initialRisk?: number | null };

/** A trade lost more than its budget when its R is below -1 by more than a cent of it. */
export function lossOverBudget(trade: BacktestTrade): number | null {
  const risk = trade.initialRisk;
  if (risk == null || !(trade.pnl < -risk - 0.01)) return null;
  return -trade.pnl / risk;
}

/** One sample of the account: at every account event and at each daily close. */
export interface EquityPoint {
  readonly timeUs: number;
  readonly equity: number;
  readonly balance: number;
}

/** Everything a run produced that the metrics read. */
export interface MetricsInput {
  /** In the order they closed. */
  readonly trades: readonly BacktestTrade[];
  /** Ascending in time, inside the period. */
  readonly equity: readonly EquityPoint[];
  readonly initialBalance: number;
  readonly riskDecisions: readonly RiskDecisionEvent[];
  /** Orders the broker did not execute, in time order. */
  readonly rejections: readonly RejectionEvent[];
  /** In time order, one timeframe per symbol. */
  readonly regimes: readonly RegimeEvent[];
  /** The first and last bars replayed, for buy-and-hold; null when there were none. */
  readonly firstBar: BarEvent | null;
  readonly lastBar: BarEvent | null;
  readonly periodStartUs: number;
  readonly periodEndUs: number;
}

/**
 * A run's account reports as the curve the metrics read: the initial balance at the
 * period start, then every report, and the last one held to the period end (an account
 * that stopped changing, after a halt or the last trade, keeps its value).
 */
export function equityCurve(
  reports: readonly EquityPoint[],
  initialBalance: number,
  startUs: number,
  endUs: number,
): EquityPoint[] {
  const curve = [{ timeUs: startUs, equity: initialBalance, balance: initialBalance }, ...reports];
  const last = curve[curve.length - 1];
  if (last.timeUs < endUs) curve.push({ ...last, timeUs: endUs });
  return curve;
}

/** Computes every metric of a run; throws a RangeError on inconsistent input. */
export function computeMetrics(input: MetricsInput): BacktestMetrics {
  checkInput(input);
  const { trades, equity, initialBalance, periodStartUs: startUs, periodEndUs: endUs } = input;
  const notes: string[] = [];
  const stats = tradeStats(trades.map((t) => t.pnl));
  if (stats.trades === 0) notes.push("No trades: the per-trade ratios are null.");
  else if (stats.profit_factor === null) {
    notes.push(
      "profit_factor is null: no losing trade, so gross profit / gross loss is undefined.",
    );
  }

  const last = equity.at(-1);
  const finalEquity = last?.equity ?? initialBalance;
  const finalBalance = last?.balance ?? initialBalance + stats.net_profit;
  const unexplained = finalBalance - (initialBalance + stats.net_profit);
  if (Math.abs(unexplained) > 0.005) {
    notes.push(
      `The final balance ${finalBalance.toFixed(2)} differs from the initial balance plus net ` +
        `profit by ${unexplained.toFixed(2)}: some booked cash is not in a closed trade.`,
    );
  }

  // The period start's balance, then every report: as columns, a year's being 71,615 points.
  const times = new Float64Array(equity.length + 1);
  const values = new Float64Array(equity.length + 1);
  times[0] = startUs;
  values[0] = initialBalance;
  for (let i = 0; i < equity.length; i++) {
    times[i + 1] = equity[i].timeUs;
    values[i + 1] = equity[i].equity;
  }
  const daily = dailyReturns(times, values, initialBalance, startUs, endUs, notes);
  const drawdown = maxDrawdown(values);
  const underwater = longestUnderwater(times, values, endUs);
  if (underwater.atEnd) {
    notes.push(
      "Equity ended below its peak: the open drawdown counts towards " +
        "max_drawdown_duration_days up to the period end.",
    );
  }

  const calendarDays = (endUs - startUs) / US_PER_DAY;
  const cagrPct = cagr(finalEquity, initialBalance, calendarDays, notes);
  const calmar = drawdown.pct > 0 ? cagrPct / drawdown.pct : null;
  if (calmar === null) notes.push("calmar is null: equity never fell, no drawdown to divide by.");

  const risked = trades.filter((t) => t.initialRisk != null);
  if (risked.length < trades.length) {
    notes.push(
      `average_r covers ${risked.length} of ${trades.length} trades: the others have no initial risk.`,
    );
  }

  const regimeAt = regimeTagger(input.regimes);
  const pnlOf = (t: BacktestTrade) => t.pnl;
  const commission = sum(trades, (t) => t.commission);
  const swap = sum(trades, (t) => t.swap);
  const spread = sum(trades, (t) => t.spreadCost);
  return {
    period: {
      start_utc: isoFromUs(startUs),
      end_utc: isoFromUs(endUs),
      calendar_days: calendarDays,
      trading_days: daily.days,
    },
    initial_balance: initialBalance,
    final_balance: finalBalance,
    final_equity: finalEquity,
    total_return_pct: (finalEquity - initialBalance) / initialBalance * 100,
    ...stats,
    cagr_pct: cagrPct,
    sharpe: daily.sharpe,
    sortino: daily.sortino,
    calmar,
    max_drawdown: {
      amount: drawdown.amount,
      pct: drawdown.pct,
      peak_time_utc: drawdown.peakIndex < 0 ? null : isoFromUs(times[drawdown.peakIndex]),
      trough_time_utc: drawdown.troughIndex < 0 ? null : isoFromUs(times[drawdown.troughIndex]),
    },
    max_drawdown_duration_days: underwater.longestUs / US_PER_DAY,
    average_r: risked.length > 0 ? mean(risked.map((t) => t.pnl / t.initialRisk!)) : null,
    r_trades: risked.length,
    exposure_pct: exposurePct(trades, startUs, endUs),
    costs: { commission, swap, spread, total: commission - swap + spread },
    by_session: statsBy(
      trades,
      (t) => sessionOf(t.entryTimeUs),
      pnlOf,
      SESSIONS,
    ) as BacktestMetrics["by_session"],
    by_regime: statsBy(trades, (t) => regimeAt(t.symbol, t.entryTimeUs), pnlOf),
    by_exit_reason: statsBy(trades, (t) => t.exitReason, pnlOf),
    ...riskCounts(input.riskDecisions),
    ...refusalCounts(input.rejections),
    over_budget: overBudget(trades),
    buy_and_hold: buyAndHold(input.firstBar, input.lastBar, initialBalance, notes),
    notes,
  };
}

function sum<T>(items: readonly T[], valueOf: (item: T) => number): number {
  return items.reduce((total, item) => total + valueOf(item), 0);
}

/** Fails fast on input no run could produce, naming the offending item. */
function checkInput(input: MetricsInput): void {
  const { initialBalance, periodStartUs: startUs, periodEndUs: endUs } = input;
  const fail = (what: string) => {
    throw new RangeError(`Cannot compute backtest metrics: ${what}`);
  };
  if (!(Number.isFinite(initialBalance) && initialBalance > 0)) {
    fail(`initial balance ${initialBalance} is not a positive amount`);
  }
  if (!(Number.isFinite(startUs) && Number.isFinite(endUs) && endUs > startUs)) {
    fail(`the period ${startUs} to ${endUs} µs is empty or not a time range`);
  }
  const period = `the period ${isoFromUs(startUs)} to ${isoFromUs(endUs)}`;
  input.equity.forEach((p, i) => {
    if (!(Number.isFinite(p.equity) && Number.isFinite(p.balance))) {
      fail(`equity sample ${i} at ${isoFromUs(p.timeUs)} is not finite`);
    }
    if (p.timeUs < startUs || p.timeUs > endUs) {
      fail(`equity sample ${i} at ${isoFromUs(p.timeUs)} is outside ${period}`);
    }
    if (i > 0 && p.timeUs < input.equity[i - 1].timeUs) {
      fail(`equity sample ${i} at ${isoFromUs(p.timeUs)} is earlier than the one before it`);
    }
  });
  if (input.trades.length > 0 && input.equity.length === 0) {
    fail(`${input.trades.length} trades but an empty equity curve`);
  }
  for (const t of input.trades) {
    if (![t.pnl, t.commission, t.swap, t.spreadCost].every(Number.isFinite)) {
      fail(`trade "${t.positionId}" has a P&L or cost that is not finite`);
    }
    if (t.initialRisk != null && !(Number.isFinite(t.initialRisk) && t.initialRisk > 0)) {
      fail(
        `trade "${t.positionId}" has initial risk ${t.initialRisk}: give a positive amount or null`,
      );
    }
    if (t.entryTimeUs < startUs || t.exitTimeUs > endUs || t.exitTimeUs < t.entryTimeUs) {
      fail(
        `trade "${t.positionId}" from ${isoFromUs(t.entryTimeUs)} to ${
          isoFromUs(t.exitTimeUs)
        } is not inside ${period}`,
      );
    }
  }
  if ((input.firstBar === null) !== (input.lastBar === null)) {
    fail("give both the first and the last bar, or neither");
  }
}

interface Daily {
  readonly days: number;
  readonly sharpe: number | null;
  readonly sortino: number | null;
}

/**
 * Sharpe and Sortino of the close-to-close returns of weekday trading days (17:00 New
 * York), annualised with sqrt(252), risk-free rate 0. The first day's return is measured
 * from the initial balance.
 */
function dailyReturns(
  times: ArrayLike<number>,
  values: ArrayLike<number>,
  initialBalance: number,
  startUs: number,
  endUs: number,
  notes: string[],
): Daily {
  const closes = dailyCloses(times, values, initialBalance, startUs, endUs).equity;
  const returns: number[] = [];
  let previous = initialBalance;
  for (const close of closes) {
    if (previous <= 0) {
      notes.push("Equity reached zero: daily returns stop there.");
      break;
    }
    returns.push(close / previous - 1);
    previous = close;
  }
  const annual = Math.sqrt(TRADING_DAYS_PER_YEAR);
  const sd = returns.length >= 2 ? sampleStdev(returns) : 0;
  const sharpe = sd > 0 ? mean(returns) / sd * annual : null;
  if (sharpe === null) {
    notes.push(
      returns.length < 2
        ? `sharpe and sortino are null: ${returns.length} daily return(s), at least 2 needed.`
        : "sharpe is null: the daily returns do not vary.",
    );
  }
  const downside = returns.length >= 2
    ? Math.sqrt(returns.reduce((s, r) => s + Math.min(r, 0) ** 2, 0) / returns.length)
    : 0;
  const sortino = downside > 0 ? mean(returns) / downside * annual : null;
  if (sortino === null && returns.length >= 2) {
    notes.push("sortino is null: no losing day, so the downside deviation is 0.");
  }
  return { days: closes.length, sharpe, sortino };
}

/**
 * The Sharpe ratio alone, as `computeMetrics` gives it, from the account's samples
 * (ascending, inside the period; the initial balance before the first): for a caller that
 * needs no other figure of a run (the random-entry baseline's many runs).
 */
export function dailySharpe(
  times: ArrayLike<number>,
  equity: ArrayLike<number>,
  initialBalance: number,
  startUs: number,
  endUs: number,
): number | null {
  return dailyReturns(times, equity, initialBalance, startUs, endUs, []).sharpe;
}

/** Compound annual growth of equity over calendar time, in percent. */
function cagr(
  finalEquity: number,
  initialBalance: number,
  calendarDays: number,
  notes: string[],
): number {
  if (finalEquity <= 0) {
    notes.push("cagr_pct is -100: equity ended at or below zero.");
    return -100;
  }
  if (calendarDays < DAYS_PER_YEAR) {
    notes.push(
      `cagr_pct annualises ${calendarDays.toFixed(1)} calendar days: over less than a year ` +
        "it extrapolates.",
    );
  }
  return ((finalEquity / initialBalance) ** (DAYS_PER_YEAR / calendarDays) - 1) * 100;
}

/** Share of the period's calendar time with at least one position open, in percent. */
function exposurePct(trades: readonly TradeEvent[], startUs: number, endUs: number): number {
  const spans = trades
    .map((t) => [Math.max(t.entryTimeUs, startUs), Math.min(t.exitTimeUs, endUs)] as const)
    .sort((a, b) => a[0] - b[0]);
  let covered = 0;
  let reach = startUs;
  for (const [from, to] of spans) {
    const begin = Math.max(from, reach);
    if (to > begin) covered += to - begin;
    reach = Math.max(reach, to);
  }
  return covered / (endUs - startUs) * 100;
}

/** Accepted and rejected decisions, and rejections per reason code (each code once per decision). */
function riskCounts(decisions: readonly RiskDecisionEvent[]): Pick<
  BacktestMetrics,
  "risk_decisions" | "risk_rejections_by_reason"
> {
  const byReason = new Map<string, number>();
  let rejected = 0;
  for (const decision of decisions) {
    if (decision.decision !== "reject") continue;
    rejected++;
    const codes = new Set(decision.reasons.map((r) => r.code));
    if (codes.size === 0) codes.add("unspecified");
    for (const code of codes) byReason.set(code, (byReason.get(code) ?? 0) + 1);
  }
  return {
    risk_decisions: { accepted: decisions.length - rejected, rejected },
    risk_rejections_by_reason: Object.fromEntries(
      [...byReason].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
    ),
  };
}

/** Broker refusals, expiries and cancellations in all and per reason, most frequent first. */
function refusalCounts(rejections: readonly RejectionEvent[]): Pick<
  BacktestMetrics,
  "broker_refusals" | "broker_refusals_by_reason"
> {
  const byReason = new Map<string, number>();
  for (const r of rejections) byReason.set(r.reason, (byReason.get(r.reason) ?? 0) + 1);
  return {
    broker_refusals: rejections.length,
    broker_refusals_by_reason: Object.fromEntries(
      [...byReason].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
    ),
  };
}

/** Trades that lost more than their budget, and the largest loss / budget among them. */
function overBudget(trades: readonly BacktestTrade[]): BacktestMetrics["over_budget"] {
  let count = 0;
  let worst: number | null = null;
  for (const trade of trades) {
    const factor = lossOverBudget(trade);
    if (factor === null) continue;
    count++;
    worst = Math.max(worst ?? 0, factor);
  }
  return { trades: count, worst_factor: worst };
}

/**
 * Holding gold, unlevered, over the same bars: bought at the first bar's opening ask
 * (bid + spread when the data has no ask), sold at the last bar's closing bid, for a
 * notional equal to the initial balance; no commission, no swap.
 */
function buyAndHold(
  first: BarEvent | null,
  last: BarEvent | null,
  initialBalance: number,
  notes: string[],
): BacktestMetrics["buy_and_hold"] {
  if (first === null || last === null) {
    notes.push("buy_and_hold is null: no bars were given.");
    return null;
  }
  if (first.ask === null && first.spread === null) {
    notes.push("buy_and_hold bought at the bid: the data has neither asks nor spreads.");
  }
  const entry = first.ask?.open ?? first.bid.open + (first.spread ?? 0);
  const exit = last.bid.close;
  const ratio = (exit - entry) / entry;
  return {
    entry_time_utc: isoFromUs(first.openUs),
    entry_price: entry,
    exit_time_utc: isoFromUs(last.closeUs),
    exit_price: exit,
    return_pct: ratio * 100,
    pnl: initialBalance * ratio,
  };
}
