/**
 * An exponential average seeded with the simple mean of its first `period` inputs, then
 * `avg += alpha * (x - avg)`. With `alpha = 2 / (period + 1)` it is the EMA; with
 * `alpha = 1 / period` it is Wilder's smoothing (RSI, ATR, ADX). The SMA seed is the
 * textbook (and TA-Lib) convention: no output depends on an arbitrary first value.
 * The recursion contracts rounding errors instead of accumulating them, so no
 * compensation is needed. Private to this folder; it never allocates.
 */

export class SeededAverage {
  readonly period: number;
  readonly alpha: number;
  #count = 0;
  #value = 0;

  constructor(period: number, alpha: number) {
    this.period = period;
    this.alpha = alpha;
  }

  get isStable(): boolean {
    return this.#count >= this.period;
  }

  /** The average; NaN until `period` inputs. */
  get value(): number {
    return this.#count >= this.period ? this.#value : NaN;
  }

  /** Adds one input and returns the average, NaN until `period` inputs. */
  push(x: number): number {
    if (this.#count >= this.period) {
      this.#value += this.alpha * (x - this.#value);
      return this.#value;
    }
    this.#value += x;
    this.#count++;
    if (this.#count < this.period) return NaN;
    this.#value /= this.period;
    return this.#value;
  }

  reset(): void {
    this.#count = 0;
    this.#value = 0;
  }
}
