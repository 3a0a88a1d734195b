/**
 * `LevelModel`: how far a trade's stop and target sit from its entry, measured in an
 * ATR of a configurable timeframe and floored by what a round trip costs, so the target
 * is never a distance the spread, slippage and commission eat. Fed closed M1 bid bars;
 * higher timeframes are resampled here from closed buckets only, so a level never reads
 * a forming bar.
 *
 * stop = stopAtr x ATR, take = takeAtr x ATR; when take < minTakeCosts x cost (cost = the
 * broker's round trip at the decision: its spread, slippage on both fills and both
 * commissions, `roundTripCost`), both scale up by the same factor, keeping the
 * reward-to-risk ratio. It never reads a clock and never allocates per bar.
 */

import type { Timeframe } from "../../pipeline/events.ts";
import { resampleBid, Resampler } from "../bars/resample.ts";
import { type CostModel, roundTripCost } from "../execution/costs.ts";
import type { BarSink } from "../bars/bar_sink.ts";
import { Atr, bidBarAt, type PriceBar } from "../indicators/mod.ts";
import type { LevelsConfig } from "./config.ts";
import type { BarBatch } from "../../sources/source.ts";

/** Stop and target distances in price units, before they are rounded to points. */
export interface LevelDistances {
  readonly stop: number;
  readonly take: number;
  /** True when the cost floor widened them. */
  readonly floored: boolean;
}

/** How a `LevelAtr` gets the bars of its timeframe. */
export interface LevelAtrOptions {
  /**
   * True: the caller hands it the closed bars of its timeframe (`closed()`), having
   * resampled M1 already (the fusion stage's technical scorer does for M5, M15 and H1);
   * `update()` is then refused. Default false: it resamples the M1 bars it is fed.
   */
  readonly closedBarsFed?: boolean;
}

/**
 * The ATR the levels are measured in, fed closed M1 bid bars: the ATR timeframe's bars
 * are resampled here from closed buckets only (or handed in closed, `closedBarsFed`). It
 * never allocates per bar.
 */
export class LevelAtr {
  readonly #atr: Atr;
  readonly #timeframe: Timeframe;
  readonly #resampler: Resampler | null;
  readonly #closedBarsFed: boolean;
  readonly #bar = { open: NaN, high: NaN, low: NaN, close: NaN };
  #value = NaN;

  constructor(
    config: Pick<LevelsConfig, "atrTimeframe" | "atrPeriod">,
    options: LevelAtrOptions = {},
  ) {
    this.#atr = new Atr(config.atrPeriod);
    this.#timeframe = config.atrTimeframe;
    this.#closedBarsFed = options.closedBarsFed === true && config.atrTimeframe !== "M1";
    const sink: BarSink = {
      push: (_openUs, _closeUs, open, high, low, close) => this.#feed(open, high, low, close),
    };
    this.#resampler = config.atrTimeframe === "M1" || this.#closedBarsFed
      ? null
      : new Resampler(config.atrTimeframe, sink, { dayStart: "new-york-17" });
  }

  /** The ATR's timeframe and the closed bars of it needed before the first value. */
  get warmUp(): { readonly timeframe: Timeframe; readonly bars: number } {
    return { timeframe: this.#timeframe, bars: this.#atr.requiredBars };
  }

  /** The latest value; NaN while it warms up. */
  get value(): number {
    return this.#value;
  }

  /** One closed M1 bid bar. */
  update(openUs: number, closeUs: number, bar: PriceBar): void {
    if (this.#closedBarsFed) {
      throw new RangeError(
        `Cannot feed M1 bars to a ${this.#timeframe} level ATR that is handed its closed bars`,
      );
    }
    if (this.#resampler === null) {
      this.#feed(bar.open, bar.high, bar.low, bar.close);
      return;
    }
    resampleBid(this.#resampler, openUs, closeUs, bar, 0);
  }

  /** One closed bid bar of the ATR's own timeframe (`closedBarsFed`). */
  closed(bar: PriceBar): void {
    this.#feed(bar.open, bar.high, bar.low, bar.close);
  }

  #feed(open: number, high: number, low: number, close: number): void {
    const bar = this.#bar;
    bar.open = open;
    bar.high = high;
    bar.low = low;
    bar.close = close;
    this.#value = this.#atr.update(bar) ?? NaN;
  }
}

/**
 * The levels' ATR after each M1 bid bar of `bars` (NaN while it warms up): what a
 * `LevelModel` fed those bars in order reads at each one. For many runs over the same
 * bars (the random-entry baseline), computed once.
 */
export function levelAtrSeries(
  config: Pick<LevelsConfig, "atrTimeframe" | "atrPeriod">,
  bars: Pick<
    BarBatch,
    "length" | "openUs" | "closeUs" | "bidOpen" | "bidHigh" | "bidLow" | "bidClose"
  >,
): Float64Array {
  const atr = new LevelAtr(config);
  const series = new Float64Array(bars.length);
  const bid = { open: NaN, high: NaN, low: NaN, close: NaN };
  for (let i = 0; i < bars.length; i++) {
    atr.update(bars.openUs[i], bars.closeUs[i], bidBarAt(bars, i, bid));
    series[i] = atr.value;
  }
  return series;
}

/**
 * The levels' ATR after each M1 bar a fusion stage has decided on, in order: what
 * `levelAtrSeries` would compute again from the same bars afterwards. A backtest records
 * it as its pipeline runs, so its chance baseline need not replay a year of bars for it.
 */
export class LevelAtrRecord {
  #values = new Float64Array(1 << 16);
  #length = 0;

  /** The ATR after the next bar (NaN while it warms up). */
  push(atr: number): void {
    if (this.#length === this.#values.length) {
      const grown = new Float64Array(2 * this.#length);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#length++] = atr;
  }

  /** The values recorded, oldest first: a view, valid while nothing more is pushed. */
  values(): Float64Array {
    return this.#values.subarray(0, this.#length);
  }
}

/**
 * The distances at an ATR of `atr` for a decision at `timeUs` and `price` where the spread
 * is `spread`, written into `out`; null while the ATR warms up (not positive). The one
 * formula of the levels and their cost floor, whoever tracks the ATR.
 */
export function levelDistances(
  config: LevelsConfig,
  costs: CostModel,
  atr: number,
  spread: number,
  price: number,
  timeUs: number,
  out: { stop: number; take: number; floored: boolean },
): LevelDistances | null {
  if (!(atr > 0)) return null;
  const { stopAtr, takeAtr, minTakeCosts } = config;
  out.stop = stopAtr * atr;
  out.take = takeAtr * atr;
  out.floored = false;
  const floor = minTakeCosts === 0 ? 0 : minTakeCosts * roundTripCost(costs, timeUs, price, spread);
  if (out.take < floor) {
    const factor = floor / out.take;
    out.stop *= factor;
    out.take = floor;
    out.floored = true;
  }
  return out;
}

export class LevelModel {
  readonly #config: LevelsConfig;
  readonly #costs: CostModel;
  readonly #atr: LevelAtr;
  /** The one distances object, refilled per decision. */
  readonly #out = { stop: NaN, take: NaN, floored: false };

  /** `costs`: the broker's terms, which price the cost floor. */
  constructor(config: LevelsConfig, costs: CostModel, options: LevelAtrOptions = {}) {
    this.#config = config;
    this.#costs = costs;
    this.#atr = new LevelAtr(config, options);
  }

  /** The ATR's timeframe and the closed bars of it needed before the first level. */
  get warmUp(): { readonly timeframe: Timeframe; readonly bars: number } {
    return this.#atr.warmUp;
  }

  /** The ATR the levels are measured in; NaN while it warms up. */
  get atr(): number {
    return this.#atr.value;
  }

  /** One closed M1 bid bar. */
  update(openUs: number, closeUs: number, bar: PriceBar): void {
    this.#atr.update(openUs, closeUs, bar);
  }

  /** One closed bid bar of the ATR's timeframe (`closedBarsFed`). */
  closed(bar: PriceBar): void {
    this.#atr.closed(bar);
  }

  /**
   * The distances for a decision at `timeUs` and `price` where the spread is `spread`
   * (price units); null while the ATR warms up. The object returned is reused: read it
   * before the next call.
   */
  distances(spread: number, price: number, timeUs: number): LevelDistances | null {
    return levelDistances(
      this.#config,
      this.#costs,
      this.#atr.value,
      spread,
      price,
      timeUs,
      this.#out,
    );
  }
}

/**
 * The levels read from an ATR series computed beforehand (`levelAtrSeries`) instead of a
 * `LevelModel` fed bar by bar: `at(i)` moves it to bar `i`, and `distances` then gives
 * what a `LevelModel` fed bars 0 to i would give, through the same formula.
 */
export class LevelSeries {
  readonly #config: LevelsConfig;
  readonly #costs: CostModel;
  readonly #atr: Float64Array;
  #index = -1;
  readonly #out = { stop: NaN, take: NaN, floored: false };

  constructor(config: LevelsConfig, costs: CostModel, atr: Float64Array) {
    this.#config = config;
    this.#costs = costs;
    this.#atr = atr;
  }

  /** Reads the ATR after bar `index` from now on. */
  at(index: number): void {
    this.#index = index;
  }

  /** As `LevelModel.distances`; the object returned is reused. */
  distances(spread: number, price: number, timeUs: number): LevelDistances | null {
    const atr = this.#index < 0 ? NaN : this.#atr[this.#index];
    return levelDistances(this.#config, this.#costs, atr, spread, price, timeUs, this.#out);
  }
}
