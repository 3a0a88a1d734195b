/**
 * Williams %R: -100 × (highest high - close) / (highest high - lowest low) over `period`
 * bars including the current one, from -100 (at the low) to 0 (at the high). A window
 * with no range gives -50 (the middle, matching `Stochastic`'s 50), not a division by
 * zero. Highs and lows come from monotonic deques (amortised O(1)).
 * Never sees a bar before it has closed; never allocates per update.
 */

import type { Indicator, PriceBar } from "./indicator.ts";
import { checkPeriod } from "./_period.ts";
import { RollingExtreme } from "./_rolling_extreme.ts";

export class WilliamsR implements Indicator {
  readonly period: number;
  readonly requiredBars: number;
  readonly #highest: RollingExtreme;
  readonly #lowest: RollingExtreme;

  constructor(period = 14) {
    this.period = checkPeriod("WilliamsR", "period", period);
    this.requiredBars = period;
    this.#highest = new RollingExtreme(period, "max");
    this.#lowest = new RollingExtreme(period, "min");
  }

  get isStable(): boolean {
    return this.#highest.count === this.period;
  }

  update(bar: PriceBar): number | undefined {
    this.#highest.push(bar.high);
    this.#lowest.push(bar.low);
    if (this.#highest.count < this.period) return undefined;
    const high = this.#highest.value;
    const range = high - this.#lowest.value;
    return range > 0 ? 100 * (bar.close - high) / range : -50;
  }

  reset(): void {
    this.#highest.reset();
    this.#lowest.reset();
  }
}
