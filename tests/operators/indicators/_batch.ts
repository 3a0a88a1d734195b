/**
 * Textbook batch references for the indicators: each window recomputed from scratch
 * (O(n × period)) and each recursion written in its textbook form, so rolling-sum drift
 * or a warm-up off by one in a streaming indicator shows up as a difference. Shared by
 * the indicator and the feature incremental-vs-batch tests; moved here unchanged.
 */

import type { PriceBarArrays } from "./_real_bars.ts";

export type Series = Record<string, Float64Array>;

export function filled(n: number): Float64Array {
  return new Float64Array(n).fill(NaN);
}

/**
 * Mean of `x[end - n + 1 ..= end]` minus `x[end]`. Summing offsets from a value of the
 * window (the textbook "shifted data" form) keeps the reference itself exact enough:
 * a plain sum of twenty prices near 2000 rounds at 1e-12, and CCI or a z-score divides
 * deviations of cents by deviations of cents.
 */
export function windowOffset(x: Float64Array, end: number, n: number): number {
  let sum = 0;
  for (let j = end - n + 1; j <= end; j++) sum += x[j] - x[end];
  return sum / n;
}

export function windowMean(x: Float64Array, end: number, n: number): number {
  return x[end] + windowOffset(x, end, n);
}

/** `value - mean` of the window, without forming the price-sized mean. */
export function windowDeviation(x: Float64Array, end: number, n: number, value: number): number {
  return (value - x[end]) - windowOffset(x, end, n);
}

/** Population standard deviation, two passes. */
export function windowStdev(x: Float64Array, end: number, n: number): number {
  const offset = windowOffset(x, end, n);
  let squares = 0;
  for (let j = end - n + 1; j <= end; j++) squares += (x[j] - x[end] - offset) ** 2;
  return Math.sqrt(squares / n);
}

export function windowIsFlat(x: Float64Array, end: number, n: number): boolean {
  for (let j = end - n + 1; j < end; j++) if (x[j] !== x[end]) return false;
  return true;
}

export function windowMax(x: Float64Array, end: number, n: number): number {
  let max = -Infinity;
  for (let j = end - n + 1; j <= end; j++) max = Math.max(max, x[j]);
  return max;
}

export function windowMin(x: Float64Array, end: number, n: number): number {
  let min = Infinity;
  for (let j = end - n + 1; j <= end; j++) min = Math.min(min, x[j]);
  return min;
}

export function batchSma(x: Float64Array, n: number): Float64Array {
  const out = filled(x.length);
  for (let i = n - 1; i < x.length; i++) out[i] = windowMean(x, i, n);
  return out;
}

/** EMA seeded with the SMA of the first n values of `x` from `start`. */
export function batchEma(x: Float64Array, n: number, start = 0): Float64Array {
  const out = filled(x.length);
  const alpha = 2 / (n + 1);
  const seedEnd = start + n - 1;
  if (seedEnd >= x.length) return out;
  out[seedEnd] = windowMean(x, seedEnd, n);
  for (let i = seedEnd + 1; i < x.length; i++) out[i] = alpha * x[i] + (1 - alpha) * out[i - 1];
  return out;
}

/** Wilder's smoothing in his own running-average form: (prev × (n - 1) + x) / n. */
export function batchWilder(x: Float64Array, n: number, start: number): Float64Array {
  const out = filled(x.length);
  const seedEnd = start + n - 1;
  if (seedEnd >= x.length) return out;
  out[seedEnd] = windowMean(x, seedEnd, n);
  for (let i = seedEnd + 1; i < x.length; i++) out[i] = (out[i - 1] * (n - 1) + x[i]) / n;
  return out;
}

export function batchRsi(c: Float64Array, n: number): Float64Array {
  const gains = new Float64Array(c.length);
  const losses = new Float64Array(c.length);
  for (let i = 1; i < c.length; i++) {
    gains[i] = Math.max(c[i] - c[i - 1], 0);
    losses[i] = Math.max(c[i - 1] - c[i], 0);
  }
  const avgGain = batchWilder(gains, n, 1);
  const avgLoss = batchWilder(losses, n, 1);
  return avgGain.map((g, i) => {
    const l = avgLoss[i];
    if (l === 0) return g === 0 ? 50 : 100;
    return 100 - 100 / (1 + g / l);
  });
}

export function batchMacd(c: Float64Array, fast: number, slow: number, signal: number): Series {
  const fastEma = batchEma(c, fast);
  const slowEma = batchEma(c, slow);
  const line = fastEma.map((f, i) => f - slowEma[i]);
  const signalLine = batchEma(line, signal, slow - 1);
  const value = line.map((m, i) => Number.isNaN(signalLine[i]) ? NaN : m);
  return { value, signal: signalLine, histogram: value.map((m, i) => m - signalLine[i]) };
}

export function batchBollinger(c: Float64Array, n: number, k: number): Series {
  const value = filled(c.length);
  const upper = filled(c.length);
  const lower = filled(c.length);
  const percentB = filled(c.length);
  const width = filled(c.length);
  for (let i = n - 1; i < c.length; i++) {
    const mean = windowMean(c, i, n);
    const sd = windowIsFlat(c, i, n) ? 0 : windowStdev(c, i, n);
    value[i] = mean;
    upper[i] = mean + k * sd;
    lower[i] = mean - k * sd;
    percentB[i] = sd === 0 ? 0.5 : (windowDeviation(c, i, n, c[i]) + k * sd) / (2 * k * sd);
    width[i] = (upper[i] - lower[i]) / mean;
  }
  return { value, upper, lower, percentB, width };
}

export function trueRanges(b: PriceBarArrays): Float64Array {
  const tr = filled(b.length);
  for (let i = 1; i < b.length; i++) {
    const pc = b.close[i - 1];
    tr[i] = Math.max(b.high[i] - b.low[i], Math.abs(b.high[i] - pc), Math.abs(b.low[i] - pc));
  }
  return tr;
}

export function batchAtr(b: PriceBarArrays, n: number): Float64Array {
  return batchWilder(trueRanges(b), n, 1);
}

/** Wilder's ADX with his running sums (TR14 = TR14 - TR14 / 14 + TR). */
export function batchAdx(b: PriceBarArrays, n: number): Series {
  const tr = trueRanges(b);
  const plusDm = new Float64Array(b.length);
  const minusDm = new Float64Array(b.length);
  for (let i = 1; i < b.length; i++) {
    const up = b.high[i] - b.high[i - 1];
    const down = b.low[i - 1] - b.low[i];
    plusDm[i] = up > down && up > 0 ? up : 0;
    minusDm[i] = down > up && down > 0 ? down : 0;
  }
  const dx = filled(b.length);
  const plusDi = filled(b.length);
  const minusDi = filled(b.length);
  let trSum = 0;
  let plusSum = 0;
  let minusSum = 0;
  for (let i = 1; i < b.length; i++) {
    if (i <= n) {
      trSum += tr[i];
      plusSum += plusDm[i];
      minusSum += minusDm[i];
      if (i < n) continue;
    } else {
      trSum = trSum - trSum / n + tr[i];
      plusSum = plusSum - plusSum / n + plusDm[i];
      minusSum = minusSum - minusSum / n + minusDm[i];
    }
    plusDi[i] = trSum > 0 ? 100 * plusSum / trSum : 0;
    minusDi[i] = trSum > 0 ? 100 * minusSum / trSum : 0;
    const sum = plusDi[i] + minusDi[i];
    dx[i] = sum > 0 ? 100 * Math.abs(plusDi[i] - minusDi[i]) / sum : 0;
  }
  const value = batchWilder(dx, n, n);
  return {
    value,
    plusDi: plusDi.map((v, i) => Number.isNaN(value[i]) ? NaN : v),
    minusDi: minusDi.map((v, i) => Number.isNaN(value[i]) ? NaN : v),
  };
}

export function rawStochasticK(b: PriceBarArrays, n: number): Float64Array {
  const k = filled(b.length);
  for (let i = n - 1; i < b.length; i++) {
    const high = windowMax(b.high, i, n);
    const low = windowMin(b.low, i, n);
    k[i] = high === low ? 50 : 100 * (b.close[i] - low) / (high - low);
  }
  return k;
}

export function batchStochastic(b: PriceBarArrays, kPeriod: number, dPeriod: number): Series {
  const k = rawStochasticK(b, kPeriod);
  const d = filled(b.length);
  for (let i = kPeriod + dPeriod - 2; i < b.length; i++) d[i] = windowMean(k, i, dPeriod);
  return { value: k.map((v, i) => Number.isNaN(d[i]) ? NaN : v), d };
}

export function batchWilliamsR(b: PriceBarArrays, n: number): Float64Array {
  return rawStochasticK(b, n).map((k) => k - 100);
}

export function batchCci(b: PriceBarArrays, n: number): Float64Array {
  const tp = b.close.map((c, i) => (b.high[i] + b.low[i] + c) / 3);
  const out = filled(b.length);
  for (let i = n - 1; i < b.length; i++) {
    if (windowIsFlat(tp, i, n)) {
      out[i] = 0;
      continue;
    }
    const offset = windowOffset(tp, i, n);
    let mad = 0;
    for (let j = i - n + 1; j <= i; j++) mad += Math.abs(tp[j] - tp[i] - offset);
    out[i] = windowDeviation(tp, i, n, tp[i]) / (0.015 * mad / n);
  }
  return out;
}

export function batchRoc(c: Float64Array, k: number): Float64Array {
  return c.map((v, i) => i < k ? NaN : 100 * (v - c[i - k]) / c[i - k]);
}

export function batchLogReturn(c: Float64Array, k: number): Float64Array {
  return c.map((v, i) => i < k ? NaN : Math.log(v / c[i - k]));
}

export function batchVolatility(c: Float64Array, n: number): Float64Array {
  const r = batchLogReturn(c, 1);
  const out = filled(c.length);
  for (let i = n; i < c.length; i++) out[i] = windowIsFlat(r, i, n) ? 0 : windowStdev(r, i, n);
  return out;
}

export function batchZScore(c: Float64Array, n: number): Float64Array {
  const out = filled(c.length);
  for (let i = n - 1; i < c.length; i++) {
    out[i] = windowIsFlat(c, i, n) ? 0 : windowDeviation(c, i, n, c[i]) / windowStdev(c, i, n);
  }
  return out;
}

export function batchHighLowDistance(b: PriceBarArrays, n: number): Series {
  const value = filled(b.length);
  const toLow = filled(b.length);
  const high = filled(b.length);
  const low = filled(b.length);
  for (let i = n - 1; i < b.length; i++) {
    high[i] = windowMax(b.high, i, n);
    low[i] = windowMin(b.low, i, n);
    value[i] = b.close[i] - high[i];
    toLow[i] = b.close[i] - low[i];
  }
  return { value, toLow, high, low };
}

export function batchCandleShape(b: PriceBarArrays): Series {
  const value = b.close.map((c, i) => c - b.open[i]);
  const upperWick = b.high.map((h, i) => h - Math.max(b.open[i], b.close[i]));
  const lowerWick = b.low.map((l, i) => Math.min(b.open[i], b.close[i]) - l);
  const range = b.high.map((h, i) => h - b.low[i]);
  return { value, upperWick, lowerWick, range };
}
