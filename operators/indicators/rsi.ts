/**
 * Wilder's Relative Strength Index of the close, 0 to 100.
 *
 * Close-to-close gains and losses are smoothed with Wilder's average (`alpha = 1 /
 * period`), each seeded with the simple mean of the first `period` changes, so the
 * first value needs `period + 1` bars. RSI = 100 * avgGain / (avgGain + avgLoss); when
 * both are 0 (no change at all) the RSI is 50, neutral rather than undefined.
 * Never sees a bar before it has closed; never allocates per update.
 */

import type { Indicator, PriceBar } from "./indicator.ts";
import { checkPeriod } from "./_period.ts";
import { SeededAverage } from "./_seeded_average.ts";

export class Rsi implements Indicator {
  readonly period: number;
  readonly requiredBars: number;
  readonly #gain: SeededAverage;
  readonly #loss: SeededAverage;
  #previousClose = NaN;

  constructor(period = 14) {
    this.period = checkPeriod("Rsi", "period", period);
    this.requiredBars = period + 1;
    this.#gain = new SeededAverage(period, 1 / period);
    this.#loss = new SeededAverage(period, 1 / period);
  }

  get isStable(): boolean {
    return this.#gain.isStable;
  }

  update(bar: PriceBar): number | undefined {
    const previous = this.#previousClose;
    this.#previousClose = bar.close;
    if (Number.isNaN(previous)) return undefined;
    const change = bar.close - previous;
    const gain = this.#gain.push(change > 0 ? change : 0);
    const loss = this.#loss.push(change < 0 ? -change : 0);
    if (!this.#gain.isStable) return undefined;
    const total = gain + loss;
    return total > 0 ? 100 * gain / total : 50;
  }

  reset(): void {
    this.#gain.reset();
    this.#loss.reset();
    this.#previousClose = NaN;
  }
}
