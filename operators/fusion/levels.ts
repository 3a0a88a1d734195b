/**
 * `LevelModel`: how far a trade's stop and target sit from its entry, measured in an
 * ATR of a configurable timeframe and floored by what a round trip costs, so the target
 * is never a distance the spread, slippage and commission eat. Fed closed M1 bid bars;
 * higher timeframes are resampled here from closed buckets only, so a level never reads
 * a forming bar.
 *
 * stop = stopAtr x ATR, take = takeAtr x ATR; when take < minTakeCosts x cost (cost = the
 * spread at the decision + `roundTripExtra`), both scale up by the same factor, keeping
 * the reward-to-risk ratio. It never reads a clock and never allocates per bar.
 */

import type { Timeframe } from "../../pipeline/events.ts";
import { Resampler } from "../bars/resample.ts";
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
  readonly #roundTripExtra: number;
  readonly #atr: Atr;
  readonly #resampler: Resampler | null;
  readonly #bar = { open: NaN, high: NaN, low: NaN, close: NaN };
  #atrValue = NaN;
  /** The one distances object, refilled per decision. */
  readonly #out = { stop: NaN, take: NaN, floored: false };

  /**
   * `roundTripExtra`: what a round trip costs beyond the spread, in price units (slippage
   * on both fills plus commission on both sides per unit of the contract).
   */
  constructor(config: LevelsConfig, roundTripExtra: number) {
    if (!(roundTripExtra >= 0) || !Number.isFinite(roundTripExtra)) {
      throw new RangeError(
        `Cannot build the level model: the round-trip cost beyond the spread "${roundTripExtra}" must be a finite amount >= 0`,
      );
    }
    this.#config = config;
    this.#roundTripExtra = roundTripExtra;
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
    this.#resampler.update(
      openUs,
      closeUs,
      bar.open,
      bar.high,
      bar.low,
      bar.close,
      NaN,
      NaN,
      NaN,
      NaN,
      NaN,
      0,
    );
  }

  /**
   * The distances for a decision where the spread is `spread` (price units); null while
   * the ATR warms up. The object returned is reused: read it before the next call.
   */
  distances(spread: number): LevelDistances | null {
    const atr = this.#atrValue;
    if (!(atr > 0)) return null;
    const { stopAtr, takeAtr, minTakeCosts } = this.#config;
    const out = this.#out;
    out.stop = stopAtr * atr;
    out.take = takeAtr * atr;
    out.floored = false;
    const floor = minTakeCosts * (spread + this.#roundTripExtra);
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
