/**
 * Distance of the close to the rolling high and low of the last `period` bars (the
 * current bar included): `close - highest high` (≤ 0, the primary value) and
 * `close - lowest low` (≥ 0). Units are **price units** (USD per ounce for XAUUSD), not
 * normalised: the feature layer divides by ATR. Highs and lows come from monotonic
 * deques (amortised O(1)).
 * Never sees a bar before it has closed; never allocates per update.
 */

import type { Indicator, PriceBar } from "./indicator.ts";
import { checkPeriod } from "./_period.ts";
import { RollingExtreme } from "./_rolling_extreme.ts";

export class HighLowDistance implements Indicator {
  readonly period: number;
  readonly requiredBars: number;
  readonly #highest: RollingExtreme;
  readonly #lowest: RollingExtreme;
  #toLow = NaN;

  constructor(period: number) {
    this.period = checkPeriod("HighLowDistance", "period", period);
    this.requiredBars = period;
    this.#highest = new RollingExtreme(period, "max");
    this.#lowest = new RollingExtreme(period, "min");
  }

  get isStable(): boolean {
    return this.#highest.count === this.period;
  }

  /** `close - lowest low`, ≥ 0; NaN until stable. */
  get toLow(): number {
    return this.#toLow;
  }

  /** The rolling highest high; NaN until stable. */
  get high(): number {
    return this.isStable ? this.#highest.value : NaN;
  }

  /** The rolling lowest low; NaN until stable. */
  get low(): number {
    return this.isStable ? this.#lowest.value : NaN;
  }

  update(bar: PriceBar): number | undefined {
    this.#highest.push(bar.high);
    this.#lowest.push(bar.low);
    if (this.#highest.count < this.period) return undefined;
    this.#toLow = bar.close - this.#lowest.value;
    return bar.close - this.#highest.value;
  }

  reset(): void {
    this.#highest.reset();
    this.#lowest.reset();
    this.#toLow = NaN;
  }
}
