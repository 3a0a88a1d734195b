/**
 * Bollinger Bands of the close: middle = SMA(period), upper/lower = middle ± multiplier
 * × σ, where σ is the **population** standard deviation of the window (divides by
 * `period`, as Bollinger and trading-signals do; a sample σ would be √(n/(n-1)) wider).
 *
 * `percentB = (close - lower) / (upper - lower)` is 0.5 on a flat window (no band to be
 * in); `width = (upper - lower) / middle` is the classic BandWidth, a fraction.
 * Never sees a bar before it has closed; never allocates per update.
 */

import type { Indicator, PriceBar } from "./indicator.ts";
import { checkPeriod } from "./_period.ts";
import { RollingWindow } from "./_rolling_window.ts";

export interface BollingerOptions {
  /** Window length; default 20. */
  readonly period?: number;
  /** Band half-width in standard deviations, positive; default 2. */
  readonly multiplier?: number;
}

export class Bollinger implements Indicator {
  readonly period: number;
  readonly multiplier: number;
  readonly requiredBars: number;
  readonly #window: RollingWindow;
  #middle = NaN;
  #halfWidth = NaN;
  #percentB = NaN;

  constructor({ period = 20, multiplier = 2 }: BollingerOptions = {}) {
    this.period = checkPeriod("Bollinger", "period", period);
    if (!(multiplier > 0 && Number.isFinite(multiplier))) {
      throw new RangeError(
        `Cannot create Bollinger: "multiplier" must be a positive number, got "${multiplier}"`,
      );
    }
    this.multiplier = multiplier;
    this.requiredBars = period;
    this.#window = new RollingWindow(period);
  }

  get isStable(): boolean {
    return this.#window.isFull;
  }

  get upper(): number {
    return this.#middle + this.#halfWidth;
  }

  get lower(): number {
    return this.#middle - this.#halfWidth;
  }

  get percentB(): number {
    return this.#percentB;
  }

  get width(): number {
    return 2 * this.#halfWidth / this.#middle;
  }

  update(bar: PriceBar): number | undefined {
    const window = this.#window;
    window.push(bar.close);
    if (!window.isFull) return undefined;
    const halfWidth = this.multiplier * Math.sqrt(window.variance);
    this.#middle = window.mean;
    this.#halfWidth = halfWidth;
    this.#percentB = halfWidth > 0 ? 0.5 + window.deviation(bar.close) / (2 * halfWidth) : 0.5;
    return this.#middle;
  }

  reset(): void {
    this.#window.reset();
    this.#middle = NaN;
    this.#halfWidth = NaN;
    this.#percentB = NaN;
  }
}
