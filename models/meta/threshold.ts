/**
 * The meta model's probability threshold: a candidate trade is taken when p(win) is at
 * or above it. "auto" picks, from a grid, the threshold whose admitted out-of-fold trades
 * made the most net P&L (costs included), among those admitting at least `minTrades`;
 * a fixed threshold is only checked. Callers pass out-of-fold predictions from inside a
 * training window, so the test fold never chooses its own threshold.
 * Pure functions over arrays; they never fit a model.
 */

import { META_WIN } from "./outcomes.ts";

export interface ThresholdOptions {
  /** "auto", or a fixed p(win) threshold. */
  readonly threshold: "auto" | number;
  /** The thresholds "auto" tries: from, from + step, ... up to `to`. */
  readonly grid: { readonly from: number; readonly to: number; readonly step: number };
  /** A threshold must admit at least this many of the rows it is chosen on. */
  readonly minTrades: number;
}

/** Trades admitted by a threshold, and what they made. */
export interface Admitted {
  readonly trades: number;
  readonly wins: number;
  /** Sum of the admitted trades' net P&L, price units. */
  readonly net: number;
}

export interface ThresholdChoice extends Admitted {
  readonly threshold: number;
  readonly choice: "auto" | "fixed";
  /** Every row it was chosen on, admitted or not. */
  readonly all: Admitted;
}

/** The rows whose p(win) (slot 2 of each row of `p`) is at least `threshold`. */
export function admitted(
  p: ArrayLike<number>,
  y: ArrayLike<number>,
  netPrice: ArrayLike<number>,
  threshold: number,
): Admitted {
  let trades = 0;
  let wins = 0;
  let net = 0;
  for (let i = 0; i < y.length; i++) {
    if (!(p[3 * i + META_WIN] >= threshold)) continue;
    trades++;
    if (y[i] === META_WIN) wins++;
    net += netPrice[i];
  }
  return { trades, wins, net };
}

/** The grid's thresholds, rounded to 1e-9 so 0.3 + 7 x 0.01 prints as 0.37. */
function gridOf({ from, to, step }: ThresholdOptions["grid"]): number[] {
  if (!(from > 0 && to < 1 && from <= to && step > 0)) {
    throw new RangeError(
      `Cannot choose a meta threshold: the grid from ${from} to ${to} by ${step} must lie ` +
        `inside (0, 1), from <= to, with a positive step`,
    );
  }
  const out: number[] = [];
  for (let i = 0; from + i * step <= to + 1e-12; i++) {
    out.push(Math.round((from + i * step) * 1e9) / 1e9);
  }
  return out;
}

/**
 * The threshold for rows predicted out of fold (`p`: rows x 3, loss / timeout / win),
 * their outcomes `y` and net P&L. `where` names the window in errors (e.g. "in fold 2's
 * training window 2017-01-22 .. 2017-06-30").
 */
export function chooseThreshold(
  p: ArrayLike<number>,
  y: ArrayLike<number>,
  netPrice: ArrayLike<number>,
  options: ThresholdOptions,
  where: string,
): ThresholdChoice {
  const all = admitted(p, y, netPrice, 0);
  const { minTrades } = options;
  if (options.threshold !== "auto") {
    const fixed = admitted(p, y, netPrice, options.threshold);
    if (fixed.trades < minTrades) {
      let best = 0;
      for (let i = 0; i < y.length; i++) best = Math.max(best, p[3 * i + META_WIN]);
      throw new RangeError(
        `Cannot use the meta threshold ${options.threshold} ${where}: it admits ${fixed.trades} ` +
          `of the ${all.trades} out-of-fold trades (p(win) reaches ${best.toFixed(3)} at most), ` +
          `and meta.minTrades asks for ${minTrades}; lower the threshold or use "auto"`,
      );
    }
    return { ...fixed, threshold: options.threshold, choice: "fixed", all };
  }
  let best: (Admitted & { threshold: number }) | null = null;
  let most = { trades: 0, threshold: NaN };
  const grid = gridOf(options.grid);
  for (const threshold of grid) {
    const a = admitted(p, y, netPrice, threshold);
    if (a.trades > most.trades) most = { trades: a.trades, threshold };
    if (a.trades < minTrades) continue;
    if (best === null || a.net > best.net) best = { ...a, threshold };
  }
  if (best === null) {
    throw new RangeError(
      `Cannot choose a meta threshold ${where}: no threshold from ${grid[0]} to ` +
        `${grid[grid.length - 1]} admits ${minTrades} of the ${all.trades} out-of-fold trades ` +
        `(the most: ${most.trades}${most.trades > 0 ? ` at ${most.threshold}` : ""}); lower ` +
        `meta.minTrades or meta.thresholdGrid.from, or give more data`,
    );
  }
  return { ...best, choice: "auto", all };
}
