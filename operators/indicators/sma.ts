/**
 * Simple moving average of the close over `period` bars.
 *
 * Backed by an anchored rolling sum that is recomputed exactly every `period` bars, so
 * the incremental mean equals a from-scratch mean over a year of M1 bars. Never sees a
 * bar before it has closed; never allocates per update.
 */

import type { Indicator, PriceBar } from "./indicator.ts";
import { checkPeriod } from "./_period.ts";
import { RollingWindow } from "./_rolling_window.ts";

export class Sma implements Indicator {
  readonly period: number;
  readonly requiredBars: number;
  readonly #window: RollingWindow;

  constructor(period: number) {
    this.period = checkPeriod("Sma", "period", period);
    this.requiredBars = period;
    this.#window = new RollingWindow(period);
  }

  get isStable(): boolean {
    return this.#window.isFull;
  }

  update(bar: PriceBar): number | undefined {
    return this.add(bar.close);
  }

  /** Feeds a value that is not a close, such as another indicator's output. */
  add(value: number): number | undefined {
    this.#window.push(value);
    return this.#window.isFull ? this.#window.mean : undefined;
  }

  reset(): void {
    this.#window.reset();
  }
}
