/**
 * Wilder's Average True Range.
 *
 * The true range needs the previous close (`max(high, prevClose) - min(low, prevClose)`),
 * so the first bar only primes it; Wilder's average (`alpha = 1 / period`) is seeded with
 * the simple mean of the first `period` true ranges, so the first value needs
 * `period + 1` bars (TA-Lib's convention).
 * Never sees a bar before it has closed; never allocates per update.
 */

import type { Indicator, PriceBar } from "./indicator.ts";
import { checkPeriod } from "./_period.ts";
import { SeededAverage } from "./_seeded_average.ts";

/** The bar's range extended to the previous close, so overnight gaps count as movement. */
export function trueRange(bar: PriceBar, previousClose: number): number {
  const high = bar.high > previousClose ? bar.high : previousClose;
  const low = bar.low < previousClose ? bar.low : previousClose;
  return high - low;
}

export class Atr implements Indicator {
  readonly period: number;
  readonly requiredBars: number;
  readonly #average: SeededAverage;
  #previousClose = NaN;

  constructor(period = 14) {
    this.period = checkPeriod("Atr", "period", period);
    this.requiredBars = period + 1;
    this.#average = new SeededAverage(period, 1 / period);
  }

  get isStable(): boolean {
    return this.#average.isStable;
  }

  update(bar: PriceBar): number | undefined {
    const previous = this.#previousClose;
    this.#previousClose = bar.close;
    if (Number.isNaN(previous)) return undefined;
    const atr = this.#average.push(trueRange(bar, previous));
    return this.#average.isStable ? atr : undefined;
  }

  reset(): void {
    this.#average.reset();
    this.#previousClose = NaN;
  }
}
