/**
 * The account measures several rules and the engine's state machine share: the daily loss
 * limit, drawdown from peak, losing streaks and the equity left if every stop is hit.
 * Pure functions of their arguments; they must never decide anything themselves.
 */

import type { TradeEvent } from "../../pipeline/events.ts";
import { type SymbolSpec, valuePerPriceUnit } from "../../pipeline/symbols.ts";
import type { RiskConfig } from "./config.ts";
import { type AccountSnapshot, direction, type PendingOrder } from "./rule.ts";

/** The day's loss limit in account currency: the smaller of the percent and the amount. */
export function dailyLossLimit(config: RiskConfig, dayStartEquity: number): number {
  const byPercent = dayStartEquity * config.dailyLoss.maxPercent / 100;
  const { maxAmount } = config.dailyLoss;
  return maxAmount === null ? byPercent : Math.min(byPercent, maxAmount);
}

/** Percent equity is below its peak; 0 at or above it. */
export function drawdownPercent(peakEquity: number, equity: number): number {
  return peakEquity > 0 ? Math.max(0, (peakEquity - equity) / peakEquity * 100) : 0;
}

/** Consecutive losing trades (pnl < 0) at the end of `trades`, and the last one's exit. */
export function lossStreak(
  trades: readonly TradeEvent[],
): { readonly count: number; readonly lastExitUs: number | null } {
  let count = 0;
  for (let i = trades.length - 1; i >= 0 && trades[i].pnl < 0; i--) count++;
  return { count, lastExitUs: count > 0 ? trades[trades.length - 1].exitTimeUs : null };
}

/**
 * Equity if every open position and pending entry hits its stop: the balance plus each
 * position's P&L at its stop, less each pending order's risk. Null when a position has
 * no stop, so its worst case is unbounded. Commission and swap are left out.
 */
export function worstCaseEquity(
  account: AccountSnapshot,
  pending: readonly PendingOrder[],
  spec: SymbolSpec,
): number | null {
  let equity = account.balance;
  for (const position of account.positions) {
    if (position.stopLoss === null) return null;
    const move = (position.stopLoss - position.entryPrice) * direction(position.side);
    equity += move * valuePerPriceUnit(spec, position.lots);
  }
  for (const order of pending) equity -= order.risk;
  return equity;
}
