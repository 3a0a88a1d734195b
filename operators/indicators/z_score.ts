/**
 * Z-score of the close within its last `period` closes (the current one included):
 * (close - mean) / σ with the population σ, the same σ as `Bollinger`. A flat window
 * gives 0: the close is exactly at the mean.
 * Never sees a bar before it has closed; never allocates per update.
 */

import type { Indicator, PriceBar } from "./indicator.ts";
import { checkPeriod } from "./_period.ts";
import { RollingWindow } from "./_rolling_window.ts";

export class ZScore implements Indicator {
  readonly period: number;
  readonly requiredBars: number;
  readonly #window: RollingWindow;

  constructor(period: number) {
    this.period = checkPeriod("ZScore", "period", period);
    this.requiredBars = period;
    this.#window = new RollingWindow(period);
  }

  get isStable(): boolean {
    return this.#window.isFull;
  }

  update(bar: PriceBar): number | undefined {
    const window = this.#window;
    window.push(bar.close);
    if (!window.isFull) return undefined;
    if (window.isFlat) return 0;
    return window.deviation(bar.close) / Math.sqrt(window.variance);
  }

  reset(): void {
    this.#window.reset();
  }
}
