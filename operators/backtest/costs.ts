/**
 * What trading cost per trade, in price units, beside the distances the trades were
 * placed at: a target a few spreads away cannot pay for itself, and this is where a
 * report says so. From the closed trades alone; no market data.
 *
 * Per trade, each cost in currency is divided by contract size x lots to give price
 * units; the break-even win rate of levels S (stop) and T (target) with a round-trip cost
 * c solves p (T - c) = (1 - p)(S + c): p = (S + c) / (S + T).
 */

import type { BacktestTrade } from "./metrics.ts";
import type { CostsReport } from "./schema.ts";

/** A trade with what the costs need beyond its own accounting. */
export interface CostedTrade extends BacktestTrade {
  /** Slippage of its two fills together, price units. */
  readonly slippage?: number;
  /** |entry - stop| and |target - entry| as decided, price units; null without one. */
  readonly stopDistance?: number | null;
  readonly takeDistance?: number | null;
}

/** Averages over the trades; the shares and the break-even rate are null without levels. */
export function costsReport(trades: readonly CostedTrade[], contractSize: number): CostsReport {
  const n = trades.length;
  let spread = 0;
  let slippage = 0;
  let commission = 0;
  let swap = 0;
  let stops = 0;
  let stopCount = 0;
  let takes = 0;
  let takeCount = 0;
  for (const t of trades) {
    const unit = contractSize * t.lots;
    spread += t.spreadCost / unit;
    slippage += t.slippage ?? 0;
    commission += t.commission / unit;
    swap += -t.swap / unit;
    if (t.stopDistance != null) {
      stops += t.stopDistance;
      stopCount++;
    }
    if (t.takeDistance != null) {
      takes += t.takeDistance;
      takeCount++;
    }
  }
  const mean = (sum: number) => (n === 0 ? 0 : round(sum / n));
  const perTrade = {
    spread: mean(spread),
    slippage: mean(slippage),
    commission: mean(commission),
    swap: mean(swap),
    total: mean(spread + slippage + commission + swap),
  };
  const stop = stopCount === 0 ? null : round(stops / stopCount);
  const take = takeCount === 0 ? null : round(takes / takeCount);
  const cost = perTrade.total;
  return {
    trades: n,
    per_trade: perTrade,
    average_stop_distance: stop,
    average_take_distance: take,
    cost_share_of_stop: stop === null || stop === 0 || n === 0 ? null : round(cost / stop),
    cost_share_of_take: take === null || take === 0 || n === 0 ? null : round(cost / take),
    breakeven_win_rate: stop === null || take === null || n === 0
      ? null
      : Math.min(1, Math.max(0, round((stop + cost) / (stop + take)))),
  };
}

/** Four decimals: price units of gold need no more, and the JSON stays readable. */
function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
