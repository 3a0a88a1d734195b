/**
 * The shape of the current bar in price units, ready from the first bar: body =
 * close - open (signed: positive for a rising bar), upper wick = high - max(open,
 * close), lower wick = min(open, close) - low, range = high - low.
 * Never sees a bar before it has closed; never allocates per update.
 */

import type { Indicator, PriceBar } from "./indicator.ts";

export class CandleShape implements Indicator {
  readonly requiredBars = 1;
  #upperWick = NaN;
  #lowerWick = NaN;
  #range = NaN;

  get isStable(): boolean {
    return !Number.isNaN(this.#range);
  }

  /** high - max(open, close); NaN before the first bar. */
  get upperWick(): number {
    return this.#upperWick;
  }

  /** min(open, close) - low; NaN before the first bar. */
  get lowerWick(): number {
    return this.#lowerWick;
  }

  /** high - low; NaN before the first bar. */
  get range(): number {
    return this.#range;
  }

  update(bar: PriceBar): number {
    const top = bar.open > bar.close ? bar.open : bar.close;
    const bottom = bar.open > bar.close ? bar.close : bar.open;
    this.#upperWick = bar.high - top;
    this.#lowerWick = bottom - bar.low;
    this.#range = bar.high - bar.low;
    return bar.close - bar.open;
  }

  reset(): void {
    this.#upperWick = NaN;
    this.#lowerWick = NaN;
    this.#range = NaN;
  }
}
