/**
 * The catalogue of feature kinds a spec may name: for each, its parameters, its outputs
 * and how to build the streaming computer behind it. One definition per kind, so the
 * spec, the engine and the docs can never disagree on what "rsi" means.
 * Computers are fed closed bars only and never allocate per update.
 */

import {
  Adx,
  Atr,
  Bollinger,
  CandleShape,
  Cci,
  Ema,
  HighLowDistance,
  type Indicator,
  LogReturn,
  Macd,
  type PriceBar,
  Roc,
  RollingVolatility,
  Rsi,
  SESSION_FEATURE_COUNT,
  SESSION_FEATURE_NAMES,
  Sma,
  SpreadStats,
  Stochastic,
  WilliamsR,
  writeSessionFeatures,
  ZScore,
} from "../indicators/mod.ts";
import { REGIME_DEFAULTS, RegimeDetector } from "../regime/mod.ts";

/** A streaming computation behind one or more features of one timeframe. */
export interface FeatureComputer {
  /** One closed bar of the computer's timeframe; `spread` is NaN when the data has none. */
  update(bar: PriceBar, spread: number, openUs: number, closeUs: number): void;
  /** A function reading one output's current value (NaN until ready). */
  reader(output: string): () => number;
}

export interface FeatureKind {
  readonly params: readonly string[];
  readonly outputs: readonly string[];
  /** Whether it needs the bid-ask spread, which bid-only data (HistData) lacks. */
  readonly needsSpread?: boolean;
  readonly describe: string;
  make(params: Readonly<Record<string, number>>): FeatureComputer;
}

/** Adapts an indicator whose outputs are its primary value and named getters. */
function indicator<T extends Indicator>(
  made: T,
  outputs: Record<string, (ind: T, primary: number, close: number) => number>,
): FeatureComputer {
  let primary = NaN;
  let close = NaN;
  return {
    update(bar) {
      primary = made.update(bar) ?? NaN;
      close = bar.close;
    },
    reader(output) {
      const read = outputs[output];
      return () => read(made, primary, close);
    },
  };
}

const value = { value: (_: unknown, primary: number) => primary };
const gap = { value: (_: unknown, primary: number, close: number) => close - primary };

export const FEATURE_KINDS = {
  log_return: {
    params: ["period"],
    outputs: ["value"],
    describe: "log(close / close `period` bars ago)",
    make: (p) => indicator(new LogReturn(p.period ?? 1), value),
  },
  rsi: {
    params: ["period"],
    outputs: ["value"],
    describe: "Wilder's RSI, 0-100",
    make: (p) => indicator(new Rsi(p.period ?? 14), value),
  },
  ema_gap: {
    params: ["period"],
    outputs: ["value"],
    describe: "close - EMA(period), price units",
    make: (p) => indicator(new Ema(p.period ?? 20), gap),
  },
  sma_gap: {
    params: ["period"],
    outputs: ["value"],
    describe: "close - SMA(period), price units",
    make: (p) => indicator(new Sma(p.period ?? 20), gap),
  },
  macd: {
    params: ["fast", "slow", "signal"],
    outputs: ["line", "signal", "histogram"],
    describe: "MACD line, signal and histogram, price units",
    make: (p) =>
      indicator(new Macd({ fast: p.fast ?? 12, slow: p.slow ?? 26, signal: p.signal ?? 9 }), {
        line: (_, primary) => primary,
        signal: (m) => m.signal,
        histogram: (m) => m.histogram,
      }),
  },
  bollinger: {
    params: ["period", "multiplier"],
    outputs: ["percent_b", "width"],
    describe: "Bollinger %B and bandwidth (upper - lower) / middle",
    make: (p) =>
      indicator(new Bollinger({ period: p.period ?? 20, multiplier: p.multiplier ?? 2 }), {
        percent_b: (b) => b.percentB,
        width: (b) => b.width,
      }),
  },
  atr: {
    params: ["period"],
    outputs: ["value"],
    describe: "Wilder's ATR, price units",
    make: (p) => indicator(new Atr(p.period ?? 14), value),
  },
  adx: {
    params: ["period"],
    outputs: ["adx", "plus_di", "minus_di"],
    describe: "Wilder's ADX with +DI and -DI, 0-100",
    make: (p) =>
      indicator(new Adx(p.period ?? 14), {
        adx: (_, primary) => primary,
        plus_di: (a) => a.plusDi,
        minus_di: (a) => a.minusDi,
      }),
  },
  stochastic: {
    params: ["k_period", "d_period"],
    outputs: ["k", "d"],
    describe: "Stochastic %K and %D, 0-100",
    make: (p) =>
      indicator(new Stochastic({ kPeriod: p.k_period ?? 14, dPeriod: p.d_period ?? 3 }), {
        k: (_, primary) => primary,
        d: (s) => s.d,
      }),
  },
  williams_r: {
    params: ["period"],
    outputs: ["value"],
    describe: "Williams %R, -100-0",
    make: (p) => indicator(new WilliamsR(p.period ?? 14), value),
  },
  cci: {
    params: ["period"],
    outputs: ["value"],
    describe: "Commodity Channel Index",
    make: (p) => indicator(new Cci(p.period ?? 20), value),
  },
  roc: {
    params: ["period"],
    outputs: ["value"],
    describe: "rate of change over `period` bars, percent",
    make: (p) => indicator(new Roc(p.period ?? 10), value),
  },
  volatility: {
    params: ["period"],
    outputs: ["value"],
    describe: "standard deviation of 1-bar log returns over `period` bars",
    make: (p) => indicator(new RollingVolatility(p.period ?? 30), value),
  },
  zscore: {
    params: ["period"],
    outputs: ["value"],
    describe: "z-score of the close over `period` bars",
    make: (p) => indicator(new ZScore(p.period ?? 50), value),
  },
  high_low: {
    params: ["period"],
    outputs: ["to_high", "to_low"],
    describe: "close - rolling high (<= 0) and close - rolling low (>= 0), price units",
    make: (p) =>
      indicator(new HighLowDistance(p.period ?? 60), {
        to_high: (_, primary) => primary,
        to_low: (h) => h.toLow,
      }),
  },
  candle: {
    params: [],
    outputs: ["body", "upper_wick", "lower_wick", "range"],
    describe: "the bar's body (signed), wicks and range, price units",
    make: () =>
      indicator(new CandleShape(), {
        body: (_, primary) => primary,
        upper_wick: (c) => c.upperWick,
        lower_wick: (c) => c.lowerWick,
        range: (c) => c.range,
      }),
  },
  spread: {
    params: ["period"],
    outputs: ["current", "mean"],
    needsSpread: true,
    describe: "bid-ask spread at the close and its rolling mean, price units",
    make: (p) => {
      const stats = new SpreadStats(p.period ?? 60);
      let mean = NaN;
      return {
        update(_bar, spread) {
          mean = stats.update(spread) ?? NaN;
        },
        reader: (output) => (output === "mean" ? () => mean : () => stats.current),
      };
    },
  },
  regime: {
    params: ["percentile_lookback", "min_duration_bars"],
    outputs: ["volatility_code", "trend_code", "volatility_percentile", "efficiency_ratio", "adx"],
    describe:
      "the regime detector's labels (-1/0/1: low/normal/high volatility, bear/range/bull) and measures; " +
      "warm-up is the percentile lookback plus the volatility window (744 bars by default)",
    make: (p) => {
      const detector = new RegimeDetector({
        percentileLookback: p.percentile_lookback ?? REGIME_DEFAULTS.percentileLookback,
        minDurationBars: p.min_duration_bars ?? REGIME_DEFAULTS.minDurationBars,
      });
      const bar = { open: NaN, high: NaN, low: NaN, close: NaN, closeUs: NaN };
      const read: Record<string, () => number> = {
        volatility_code: () => detector.volatilityCode,
        trend_code: () => detector.trendCode,
        volatility_percentile: () => (detector.isStable ? detector.volatilityPercentile : NaN),
        efficiency_ratio: () => (detector.isStable ? detector.efficiencyRatio : NaN),
        adx: () => (detector.isStable ? detector.adx : NaN),
      };
      return {
        update(b, _spread, _openUs, closeUs) {
          bar.open = b.open;
          bar.high = b.high;
          bar.low = b.low;
          bar.close = b.close;
          bar.closeUs = closeUs;
          detector.update(bar);
        },
        reader: (output) => read[output],
      };
    },
  },
  session: {
    params: [],
    outputs: SESSION_FEATURE_NAMES,
    describe:
      "time of day and week (cyclic, UTC) and session flags, DST-correct, at the bar's open",
    make: () => {
      const values = new Float64Array(SESSION_FEATURE_COUNT);
      return {
        update(_bar, _spread, openUs) {
          writeSessionFeatures(openUs, values);
        },
        reader(output) {
          const at = (SESSION_FEATURE_NAMES as readonly string[]).indexOf(output);
          return () => values[at];
        },
      };
    },
  },
} satisfies Record<string, FeatureKind>;

export type FeatureKindName = keyof typeof FEATURE_KINDS;
