/**
 * Incremental == batch on real data: every indicator, fed a whole year of real M1 bars
 * (2017, and 2023 with its holes), must equal a textbook batch computation at every bar
 * within 1e-9 (absolute, or relative once values exceed 1). The batch functions below
 * recompute each window from scratch (O(n × period)) and write each recursion in its
 * textbook form, so rolling-sum drift or a warm-up off by one shows up as a failure.
 */

import { strictEqual } from "node:assert";
import type { Indicator, PriceBar } from "@/operators/indicators/indicator.ts";
import {
  Adx,
  Atr,
  Bollinger,
  CandleShape,
  Cci,
  Ema,
  HighLowDistance,
  LogReturn,
  Macd,
  Roc,
  RollingVolatility,
  Rsi,
  Sma,
  SpreadStats,
  Stochastic,
  WilliamsR,
  ZScore,
} from "@/operators/indicators/mod.ts";
import {
  histdataM1,
  histdataPath,
  type HistdataYear,
  OANDA_M1_QUOTES_PATH,
  oandaM1Spreads,
  type PriceBarArrays,
  realDataTest,
} from "./_real_bars.ts";

type Series = Record<string, Float64Array>;

/** Runs an indicator over all bars; undefined and NaN getters become NaN entries. */
function incremental(
  indicator: Indicator,
  bars: PriceBarArrays,
  getters: readonly string[],
): Series {
  const out: Series = { value: new Float64Array(bars.length) };
  for (const name of getters) out[name] = new Float64Array(bars.length);
  const bar = { open: 0, high: 0, low: 0, close: 0 };
  const fields = indicator as unknown as Record<string, number>;
  for (let i = 0; i < bars.length; i++) {
    bar.open = bars.open[i];
    bar.high = bars.high[i];
    bar.low = bars.low[i];
    bar.close = bars.close[i];
    out.value[i] = indicator.update(bar as PriceBar) ?? NaN;
    for (const name of getters) out[name][i] = fields[name];
  }
  return out;
}

function filled(n: number): Float64Array {
  return new Float64Array(n).fill(NaN);
}

/** Fails on the first bar where the two differ by more than `max(abs, rel × |batch|)`. */
function assertSeriesEqual(actual: Series, expected: Series, abs = 1e-9, rel = 1e-9): void {
  for (const name of Object.keys(expected)) {
    const a = actual[name];
    const e = expected[name];
    strictEqual(a.length, e.length);
    for (let i = 0; i < e.length; i++) {
      if (Number.isNaN(e[i]) || Number.isNaN(a[i])) {
        strictEqual(
          Number.isNaN(a[i]),
          Number.isNaN(e[i]),
          `${name} at bar ${i + 1}: ${a[i]} vs batch ${e[i]}`,
        );
        continue;
      }
      const tolerance = Math.max(abs, rel * Math.abs(e[i]));
      if (!(Math.abs(a[i] - e[i]) <= tolerance)) {
        throw new Error(
          `${name} at bar ${i + 1}: incremental ${a[i]} vs batch ${e[i]} (tolerance ${tolerance})`,
        );
      }
    }
  }
}

// ---- Textbook batch references -------------------------------------------------------

/**
 * Mean of `x[end - n + 1 ..= end]` minus `x[end]`. Summing offsets from a value of the
 * window (the textbook "shifted data" form) keeps the reference itself exact enough:
 * a plain sum of twenty prices near 2000 rounds at 1e-12, and CCI or a z-score divides
 * deviations of cents by deviations of cents.
 */
function windowOffset(x: Float64Array, end: number, n: number): number {
  let sum = 0;
  for (let j = end - n + 1; j <= end; j++) sum += x[j] - x[end];
  return sum / n;
}

function windowMean(x: Float64Array, end: number, n: number): number {
  return x[end] + windowOffset(x, end, n);
}

/** `value - mean` of the window, without forming the price-sized mean. */
function windowDeviation(x: Float64Array, end: number, n: number, value: number): number {
  return (value - x[end]) - windowOffset(x, end, n);
}

/** Population standard deviation, two passes. */
function windowStdev(x: Float64Array, end: number, n: number): number {
  const offset = windowOffset(x, end, n);
  let squares = 0;
  for (let j = end - n + 1; j <= end; j++) squares += (x[j] - x[end] - offset) ** 2;
  return Math.sqrt(squares / n);
}

function windowIsFlat(x: Float64Array, end: number, n: number): boolean {
  for (let j = end - n + 1; j < end; j++) if (x[j] !== x[end]) return false;
  return true;
}

function windowMax(x: Float64Array, end: number, n: number): number {
  let max = -Infinity;
  for (let j = end - n + 1; j <= end; j++) max = Math.max(max, x[j]);
  return max;
}

function windowMin(x: Float64Array, end: number, n: number): number {
  let min = Infinity;
  for (let j = end - n + 1; j <= end; j++) min = Math.min(min, x[j]);
  return min;
}

function batchSma(x: Float64Array, n: number): Float64Array {
  const out = filled(x.length);
  for (let i = n - 1; i < x.length; i++) out[i] = windowMean(x, i, n);
  return out;
}

/** EMA seeded with the SMA of the first n values of `x` from `start`. */
function batchEma(x: Float64Array, n: number, start = 0): Float64Array {
  const out = filled(x.length);
  const alpha = 2 / (n + 1);
  const seedEnd = start + n - 1;
  if (seedEnd >= x.length) return out;
  out[seedEnd] = windowMean(x, seedEnd, n);
  for (let i = seedEnd + 1; i < x.length; i++) out[i] = alpha * x[i] + (1 - alpha) * out[i - 1];
  return out;
}

/** Wilder's smoothing in his own running-average form: (prev × (n - 1) + x) / n. */
function batchWilder(x: Float64Array, n: number, start: number): Float64Array {
  const out = filled(x.length);
  const seedEnd = start + n - 1;
  if (seedEnd >= x.length) return out;
  out[seedEnd] = windowMean(x, seedEnd, n);
  for (let i = seedEnd + 1; i < x.length; i++) out[i] = (out[i - 1] * (n - 1) + x[i]) / n;
  return out;
}

function batchRsi(c: Float64Array, n: number): Float64Array {
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

function batchMacd(c: Float64Array, fast: number, slow: number, signal: number): Series {
  const fastEma = batchEma(c, fast);
  const slowEma = batchEma(c, slow);
  const line = fastEma.map((f, i) => f - slowEma[i]);
  const signalLine = batchEma(line, signal, slow - 1);
  const value = line.map((m, i) => Number.isNaN(signalLine[i]) ? NaN : m);
  return { value, signal: signalLine, histogram: value.map((m, i) => m - signalLine[i]) };
}

function batchBollinger(c: Float64Array, n: number, k: number): Series {
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

function trueRanges(b: PriceBarArrays): Float64Array {
  const tr = filled(b.length);
  for (let i = 1; i < b.length; i++) {
    const pc = b.close[i - 1];
    tr[i] = Math.max(b.high[i] - b.low[i], Math.abs(b.high[i] - pc), Math.abs(b.low[i] - pc));
  }
  return tr;
}

function batchAtr(b: PriceBarArrays, n: number): Float64Array {
  return batchWilder(trueRanges(b), n, 1);
}

/** Wilder's ADX with his running sums (TR14 = TR14 - TR14 / 14 + TR). */
function batchAdx(b: PriceBarArrays, n: number): Series {
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

function rawStochasticK(b: PriceBarArrays, n: number): Float64Array {
  const k = filled(b.length);
  for (let i = n - 1; i < b.length; i++) {
    const high = windowMax(b.high, i, n);
    const low = windowMin(b.low, i, n);
    k[i] = high === low ? 50 : 100 * (b.close[i] - low) / (high - low);
  }
  return k;
}

function batchStochastic(b: PriceBarArrays, kPeriod: number, dPeriod: number): Series {
  const k = rawStochasticK(b, kPeriod);
  const d = filled(b.length);
  for (let i = kPeriod + dPeriod - 2; i < b.length; i++) d[i] = windowMean(k, i, dPeriod);
  return { value: k.map((v, i) => Number.isNaN(d[i]) ? NaN : v), d };
}

function batchWilliamsR(b: PriceBarArrays, n: number): Float64Array {
  return rawStochasticK(b, n).map((k) => k - 100);
}

function batchCci(b: PriceBarArrays, n: number): Float64Array {
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

function batchRoc(c: Float64Array, k: number): Float64Array {
  return c.map((v, i) => i < k ? NaN : 100 * (v - c[i - k]) / c[i - k]);
}

function batchLogReturn(c: Float64Array, k: number): Float64Array {
  return c.map((v, i) => i < k ? NaN : Math.log(v / c[i - k]));
}

function batchVolatility(c: Float64Array, n: number): Float64Array {
  const r = batchLogReturn(c, 1);
  const out = filled(c.length);
  for (let i = n; i < c.length; i++) out[i] = windowIsFlat(r, i, n) ? 0 : windowStdev(r, i, n);
  return out;
}

function batchZScore(c: Float64Array, n: number): Float64Array {
  const out = filled(c.length);
  for (let i = n - 1; i < c.length; i++) {
    out[i] = windowIsFlat(c, i, n) ? 0 : windowDeviation(c, i, n, c[i]) / windowStdev(c, i, n);
  }
  return out;
}

function batchHighLowDistance(b: PriceBarArrays, n: number): Series {
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

function batchCandleShape(b: PriceBarArrays): Series {
  const value = b.close.map((c, i) => c - b.open[i]);
  const upperWick = b.high.map((h, i) => h - Math.max(b.open[i], b.close[i]));
  const lowerWick = b.low.map((l, i) => Math.min(b.open[i], b.close[i]) - l);
  const range = b.high.map((h, i) => h - b.low[i]);
  return { value, upperWick, lowerWick, range };
}

// ---- The tests -----------------------------------------------------------------------

interface BatchCase {
  readonly name: string;
  readonly make: () => Indicator;
  readonly batch: (bars: PriceBarArrays) => Series | Float64Array;
  readonly getters?: readonly string[];
  /** Absolute tolerance; tiny for log-return based values, whose scale is 1e-4. */
  readonly abs?: number;
}

const CASES: readonly BatchCase[] = [
  { name: "Sma(20)", make: () => new Sma(20), batch: (b) => batchSma(b.close, 20) },
  { name: "Sma(200)", make: () => new Sma(200), batch: (b) => batchSma(b.close, 200) },
  { name: "Ema(20)", make: () => new Ema(20), batch: (b) => batchEma(b.close, 20) },
  { name: "Ema(200)", make: () => new Ema(200), batch: (b) => batchEma(b.close, 200) },
  { name: "Rsi(14)", make: () => new Rsi(), batch: (b) => batchRsi(b.close, 14) },
  {
    name: "Macd(12, 26, 9)",
    make: () => new Macd(),
    batch: (b) => batchMacd(b.close, 12, 26, 9),
    getters: ["signal", "histogram"],
  },
  {
    name: "Bollinger(20, 2)",
    make: () => new Bollinger(),
    batch: (b) => batchBollinger(b.close, 20, 2),
    getters: ["upper", "lower", "percentB", "width"],
  },
  { name: "Atr(14)", make: () => new Atr(), batch: (b) => batchAtr(b, 14) },
  {
    name: "Adx(14)",
    make: () => new Adx(),
    batch: (b) => batchAdx(b, 14),
    getters: ["plusDi", "minusDi"],
  },
  {
    name: "Stochastic(14, 3)",
    make: () => new Stochastic(),
    batch: (b) => batchStochastic(b, 14, 3),
    getters: ["d"],
  },
  { name: "WilliamsR(14)", make: () => new WilliamsR(), batch: (b) => batchWilliamsR(b, 14) },
  { name: "Cci(20)", make: () => new Cci(), batch: (b) => batchCci(b, 20) },
  { name: "Roc(10)", make: () => new Roc(10), batch: (b) => batchRoc(b.close, 10) },
  {
    name: "LogReturn(10)",
    make: () => new LogReturn(10),
    batch: (b) => batchLogReturn(b.close, 10),
    abs: 1e-15,
  },
  {
    name: "RollingVolatility(30)",
    make: () => new RollingVolatility(30),
    batch: (b) => batchVolatility(b.close, 30),
    abs: 1e-15,
  },
  {
    name: "RollingVolatility(240)",
    make: () => new RollingVolatility(240),
    batch: (b) => batchVolatility(b.close, 240),
    abs: 1e-15,
  },
  { name: "ZScore(20)", make: () => new ZScore(20), batch: (b) => batchZScore(b.close, 20) },
  { name: "ZScore(240)", make: () => new ZScore(240), batch: (b) => batchZScore(b.close, 240) },
  {
    name: "HighLowDistance(60)",
    make: () => new HighLowDistance(60),
    batch: (b) => batchHighLowDistance(b, 60),
    getters: ["toLow", "high", "low"],
  },
  {
    name: "CandleShape",
    make: () => new CandleShape(),
    batch: batchCandleShape,
    getters: ["upperWick", "lowerWick", "range"],
  },
];

const YEARS: readonly HistdataYear[] = [2017, 2023];

for (const c of CASES) {
  for (const year of YEARS) {
    realDataTest(
      `${c.name} equals its batch recomputation at every M1 bar of ${year}`,
      histdataPath(year),
      async () => {
        const bars = await histdataM1(year);
        const expected = c.batch(bars);
        const series = expected instanceof Float64Array ? { value: expected } : expected;
        assertSeriesEqual(incremental(c.make(), bars, c.getters ?? []), series, c.abs);
      },
    );
  }
}

realDataTest(
  "SpreadStats(60) equals its batch recomputation on OANDA M1 spreads",
  OANDA_M1_QUOTES_PATH,
  async () => {
    const spreads = await oandaM1Spreads();
    const stats = new SpreadStats(60);
    const value = filled(spreads.length);
    const current = filled(spreads.length);
    spreads.forEach((spread, i) => {
      value[i] = stats.update(spread) ?? NaN;
      current[i] = stats.current;
    });
    assertSeriesEqual({ value, current }, {
      value: batchSma(spreads, 60),
      current: spreads.map((s, i) => i < 59 ? NaN : s),
    });
  },
);
