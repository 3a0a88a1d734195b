/**
 * Moving Average Convergence Divergence of the close: `macd = ema(fast) - ema(slow)`,
 * `signal = ema(signal) of macd`, `histogram = macd - signal`.
 *
 * Every EMA is seeded with the simple mean of its first inputs (see `Ema`): the fast
 * one with closes 1..fast, the slow one with closes 1..slow, the signal line with the
 * first `signal` MACD values. All three outputs appear together at bar
 * `slow + signal - 1` (34 with 12/26/9, as in TA-Lib).
 * Never sees a bar before it has closed; never allocates per update.
 */

import type { Indicator, PriceBar } from "./indicator.ts";
import { checkPeriod } from "./_period.ts";
import { SeededAverage } from "./_seeded_average.ts";

export interface MacdOptions {
  /** Fast EMA period; default 12. */
  readonly fast?: number;
  /** Slow EMA period, greater than `fast`; default 26. */
  readonly slow?: number;
  /** Signal EMA period; default 9. */
  readonly signal?: number;
}

export class Macd implements Indicator {
  readonly fast: number;
  readonly slow: number;
  readonly signalPeriod: number;
  readonly requiredBars: number;
  readonly #fast: SeededAverage;
  readonly #slow: SeededAverage;
  readonly #signal: SeededAverage;
  #macd = NaN;
  #signalValue = NaN;

  constructor({ fast = 12, slow = 26, signal = 9 }: MacdOptions = {}) {
    this.fast = checkPeriod("Macd", "fast", fast);
    this.slow = checkPeriod("Macd", "slow", slow, fast + 1);
    this.signalPeriod = checkPeriod("Macd", "signal", signal);
    this.requiredBars = slow + signal - 1;
    this.#fast = new SeededAverage(fast, 2 / (fast + 1));
    this.#slow = new SeededAverage(slow, 2 / (slow + 1));
    this.#signal = new SeededAverage(signal, 2 / (signal + 1));
  }

  get isStable(): boolean {
    return this.#signal.isStable;
  }

  /** The signal line; NaN until stable. */
  get signal(): number {
    return this.#signalValue;
  }

  /** MACD minus signal; NaN until stable. */
  get histogram(): number {
    return this.#macd - this.#signalValue;
  }

  update(bar: PriceBar): number | undefined {
    const fast = this.#fast.push(bar.close);
    const slow = this.#slow.push(bar.close);
    if (!this.#slow.isStable) return undefined;
    const macd = fast - slow;
    const signal = this.#signal.push(macd);
    if (!this.#signal.isStable) return undefined;
    this.#macd = macd;
    this.#signalValue = signal;
    return macd;
  }

  reset(): void {
    this.#fast.reset();
    this.#slow.reset();
    this.#signal.reset();
    this.#macd = NaN;
    this.#signalValue = NaN;
  }
}
