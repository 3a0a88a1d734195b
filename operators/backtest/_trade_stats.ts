/**
 * Counts and P&L ratios of a set of trades, the same figures for the whole run and for
 * every breakdown row. A trade with zero P&L is neither a win nor a loss. A ratio whose
 * denominator is zero is null, never Infinity or NaN.
 */

import type { TradeStats } from "./schema.ts";

/** The statistics of trades with these net P&Ls. */
export function tradeStats(pnls: readonly number[]): TradeStats {
  let wins = 0;
  let losses = 0;
  let grossProfit = 0;
  let grossLoss = 0;
  for (const pnl of pnls) {
    if (pnl > 0) {
      wins++;
      grossProfit += pnl;
    } else if (pnl < 0) {
      losses++;
      grossLoss += pnl;
    }
  }
  const trades = pnls.length;
  const netProfit = pnls.reduce((sum, pnl) => sum + pnl, 0);
  return {
    trades,
    wins,
    losses,
    net_profit: netProfit,
    gross_profit: grossProfit,
    gross_loss: grossLoss,
    win_rate_pct: trades > 0 ? wins / trades * 100 : null,
    profit_factor: grossLoss < 0 ? grossProfit / -grossLoss : null,
    expectancy: trades > 0 ? netProfit / trades : null,
    average_win: wins > 0 ? grossProfit / wins : null,
    average_loss: losses > 0 ? grossLoss / losses : null,
  };
}

/** `tradeStats()` per key, keys in `order` first (even when empty), then the rest sorted. */
export function statsBy<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  pnlOf: (item: T) => number,
  order: readonly string[] = [],
): Record<string, TradeStats> {
  const groups = new Map<string, number[]>(order.map((key) => [key, []]));
  for (const item of items) {
    const key = keyOf(item);
    const list = groups.get(key) ?? [];
    list.push(pnlOf(item));
    groups.set(key, list);
  }
  const keys = [...order, ...[...groups.keys()].filter((k) => !order.includes(k)).sort()];
  return Object.fromEntries(keys.map((key) => [key, tradeStats(groups.get(key)!)]));
}
