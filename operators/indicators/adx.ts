/**
 * Wilder's Average Directional Index with +DI and -DI, all 0 to 100.
 *
 * From the second bar: up = high - prevHigh, down = prevLow - low; +DM = up when
 * up > down and up > 0, else 0; -DM = down when down > up and down > 0, else 0 (a tie
 * gives neither, Wilder's rule). True range, +DM and -DM are Wilder-smoothed, each
 * seeded with the simple mean of its first `period` values; ±DI = 100 × DM / TR and
 * DX = 100 × |+DI - -DI| / (+DI + -DI) from bar `period + 1`. ADX is Wilder's average
 * of DX seeded with the mean of the first `period` DX values: first value at bar
 * `2 × period` (28 with 14, as in TA-Lib). A zero true range or zero DI sum gives 0.
 * Never sees a bar before it has closed; never allocates per update.
 */

import type { Indicator, PriceBar } from "./indicator.ts";
import { trueRange } from "./atr.ts";
import { checkPeriod } from "./_period.ts";
import { SeededAverage } from "./_seeded_average.ts";

export class Adx implements Indicator {
  readonly period: number;
  readonly requiredBars: number;
  readonly #trueRange: SeededAverage;
  readonly #plusDm: SeededAverage;
  readonly #minusDm: SeededAverage;
  readonly #adx: SeededAverage;
  #previousHigh = NaN;
  #previousLow = NaN;
  #previousClose = NaN;
  #plusDi = NaN;
  #minusDi = NaN;

  constructor(period = 14) {
    this.period = checkPeriod("Adx", "period", period);
    this.requiredBars = 2 * period;
    this.#trueRange = new SeededAverage(period, 1 / period);
    this.#plusDm = new SeededAverage(period, 1 / period);
    this.#minusDm = new SeededAverage(period, 1 / period);
    this.#adx = new SeededAverage(period, 1 / period);
  }

  get isStable(): boolean {
    return this.#adx.isStable;
  }

  /** +DI in percent; NaN until stable. */
  get plusDi(): number {
    return this.#adx.isStable ? this.#plusDi : NaN;
  }

  /** -DI in percent; NaN until stable. */
  get minusDi(): number {
    return this.#adx.isStable ? this.#minusDi : NaN;
  }

  update(bar: PriceBar): number | undefined {
    const previousClose = this.#previousClose;
    const up = bar.high - this.#previousHigh;
    const down = this.#previousLow - bar.low;
    this.#previousHigh = bar.high;
    this.#previousLow = bar.low;
    this.#previousClose = bar.close;
    if (Number.isNaN(previousClose)) return undefined;
    const tr = this.#trueRange.push(trueRange(bar, previousClose));
    const plusDm = this.#plusDm.push(up > down && up > 0 ? up : 0);
    const minusDm = this.#minusDm.push(down > up && down > 0 ? down : 0);
    if (!this.#trueRange.isStable) return undefined;
    const plusDi = tr > 0 ? 100 * plusDm / tr : 0;
    const minusDi = tr > 0 ? 100 * minusDm / tr : 0;
    const sum = plusDi + minusDi;
    this.#plusDi = plusDi;
    this.#minusDi = minusDi;
    const adx = this.#adx.push(sum > 0 ? 100 * Math.abs(plusDi - minusDi) / sum : 0);
    return this.#adx.isStable ? adx : undefined;
  }

  reset(): void {
    this.#trueRange.reset();
    this.#plusDm.reset();
    this.#minusDm.reset();
    this.#adx.reset();
    this.#previousHigh = NaN;
    this.#previousLow = NaN;
    this.#previousClose = NaN;
    this.#plusDi = NaN;
    this.#minusDi = NaN;
  }
}
