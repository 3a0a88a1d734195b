/**
 * Log return of the close over `period` bars: ln(close / close[period bars ago]), a
 * fraction that adds up over time and is symmetric for rises and falls. First value at
 * bar `period + 1`. Never sees a bar before it has closed; never allocates per update.
 */

import type { Indicator, PriceBar } from "./indicator.ts";
import { checkPeriod } from "./_period.ts";
import { Lookback } from "./_lookback.ts";

export class LogReturn implements Indicator {
  readonly period: number;
  readonly requiredBars: number;
  readonly #closes: Lookback;

  constructor(period: number) {
    this.period = checkPeriod("LogReturn", "period", period);
    this.requiredBars = period + 1;
    this.#closes = new Lookback(period + 1);
  }

  get isStable(): boolean {
    return this.#closes.isFull;
  }

  update(bar: PriceBar): number | undefined {
    this.#closes.push(bar.close);
    if (!this.#closes.isFull) return undefined;
    return Math.log(bar.close / this.#closes.at(this.period));
  }

  reset(): void {
    this.#closes.reset();
  }
}
