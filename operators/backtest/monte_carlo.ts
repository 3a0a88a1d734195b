/**
 * Monte Carlo of a run's closed trades: how much of its drawdown and final equity was
 * the luck of the order and the draw. `reshuffle` replays the same trades in random
 * orders: final equity is the same in every run (up to floating-point rounding) while
 * the drawdown changes. `bootstrap` draws as many trades with replacement, so the final
 * equity varies too. Equity here is closed-trade equity: the initial balance plus the
 * net P&L of the trades so far, not marked to market in between.
 * Deterministic: the same P&Ls, options and seed give the same bands.
 */

import { Random } from "../../models/random.ts";
import { maxDrawdown } from "./_drawdown.ts";
import { percentile } from "./_stats.ts";
import type { Bands, MonteCarloResult } from "./schema.ts";

export type MonteCarloMethod = MonteCarloResult["method"];

/** Settings of `monteCarlo()`; the optional ones default to `MONTE_CARLO_DEFAULTS`. */
export interface MonteCarloOptions {
  readonly method: MonteCarloMethod;
  readonly initialBalance: number;
  /** An integer in [0, 2^32): the same seed gives the same result. */
  readonly seed: number;
  /** Simulated trade sequences. */
  readonly runs?: number;
  /** Trade indices kept in the path bands, evenly spread, first and last included. */
  readonly pathPoints?: number;
}

export const MONTE_CARLO_DEFAULTS = { runs: 1000, pathPoints: 200 } as const;

const PERCENTILES = [5, 25, 50, 75, 95] as const;

/** Percentile bands of final equity, max drawdown and the equity path over `runs` sequences. */
export function monteCarlo(pnls: readonly number[], options: MonteCarloOptions): MonteCarloResult {
  const runs = options.runs ?? MONTE_CARLO_DEFAULTS.runs;
  const pathPoints = options.pathPoints ?? MONTE_CARLO_DEFAULTS.pathPoints;
  checkOptions(pnls, options, runs, pathPoints);
  const n = pnls.length;
  const indices = pathIndices(n, pathPoints);
  const random = new Random(options.seed);
  const sample = Float64Array.from(pnls);
  const equity = new Float64Array(n + 1);
  const finals = new Float64Array(runs);
  const drawdowns = new Float64Array(runs);
  const drawdownPcts = new Float64Array(runs);
  // Column-major, so each trade index's values are one contiguous run to sort.
  const paths = new Float64Array(runs * indices.length);
  let losses = 0;
  for (let run = 0; run < runs; run++) {
    if (options.method === "reshuffle") random.shuffle(sample);
    else for (let i = 0; i < n; i++) sample[i] = pnls[random.int(n)];
    equity[0] = options.initialBalance;
    for (let i = 0; i < n; i++) equity[i + 1] = equity[i] + sample[i];
    const drawdown = maxDrawdown(equity);
    finals[run] = equity[n];
    drawdowns[run] = drawdown.amount;
    drawdownPcts[run] = drawdown.pct;
    if (equity[n] < options.initialBalance) losses++;
    for (let k = 0; k < indices.length; k++) paths[k * runs + run] = equity[indices[k]];
  }
  const columns = indices.map((_, k) => percentileBands(paths.subarray(k * runs, (k + 1) * runs)));
  return {
    method: options.method,
    runs,
    seed: options.seed,
    trades: n,
    initial_balance: options.initialBalance,
    final_equity: percentileBands(finals),
    max_drawdown: percentileBands(drawdowns),
    max_drawdown_pct: percentileBands(drawdownPcts),
    loss_probability_pct: losses / runs * 100,
    path: {
      trade_index: indices,
      p5: columns.map((b) => b.p5),
      p25: columns.map((b) => b.p25),
      p50: columns.map((b) => b.p50),
      p75: columns.map((b) => b.p75),
      p95: columns.map((b) => b.p95),
    },
  };
}

function checkOptions(
  pnls: readonly number[],
  options: MonteCarloOptions,
  runs: number,
  pathPoints: number,
): void {
  const fail = (what: string) => {
    throw new RangeError(`Cannot run the ${options.method} Monte Carlo: ${what}`);
  };
  if (!(Number.isInteger(options.seed) && options.seed >= 0 && options.seed < 2 ** 32)) {
    fail(`seed ${options.seed} is not an integer in [0, 2^32)`);
  }
  if (!(Number.isInteger(runs) && runs >= 1)) fail(`runs ${runs} is not a positive integer`);
  if (!(Number.isInteger(pathPoints) && pathPoints >= 2)) {
    fail(`pathPoints ${pathPoints} is not an integer of at least 2`);
  }
  if (!(Number.isFinite(options.initialBalance) && options.initialBalance > 0)) {
    fail(`initial balance ${options.initialBalance} is not a positive amount`);
  }
  const bad = pnls.findIndex((pnl) => !Number.isFinite(pnl));
  if (bad >= 0) fail(`trade ${bad} has P&L ${pnls[bad]}`);
}

/** 0..n when that is at most `points` indices, else `points` indices spread evenly over it. */
function pathIndices(n: number, points: number): number[] {
  if (n + 1 <= points) return Array.from({ length: n + 1 }, (_, i) => i);
  return Array.from({ length: points }, (_, k) => Math.round(k * n / (points - 1)));
}

/** Sorts `values` in place and reads the five percentiles. */
export function percentileBands(values: Float64Array): Bands {
  values.sort();
  const [p5, p25, p50, p75, p95] = PERCENTILES.map((p) => percentile(values, p));
  return { p5, p25, p50, p75, p95 };
}
