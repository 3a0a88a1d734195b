/**
 * The statistics the bench scripts print: the median of a few runs, and the quantiles of
 * a latency distribution. One definition of each, so every table in docs/results/bench.md
 * means the same thing by "median" and "p99". It never sorts the caller's array in place.
 */

/**
 * The value at 0-based rank floor(q n) of ascending `sorted` (q from 0 to 1; 1 is the
 * maximum), NaN when empty. That rank is at or above the nearest-rank quantile, never
 * below it, so a p99 never flatters.
 */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  return n === 0 ? NaN : sorted[Math.min(n - 1, Math.floor(q * n))];
}

/** The middle of `values`, the mean of the two middle ones for an even count; NaN when empty. */
export function median(values: readonly number[]): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return NaN;
  return n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/** A latency distribution: how many, the median and 99th percentile (`quantile`), the maximum. */
export interface Summary {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export function summarise(values: readonly number[]): Summary {
  const sorted = Float64Array.from(values).sort();
  return {
    n: sorted.length,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: quantile(sorted, 1),
  };
}
