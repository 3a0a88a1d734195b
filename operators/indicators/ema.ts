/**
 * Exponential moving average of the close, `alpha = 2 / (period + 1)`.
 *
 * Seeding: the first value (at bar `period`) is the simple mean of the first `period`
 * closes; from then on `ema += alpha * (close - ema)`. Seeding with the first close
 * instead (as trading-signals does) differs by a term that decays as `(1 - alpha)^n`.
 * Never sees a bar before it has closed; never allocates per update.
 */

import type { Indicator, PriceBar } from "./indicator.ts";
import { checkPeriod } from "./_period.ts";
import { SeededAverage } from "./_seeded_average.ts";

export class Ema implements Indicator {
  readonly period: number;
  readonly requiredBars: number;
  readonly #average: SeededAverage;

  constructor(period: number) {
    this.period = checkPeriod("Ema", "period", period);
    this.requiredBars = period;
    this.#average = new SeededAverage(period, 2 / (period + 1));
  }

  get isStable(): boolean {
    return this.#average.isStable;
  }

  update(bar: PriceBar): number | undefined {
    return this.add(bar.close);
  }

  /** Feeds a value that is not a close, such as another indicator's output. */
  add(value: number): number | undefined {
    const ema = this.#average.push(value);
    return this.#average.isStable ? ema : undefined;
  }

  reset(): void {
    this.#average.reset();
  }
}
