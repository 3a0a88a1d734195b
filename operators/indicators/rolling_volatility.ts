/**
 * Rolling volatility: the population standard deviation (divides by `period`) of the
 * last `period` one-bar log returns of the close, per bar and not annualised. First
 * value at bar `period + 1`; a window of unchanged closes gives exactly 0.
 * Never sees a bar before it has closed; never allocates per update.
 */

import type { Indicator, PriceBar } from "./indicator.ts";
import { checkPeriod } from "./_period.ts";
import { RollingWindow } from "./_rolling_window.ts";

export class RollingVolatility implements Indicator {
  readonly period: number;
  readonly requiredBars: number;
  readonly #returns: RollingWindow;
  #previousClose = NaN;

  constructor(period: number) {
    this.period = checkPeriod("RollingVolatility", "period", period);
    this.requiredBars = period + 1;
    this.#returns = new RollingWindow(period);
  }

  get isStable(): boolean {
    return this.#returns.isFull;
  }

  update(bar: PriceBar): number | undefined {
    const previous = this.#previousClose;
    this.#previousClose = bar.close;
    if (Number.isNaN(previous)) return undefined;
    this.#returns.push(Math.log(bar.close / previous));
    return this.#returns.isFull ? Math.sqrt(this.#returns.variance) : undefined;
  }

  reset(): void {
    this.#returns.reset();
    this.#previousClose = NaN;
  }
}
