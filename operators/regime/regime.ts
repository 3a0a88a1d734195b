/**
 * The market regime of one symbol on one timeframe of closed bars (default H1): a
 * volatility level (low / normal / high) and a trend state (bear / range / bull), with
 * the raw measures behind them.
 *
 * - Volatility: the realised volatility (population standard deviation of the last
 *   `volatilityWindow` one-bar log returns) ranked as a mid-rank percentile among its
 *   own last `percentileLookback` values. High above `highEnter`, back to normal below
 *   `highLeave`; low below `lowEnter`, back to normal above `lowLeave`.
 * - Trend: Wilder's ADX(`adxPeriod`) and Kaufman's efficiency ratio over
 *   `efficiencyWindow` bars (|net move| / sum of |bar-to-bar moves|). A trend starts
 *   when ADX >= `adxEnter` and the ratio >= `efficiencyEnter`, in the direction of the
 *   net `efficiencyWindow`-bar move; it ends when ADX < `adxLeave`, the ratio <
 *   `efficiencyLeave` or the net move turns against it (straight to the opposite trend
 *   when that one's entry rule holds).
 * - Hysteresis: besides the enter/leave bands, a label holds for at least
 *   `minDurationBars` bars before it may change again.
 *
 * Every rule is a fixed threshold on a rolling measure: nothing is fitted, so the same
 * bars always give the same labels and a label at bar t depends only on bars up to t.
 * It never reads a clock, never sees a forming bar and never allocates per update.
 */

import type { TrendLabel, VolatilityLabel } from "../../pipeline/events.ts";
import type { PriceBar } from "../indicators/indicator.ts";
import { Adx, RollingVolatility } from "../indicators/mod.ts";
import { isoFromUs } from "../../pipeline/events.ts";
import { SortedWindow } from "./_sorted_window.ts";

export type { TrendLabel, VolatilityLabel };

/** A closed bar of the regime timeframe: prices and the instant it closed. */
export type RegimeBar = PriceBar & { readonly closeUs: number };

/** Settings of a `RegimeDetector`; every field has a default in `REGIME_DEFAULTS`. */
export interface RegimeOptions {
  /** Log returns in the realised volatility. */
  readonly volatilityWindow?: number;
  /** Realised-volatility values the current one is ranked among. */
  readonly percentileLookback?: number;
  /** Percentile above which volatility becomes high. */
  readonly highEnter?: number;
  /** Percentile below which high volatility returns to normal. */
  readonly highLeave?: number;
  /** Percentile below which volatility becomes low. */
  readonly lowEnter?: number;
  /** Percentile above which low volatility returns to normal. */
  readonly lowLeave?: number;
  readonly adxPeriod?: number;
  /** ADX at or above which a trend may start. */
  readonly adxEnter?: number;
  /** ADX below which a trend ends. */
  readonly adxLeave?: number;
  /** Bars of the efficiency ratio and of the net move that gives the trend direction. */
  readonly efficiencyWindow?: number;
  /** Efficiency ratio at or above which a trend may start. */
  readonly efficiencyEnter?: number;
  /** Efficiency ratio below which a trend ends. */
  readonly efficiencyLeave?: number;
  /** Bars a label holds at least before it may change again. */
  readonly minDurationBars?: number;
}

/**
 * The defaults, for H1 bars. A day of returns measures volatility; ranking it among
 * 30 days of H1 values (720 bars) makes "high" mean "high for the last six weeks", so
 * the labels follow the market's level without any fitting. 80/20 percentile bands with
 * 10-point hysteresis; ADX 25/20 are Wilder's trend/no-trend levels. A random walk's
 * efficiency ratio over 24 bars is about 1/sqrt(24) = 0.20, so entering at 0.30 asks
 * for a clearly directional day and leaving at 0.20 means "no better than noise".
 * Eight H1 bars is about one trading session, the shortest regime worth acting on.
 */
export const REGIME_DEFAULTS: Readonly<Required<RegimeOptions>> = {
  volatilityWindow: 24,
  percentileLookback: 720,
  highEnter: 0.8,
  highLeave: 0.7,
  lowEnter: 0.2,
  lowLeave: 0.3,
  adxPeriod: 14,
  adxEnter: 25,
  adxLeave: 20,
  efficiencyWindow: 24,
  efficiencyEnter: 0.3,
  efficiencyLeave: 0.2,
  minDurationBars: 8,
};

const VOLATILITY_CODE: Readonly<Record<VolatilityLabel, number>> = { low: -1, normal: 0, high: 1 };
const TREND_CODE: Readonly<Record<TrendLabel, number>> = { bear: -1, range: 0, bull: 1 };

function checkInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(
      `Cannot create RegimeDetector: "${name}" must be an integer >= ${min}, got "${value}"`,
    );
  }
}

function checkOrder(names: readonly string[], values: readonly number[]): void {
  for (let i = 1; i < values.length; i++) {
    if (!(values[i - 1] < values[i])) {
      throw new RangeError(
        `Cannot create RegimeDetector: expected ${names.join(" < ")}, got ${values.join(" / ")}`,
      );
    }
  }
}

/**
 * Labels the regime bar by bar.
 *
 * @example
 * ```ts
 * const regime = new RegimeDetector();
 * for (const bar of h1Bars) {
 *   if (regime.update(bar)) console.log(regime.volatility, regime.trend, regime.sinceUs);
 * }
 * ```
 */
export class RegimeDetector {
  readonly options: Readonly<Required<RegimeOptions>>;
  /** Bars needed for the first labels, which come with the bar of this number. */
  readonly requiredBars: number;
  readonly #volatility: RollingVolatility;
  readonly #history: SortedWindow;
  readonly #adx: Adx;
  /** The last `efficiencyWindow + 1` closes. */
  readonly #closes: Float64Array;
  /** |close - previous close| of the last `efficiencyWindow` bars, at the index of the later close. */
  readonly #steps: Float64Array;
  #pathLength = 0;
  #next = 0;
  #bars = 0;
  #lastCloseUs = -Infinity;
  #realisedVolatility = NaN;
  #percentile = NaN;
  #adxValue = NaN;
  #efficiency = NaN;
  #move = NaN;
  #volatilityLabel: VolatilityLabel | null = null;
  #trendLabel: TrendLabel | null = null;
  /** Bars each label has held before the current one. */
  #volatilityAge = 0;
  #trendAge = 0;
  #sinceUs = NaN;

  constructor(options: RegimeOptions = {}) {
    const o = { ...REGIME_DEFAULTS, ...options };
    checkInteger("volatilityWindow", o.volatilityWindow, 2);
    checkInteger("percentileLookback", o.percentileLookback, 1);
    checkInteger("adxPeriod", o.adxPeriod, 1);
    checkInteger("efficiencyWindow", o.efficiencyWindow, 1);
    checkInteger("minDurationBars", o.minDurationBars, 1);
    checkOrder(
      ["0", "lowEnter", "lowLeave", "highLeave", "highEnter", "1"],
      [0, o.lowEnter, o.lowLeave, o.highLeave, o.highEnter, 1],
    );
    checkOrder(["adxLeave", "adxEnter"], [o.adxLeave, o.adxEnter]);
    checkOrder(["efficiencyLeave", "efficiencyEnter"], [o.efficiencyLeave, o.efficiencyEnter]);
    this.options = Object.freeze(o);
    this.#volatility = new RollingVolatility(o.volatilityWindow);
    this.#history = new SortedWindow(o.percentileLookback);
    this.#adx = new Adx(o.adxPeriod);
    this.#closes = new Float64Array(o.efficiencyWindow + 1);
    this.#steps = new Float64Array(o.efficiencyWindow + 1);
    this.requiredBars = Math.max(
      o.volatilityWindow + o.percentileLookback,
      this.#adx.requiredBars,
      o.efficiencyWindow + 1,
    );
  }

  /** True once labels are available. */
  get isStable(): boolean {
    return this.#volatilityLabel !== null;
  }

  /** The volatility label; null until warm. */
  get volatility(): VolatilityLabel | null {
    return this.#volatilityLabel;
  }

  /** The trend label; null until warm. */
  get trend(): TrendLabel | null {
    return this.#trendLabel;
  }

  /** Volatility as a feature: low -1, normal 0, high 1; NaN until warm. */
  get volatilityCode(): number {
    return this.#volatilityLabel === null ? NaN : VOLATILITY_CODE[this.#volatilityLabel];
  }

  /** Trend as a feature: bear -1, range 0, bull 1; NaN until warm. */
  get trendCode(): number {
    return this.#trendLabel === null ? NaN : TREND_CODE[this.#trendLabel];
  }

  /** Close time of the bar at which either label last changed; NaN until warm. */
  get sinceUs(): number {
    return this.#sinceUs;
  }

  /** Per-bar realised volatility (standard deviation of log returns, not annualised). */
  get realisedVolatility(): number {
    return this.#realisedVolatility;
  }

  /** Mid-rank percentile (0-1) of the realised volatility in its lookback; NaN until full. */
  get volatilityPercentile(): number {
    return this.#percentile;
  }

  get adx(): number {
    return this.#adxValue;
  }

  /** Kaufman's efficiency ratio, 0 (pure noise) to 1 (a straight line); 0 when nothing moved. */
  get efficiencyRatio(): number {
    return this.#efficiency;
  }

  /** Signed log return over `efficiencyWindow` bars: the trend's direction and size. */
  get move(): number {
    return this.#move;
  }

  /**
   * Feeds one closed bar; returns true when a label changed, including the first labels.
   * Throws a RangeError for a bar that does not close after the previous one.
   */
  update(bar: RegimeBar): boolean {
    if (!(bar.closeUs > this.#lastCloseUs)) {
      throw new RangeError(
        `Cannot update the regime with the bar closing at ${isoFromUs(bar.closeUs)}: ` +
          `it does not close after the previous bar (${isoFromUs(this.#lastCloseUs)})`,
      );
    }
    this.#lastCloseUs = bar.closeUs;
    this.#bars++;
    this.#measure(bar);
    if (this.#bars < this.requiredBars) return false;

    const volatility = this.#nextVolatility();
    const trend = this.#nextTrend();
    const first = this.#volatilityLabel === null;
    const minBars = this.options.minDurationBars;
    this.#volatilityAge++;
    this.#trendAge++;
    let changed = false;
    if (volatility !== this.#volatilityLabel && (first || this.#volatilityAge >= minBars)) {
      this.#volatilityLabel = volatility;
      this.#volatilityAge = 0;
      changed = true;
    }
    if (trend !== this.#trendLabel && (first || this.#trendAge >= minBars)) {
      this.#trendLabel = trend;
      this.#trendAge = 0;
      changed = true;
    }
    if (changed) this.#sinceUs = bar.closeUs;
    return changed;
  }

  reset(): void {
    this.#volatility.reset();
    this.#history.reset();
    this.#adx.reset();
    this.#closes.fill(0);
    this.#steps.fill(0);
    this.#pathLength = 0;
    this.#next = 0;
    this.#bars = 0;
    this.#lastCloseUs = -Infinity;
    this.#realisedVolatility = NaN;
    this.#percentile = NaN;
    this.#adxValue = NaN;
    this.#efficiency = NaN;
    this.#move = NaN;
    this.#volatilityLabel = null;
    this.#trendLabel = null;
    this.#volatilityAge = 0;
    this.#trendAge = 0;
    this.#sinceUs = NaN;
  }

  #measure(bar: RegimeBar): void {
    const volatility = this.#volatility.update(bar);
    if (volatility !== undefined) {
      this.#realisedVolatility = volatility;
      this.#history.push(volatility);
      this.#percentile = this.#history.isFull ? this.#history.percentile(volatility) : NaN;
    }
    this.#adxValue = this.#adx.update(bar) ?? NaN;

    // The closes and the steps into them share one ring of `window + 1` slots: after
    // this write the oldest slot holds the close `window` bars back, whose step is not
    // part of the path.
    const closes = this.#closes;
    const steps = this.#steps;
    const at = this.#next;
    const oldest = at + 1 === closes.length ? 0 : at + 1;
    const step = this.#bars > 1
      ? Math.abs(bar.close - closes[at === 0 ? closes.length - 1 : at - 1])
      : 0;
    closes[at] = bar.close;
    steps[at] = step;
    this.#pathLength = oldest === 0
      ? sumExcept(steps, oldest)
      : this.#pathLength + step - steps[oldest];
    this.#next = oldest;
    if (this.#bars < closes.length) return;
    const start = closes[oldest];
    const path = this.#pathLength;
    this.#move = Math.log(bar.close / start);
    this.#efficiency = path > 0 ? Math.min(1, Math.abs(bar.close - start) / path) : 0;
  }

  #nextVolatility(): VolatilityLabel {
    const p = this.#percentile;
    const o = this.options;
    switch (this.#volatilityLabel) {
      case "high":
        return p < o.lowEnter ? "low" : p < o.highLeave ? "normal" : "high";
      case "low":
        return p > o.highEnter ? "high" : p > o.lowLeave ? "normal" : "low";
      default:
        return p > o.highEnter ? "high" : p < o.lowEnter ? "low" : "normal";
    }
  }

  #nextTrend(): TrendLabel {
    const o = this.options;
    const adx = this.#adxValue;
    const efficiency = this.#efficiency;
    const direction = Math.sign(this.#move);
    const entering = adx >= o.adxEnter && efficiency >= o.efficiencyEnter
      ? (direction > 0 ? "bull" : direction < 0 ? "bear" : null)
      : null;
    const fading = adx < o.adxLeave || efficiency < o.efficiencyLeave;
    switch (this.#trendLabel) {
      case "bull":
        return entering === "bear" ? "bear" : fading || direction < 0 ? "range" : "bull";
      case "bear":
        return entering === "bull" ? "bull" : fading || direction > 0 ? "range" : "bear";
      default:
        return entering ?? "range";
    }
  }
}

/**
 * The sum of `steps` but the one at `skip`, computed afresh once per lap of the ring so
 * the running path length never drifts.
 */
function sumExcept(steps: Float64Array, skip: number): number {
  let total = 0;
  for (let i = 0; i < steps.length; i++) if (i !== skip) total += steps[i];
  return total;
}
