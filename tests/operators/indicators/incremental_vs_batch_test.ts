/**
 * Incremental == batch on real data: every indicator, fed a whole year of real M1 bars
 * (2017, and 2023 with its holes), must equal a textbook batch computation at every bar
 * within 1e-9 (absolute, or relative once values exceed 1). The batch functions, in
 * `_batch.ts` (shared with the feature tests), recompute each window from scratch
 * (O(n × period)) and write each recursion in its textbook form, so rolling-sum drift or
 * a warm-up off by one shows up as a failure.
 */

import { dataTest } from "../../_data.ts";
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
} from "./_real_bars.ts";
import {
  batchAdx,
  batchAtr,
  batchBollinger,
  batchCandleShape,
  batchCci,
  batchEma,
  batchHighLowDistance,
  batchLogReturn,
  batchMacd,
  batchRoc,
  batchRsi,
  batchSma,
  batchStochastic,
  batchVolatility,
  batchWilliamsR,
  batchZScore,
  filled,
  type Series,
} from "./_batch.ts";

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
    dataTest(
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

dataTest(
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
