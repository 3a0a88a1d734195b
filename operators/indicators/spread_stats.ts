/**
 * The bid-ask spread of each bar and its rolling mean over `period` bars, in price
 * units. It is fed a number, not a bar (it implements `ValueIndicator`): the spread is
 * not a price, and `spreadOf()` reads it from a `BarEvent` whichever way the source
 * provides it. Never sees a bar before it has closed; never allocates per update.
 */

import type { BarEvent } from "@/pipeline/events.ts";
import type { ValueIndicator } from "./indicator.ts";
import { checkPeriod } from "./_period.ts";
import { RollingWindow } from "./_rolling_window.ts";

/**
 * The spread at the bar's close: ask close - bid close when the bar has asks, else its
 * `spread` field; undefined when the source has neither (HistData), so a caller skips
 * spread features rather than inventing a spread.
 */
export function spreadOf(bar: BarEvent): number | undefined {
  if (bar.ask !== null) return bar.ask.close - bar.bid.close;
  return bar.spread ?? undefined;
}

export class SpreadStats implements ValueIndicator {
  readonly period: number;
  readonly requiredBars: number;
  readonly #window: RollingWindow;

  constructor(period: number) {
    this.period = checkPeriod("SpreadStats", "period", period);
    this.requiredBars = period;
    this.#window = new RollingWindow(period);
  }

  get isStable(): boolean {
    return this.#window.isFull;
  }

  /** The latest spread; NaN until stable. */
  get current(): number {
    return this.#window.isFull ? this.#window.at(0) : NaN;
  }

  /** Feeds one bar's spread; returns the rolling mean spread, undefined until stable. */
  update(spread: number): number | undefined {
    this.#window.push(spread);
    return this.#window.isFull ? this.#window.mean : undefined;
  }

  reset(): void {
    this.#window.reset();
  }
}
