/**
 * Lambert's Commodity Channel Index: (tp - SMA(tp)) / (0.015 × MAD) over `period` bars,
 * with tp = (high + low + close) / 3 and MAD the mean absolute deviation of tp from
 * that SMA. A flat window (MAD = 0) gives 0, not a division by zero.
 *
 * The one indicator here that costs O(period) per bar: the mean absolute deviation
 * around a moving mean has no exact O(1) update, and a loop over 20 numbers in a ring
 * buffer is cheaper than any ordered structure. Never sees a bar before it has closed;
 * never allocates per update.
 */

import type { Indicator, PriceBar } from "./indicator.ts";
import { checkPeriod } from "./_period.ts";
import { RollingWindow } from "./_rolling_window.ts";

/** Lambert's scale, chosen so that about 70-80 % of values fall within ±100. */
const LAMBERT = 0.015;

export class Cci implements Indicator {
  readonly period: number;
  readonly requiredBars: number;
  readonly #window: RollingWindow;

  constructor(period = 20) {
    this.period = checkPeriod("Cci", "period", period);
    this.requiredBars = period;
    this.#window = new RollingWindow(period);
  }

  get isStable(): boolean {
    return this.#window.isFull;
  }

  update(bar: PriceBar): number | undefined {
    const window = this.#window;
    const typical = (bar.high + bar.low + bar.close) / 3;
    window.push(typical);
    if (!window.isFull) return undefined;
    if (window.isFlat) return 0;
    return window.deviation(typical) / (LAMBERT * window.sumAbsoluteDeviations() / this.period);
  }

  reset(): void {
    this.#window.reset();
  }
}
