/**
 * Rate of change of the close over `period` bars, in percent:
 * 100 × (close - close[period bars ago]) / close[period bars ago]. (trading-signals'
 * ROC is the same ratio as a fraction, without the 100.) First value at bar
 * `period + 1`. Never sees a bar before it has closed; never allocates per update.
 */

import type { Indicator, PriceBar } from "./indicator.ts";
import { checkPeriod } from "./_period.ts";
import { Lookback } from "./_lookback.ts";

export class Roc implements Indicator {
  readonly period: number;
  readonly requiredBars: number;
  readonly #closes: Lookback;

  constructor(period: number) {
    this.period = checkPeriod("Roc", "period", period);
    this.requiredBars = period + 1;
    this.#closes = new Lookback(period + 1);
  }

  get isStable(): boolean {
    return this.#closes.isFull;
  }

  update(bar: PriceBar): number | undefined {
    this.#closes.push(bar.close);
    if (!this.#closes.isFull) return undefined;
    const then = this.#closes.at(this.period);
    return 100 * (bar.close - then) / then;
  }

  reset(): void {
    this.#closes.reset();
  }
}
