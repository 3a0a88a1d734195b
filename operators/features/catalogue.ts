/**
 * The catalogue of feature kinds a spec may name: for each, its parameters, its outputs
 * and how to build the streaming computer behind it. One definition per kind, so the
 * spec, the engine and the docs can never disagree on what "rsi" means.
 * Computers are fed closed bars only, never allocate per update and write their outputs
 * straight into the engine's buffer.
 */

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
  type PriceBar,
  Roc,
  RollingVolatility,
  Rsi,
  SESSION_FEATURE_NAMES,
  Sma,
  SpreadStats,
  Stochastic,
  WilliamsR,
  writeSessionFeatures,
  ZScore,
} from "../indicators/mod.ts";
import { REGIME_DEFAULTS, RegimeDetector } from "../regime/mod.ts";

/**
 * One kind's streaming computation for one timeframe, made by `FeatureKind.make`: fed
 * each closed bar of that timeframe (`spread` NaN when the data has none), it writes all
 * of the kind's outputs, in `outputs` order, into the engine's buffer at its offset: NaN
 * until ready. A plain function per kind, so the engine calls each with one indirect
 * call and reads the outputs from a typed array, with no wrapper or reader in between.
 */
export type FeatureComputer = (
  bar: PriceBar,
  spread: number,
  openUs: number,
  closeUs: number,
) => void;

export interface FeatureKind {
  readonly params: readonly string[];
  readonly outputs: readonly string[];
  /** Whether it needs the bid-ask spread, which bid-only data (HistData) lacks. */
  readonly needsSpread?: boolean;
  readonly describe: string;
  /**
   * Builds the computer (a bad parameter throws here, naming it); it writes its outputs
   * to `out[at]`, `out[at + 1]`, ... on every bar.
   */
  make(params: Readonly<Record<string, number>>, out: Float64Array, at: number): FeatureComputer;
}

export const FEATURE_KINDS = {
  log_return: {
    params: ["period"],
    outputs: ["value"],
    describe: "log(close / close `period` bars ago)",
    make: (p, out, at) => {
      const indicator = new LogReturn(p.period ?? 1);
      return (bar) => {
        out[at] = indicator.update(bar) ?? NaN;
      };
    },
  },
  rsi: {
    params: ["period"],
    outputs: ["value"],
    describe: "Wilder's RSI, 0-100",
    make: (p, out, at) => {
      const indicator = new Rsi(p.period ?? 14);
      return (bar) => {
        out[at] = indicator.update(bar) ?? NaN;
      };
    },
  },
  ema_gap: {
    params: ["period"],
    outputs: ["value"],
    describe: "close - EMA(period), price units",
    make: (p, out, at) => {
      const indicator = new Ema(p.period ?? 20);
      return (bar) => {
        out[at] = bar.close - (indicator.update(bar) ?? NaN);
      };
    },
  },
  sma_gap: {
    params: ["period"],
    outputs: ["value"],
    describe: "close - SMA(period), price units",
    make: (p, out, at) => {
      const indicator = new Sma(p.period ?? 20);
      return (bar) => {
        out[at] = bar.close - (indicator.update(bar) ?? NaN);
      };
    },
  },
  macd: {
    params: ["fast", "slow", "signal"],
    outputs: ["line", "signal", "histogram"],
    describe: "MACD line, signal and histogram, price units",
    make: (p, out, at) => {
      const macd = new Macd({ fast: p.fast ?? 12, slow: p.slow ?? 26, signal: p.signal ?? 9 });
      return (bar) => {
        out[at] = macd.update(bar) ?? NaN;
        out[at + 1] = macd.signal;
        out[at + 2] = macd.histogram;
      };
    },
  },
  bollinger: {
    params: ["period", "multiplier"],
    outputs: ["percent_b", "width"],
    describe: "Bollinger %B and bandwidth (upper - lower) / middle",
    make: (p, out, at) => {
      const bands = new Bollinger({ period: p.period ?? 20, multiplier: p.multiplier ?? 2 });
      return (bar) => {
        bands.update(bar);
        out[at] = bands.percentB;
        out[at + 1] = bands.width;
      };
    },
  },
  atr: {
    params: ["period"],
    outputs: ["value"],
    describe: "Wilder's ATR, price units",
    make: (p, out, at) => {
      const indicator = new Atr(p.period ?? 14);
      return (bar) => {
        out[at] = indicator.update(bar) ?? NaN;
      };
    },
  },
  adx: {
    params: ["period"],
    outputs: ["adx", "plus_di", "minus_di"],
    describe: "Wilder's ADX with +DI and -DI, 0-100",
    make: (p, out, at) => {
      const adx = new Adx(p.period ?? 14);
      return (bar) => {
        out[at] = adx.update(bar) ?? NaN;
        out[at + 1] = adx.plusDi;
        out[at + 2] = adx.minusDi;
      };
    },
  },
  stochastic: {
    params: ["k_period", "d_period"],
    outputs: ["k", "d"],
    describe: "Stochastic %K and %D, 0-100",
    make: (p, out, at) => {
      const stochastic = new Stochastic({ kPeriod: p.k_period ?? 14, dPeriod: p.d_period ?? 3 });
      return (bar) => {
        out[at] = stochastic.update(bar) ?? NaN;
        out[at + 1] = stochastic.d;
      };
    },
  },
  williams_r: {
    params: ["period"],
    outputs: ["value"],
    describe: "Williams %R, -100-0",
    make: (p, out, at) => {
      const indicator = new WilliamsR(p.period ?? 14);
      return (bar) => {
        out[at] = indicator.update(bar) ?? NaN;
      };
    },
  },
  cci: {
    params: ["period"],
    outputs: ["value"],
    describe: "Commodity Channel Index",
    make: (p, out, at) => {
      const indicator = new Cci(p.period ?? 20);
      return (bar) => {
        out[at] = indicator.update(bar) ?? NaN;
      };
    },
  },
  roc: {
    params: ["period"],
    outputs: ["value"],
    describe: "rate of change over `period` bars, percent",
    make: (p, out, at) => {
      const indicator = new Roc(p.period ?? 10);
      return (bar) => {
        out[at] = indicator.update(bar) ?? NaN;
      };
    },
  },
  volatility: {
    params: ["period"],
    outputs: ["value"],
    describe: "standard deviation of 1-bar log returns over `period` bars",
    make: (p, out, at) => {
      const indicator = new RollingVolatility(p.period ?? 30);
      return (bar) => {
        out[at] = indicator.update(bar) ?? NaN;
      };
    },
  },
  zscore: {
    params: ["period"],
    outputs: ["value"],
    describe: "z-score of the close over `period` bars",
    make: (p, out, at) => {
      const indicator = new ZScore(p.period ?? 50);
      return (bar) => {
        out[at] = indicator.update(bar) ?? NaN;
      };
    },
  },
  high_low: {
    params: ["period"],
    outputs: ["to_high", "to_low"],
    describe: "close - rolling high (<= 0) and close - rolling low (>= 0), price units",
    make: (p, out, at) => {
      const distance = new HighLowDistance(p.period ?? 60);
      return (bar) => {
        out[at] = distance.update(bar) ?? NaN;
        out[at + 1] = distance.toLow;
      };
    },
  },
  candle: {
    params: [],
    outputs: ["body", "upper_wick", "lower_wick", "range"],
    describe: "the bar's body (signed), wicks and range, price units",
    make: (_, out, at) => {
      const candle = new CandleShape();
      return (bar) => {
        out[at] = candle.update(bar);
        out[at + 1] = candle.upperWick;
        out[at + 2] = candle.lowerWick;
        out[at + 3] = candle.range;
      };
    },
  },
  spread: {
    params: ["period"],
    outputs: ["current", "mean"],
    needsSpread: true,
    describe: "bid-ask spread at the close and its rolling mean, price units",
    make: (p, out, at) => {
      const stats = new SpreadStats(p.period ?? 60);
      return (_bar, spread) => {
        const mean = stats.update(spread) ?? NaN;
        out[at] = stats.current;
        out[at + 1] = mean;
      };
    },
  },
  regime: {
    params: ["percentile_lookback", "min_duration_bars"],
    outputs: ["volatility_code", "trend_code", "volatility_percentile", "efficiency_ratio", "adx"],
    describe:
      "the regime detector's labels (-1/0/1: low/normal/high volatility, bear/range/bull) and measures; " +
      "warm-up is the percentile lookback plus the volatility window (744 bars by default)",
    make: (p, out, at) => {
      const detector = new RegimeDetector({
        percentileLookback: p.percentile_lookback ?? REGIME_DEFAULTS.percentileLookback,
        minDurationBars: p.min_duration_bars ?? REGIME_DEFAULTS.minDurationBars,
      });
      const bar = { open: NaN, high: NaN, low: NaN, close: NaN, closeUs: NaN };
      return (b, _spread, _openUs, closeUs) => {
        bar.open = b.open;
        bar.high = b.high;
        bar.low = b.low;
        bar.close = b.close;
        bar.closeUs = closeUs;
        detector.update(bar);
        const stable = detector.isStable;
        out[at] = detector.volatilityCode;
        out[at + 1] = detector.trendCode;
        out[at + 2] = stable ? detector.volatilityPercentile : NaN;
        out[at + 3] = stable ? detector.efficiencyRatio : NaN;
        out[at + 4] = stable ? detector.adx : NaN;
      };
    },
  },
  session: {
    params: [],
    outputs: SESSION_FEATURE_NAMES,
    describe:
      "time of day and week (cyclic, UTC) and session flags, DST-correct, at the bar's open",
    make: (_, out, at) => (_bar, _spread, openUs) => writeSessionFeatures(openUs, out, at),
  },
} satisfies Record<string, FeatureKind>;

export type FeatureKindName = keyof typeof FEATURE_KINDS;
