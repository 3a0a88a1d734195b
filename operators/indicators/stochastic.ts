/**
 * The fast Stochastic Oscillator: %K = 100 × (close - lowest low) / (highest high -
 * lowest low) over `kPeriod` bars including the current one, and %D = SMA(`dPeriod`) of
 * %K. A window with no range gives %K = 50 (the middle), not a division by zero.
 * Both appear together at bar `kPeriod + dPeriod - 1`. Highs and lows come from
 * monotonic deques (amortised O(1)). For the slow stochastic, feed %K to an `Sma`.
 * Never sees a bar before it has closed; never allocates per update.
 */

import type { Indicator, PriceBar } from "./indicator.ts";
import { checkPeriod } from "./_period.ts";
import { RollingExtreme } from "./_rolling_extreme.ts";
import { RollingWindow } from "./_rolling_window.ts";

export interface StochasticOptions {
  /** Look-back of the high-low range; default 14. */
  readonly kPeriod?: number;
  /** Length of the %D average; default 3. */
  readonly dPeriod?: number;
}

export class Stochastic implements Indicator {
  readonly kPeriod: number;
  readonly dPeriod: number;
  readonly requiredBars: number;
  readonly #highest: RollingExtreme;
  readonly #lowest: RollingExtreme;
  readonly #k: RollingWindow;

  constructor({ kPeriod = 14, dPeriod = 3 }: StochasticOptions = {}) {
    this.kPeriod = checkPeriod("Stochastic", "kPeriod", kPeriod);
    this.dPeriod = checkPeriod("Stochastic", "dPeriod", dPeriod);
    this.requiredBars = kPeriod + dPeriod - 1;
    this.#highest = new RollingExtreme(kPeriod, "max");
    this.#lowest = new RollingExtreme(kPeriod, "min");
    this.#k = new RollingWindow(dPeriod);
  }

  get isStable(): boolean {
    return this.#k.isFull;
  }

  /** %D, the average of the last `dPeriod` %K values; NaN until stable. */
  get d(): number {
    return this.#k.isFull ? this.#k.mean : NaN;
  }

  update(bar: PriceBar): number | undefined {
    this.#highest.push(bar.high);
    this.#lowest.push(bar.low);
    if (this.#highest.count < this.kPeriod) return undefined;
    const low = this.#lowest.value;
    const range = this.#highest.value - low;
    const k = range > 0 ? 100 * (bar.close - low) / range : 50;
    this.#k.push(k);
    return this.#k.isFull ? k : undefined;
  }

  reset(): void {
    this.#highest.reset();
    this.#lowest.reset();
    this.#k.reset();
  }
}
