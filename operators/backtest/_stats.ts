/**
 * The few statistics the report needs, written out so each is checkable against its
 * formula in docs/backtest-metrics.md. Callers guarantee non-empty input where stated.
 */

/** Arithmetic mean; `values` must not be empty. */
export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

/** Sample standard deviation (n - 1 in the denominator); needs at least two values. */
export function sampleStdev(values: ArrayLike<number>): number {
  const m = mean(values);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += (values[i] - m) ** 2;
  return Math.sqrt(sum / (values.length - 1));
}

/**
 * The `p`-th percentile (0-100) of ascending `sorted` values, interpolating linearly
 * between the two closest ranks: rank h = (n - 1) p / 100. This is NumPy's default and
 * Excel's PERCENTILE.INC, so a reader can reproduce any band with either.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const h = (sorted.length - 1) * p / 100;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}
