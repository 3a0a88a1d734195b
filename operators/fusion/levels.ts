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
import { Atr, type PriceBar } from "../indicators/mod.ts";
import type { LevelsConfig } from "./config.ts";

/** Stop and target distances in price units, before they are rounded to points. */
export interface LevelDistances {
  readonly stop: number;
  readonly take: number;
  /** True when the cost floor widened them. */
  readonly floored: boolean;
}

export class LevelModel {
  readonly #config: LevelsConfig;
  readonly #costs: CostModel;
  readonly #atr: Atr;
  readonly #resampler: Resampler | null;
  readonly #bar = { open: NaN, high: NaN, low: NaN, close: NaN };
  #atrValue = NaN;
  /** The one distances object, refilled per decision. */
  readonly #out = { stop: NaN, take: NaN, floored: false };

  /** `costs`: the broker's terms, which price the cost floor. */
  constructor(config: LevelsConfig, costs: CostModel) {
    this.#config = config;
    this.#costs = costs;
    this.#atr = new Atr(config.atrPeriod);
    const sink: BarSink = {
      push: (_openUs, _closeUs, open, high, low, close) => this.#feed(open, high, low, close),
    };
    this.#resampler = config.atrTimeframe === "M1"
      ? null
      : new Resampler(config.atrTimeframe, sink, { dayStart: "new-york-17" });
  }

  /** The ATR's timeframe and the closed bars of it needed before the first level. */
  get warmUp(): { readonly timeframe: Timeframe; readonly bars: number } {
    return { timeframe: this.#config.atrTimeframe, bars: this.#atr.requiredBars };
  }

  /** The ATR the levels are measured in; NaN while it warms up. */
  get atr(): number {
    return this.#atrValue;
  }

  /** One closed M1 bid bar. */
  update(openUs: number, closeUs: number, bar: PriceBar): void {
    if (this.#resampler === null) {
      this.#feed(bar.open, bar.high, bar.low, bar.close);
      return;
    }
    resampleBid(this.#resampler, openUs, closeUs, bar, 0);
  }

  /**
   * The distances for a decision at `timeUs` and `price` where the spread is `spread`
   * (price units); null while the ATR warms up. The object returned is reused: read it
   * before the next call.
   */
  distances(spread: number, price: number, timeUs: number): LevelDistances | null {
    const atr = this.#atrValue;
    if (!(atr > 0)) return null;
    const { stopAtr, takeAtr, minTakeCosts } = this.#config;
    const out = this.#out;
    out.stop = stopAtr * atr;
    out.take = takeAtr * atr;
    out.floored = false;
    const floor = minTakeCosts === 0
      ? 0
      : minTakeCosts * roundTripCost(this.#costs, timeUs, price, spread);
    if (out.take < floor) {
      const factor = floor / out.take;
      out.stop *= factor;
      out.take = floor;
      out.floored = true;
    }
    return out;
  }

  #feed(open: number, high: number, low: number, close: number): void {
    const bar = this.#bar;
    bar.open = open;
    bar.high = high;
    bar.low = low;
    bar.close = close;
    this.#atrValue = this.#atr.update(bar) ?? NaN;
  }
}
