/**
 * The last `period` values with their mean and population variance, in O(1) per push.
 *
 * Rolling sums drift when values are added and removed for hundreds of thousands of
 * bars, and `E[x²] - E[x]²` cancels catastrophically on prices near 2000 with a spread
 * of cents. So the sums are kept of `x - anchor`, and every `period` pushes (when the
 * ring wraps) the anchor moves to the newest value and the sums are recomputed from the
 * ring: an exact restart at amortised O(1) cost. A window whose values are all equal is
 * detected exactly (by counting unequal neighbours), so it reports a variance of exactly
 * 0 and its own value as mean, rather than rounding noise.
 * Private to this folder; it never allocates after construction.
 */

export class RollingWindow {
  readonly period: number;
  readonly #ring: Float64Array;
  #next = 0;
  #count = 0;
  #newest = NaN;
  #anchor = 0;
  #sum = 0;
  #sumSquares = 0;
  /** Adjacent pairs inside the window whose values differ; 0 means the window is flat. */
  #changes = 0;

  constructor(period: number) {
    this.period = period;
    this.#ring = new Float64Array(period);
  }

  get count(): number {
    return this.#count;
  }

  get isFull(): boolean {
    return this.#count === this.period;
  }

  /** True when every value in the window is identical. */
  get isFlat(): boolean {
    return this.#changes === 0;
  }

  push(value: number): void {
    const ring = this.#ring;
    const period = this.period;
    const next = this.#next;
    if (this.#count === 0) this.#anchor = value;
    else if (period > 1 && value !== this.#newest) this.#changes++;
    if (this.#count === period) {
      const oldest = ring[next];
      if (period > 1 && oldest !== ring[next + 1 === period ? 0 : next + 1]) this.#changes--;
      const d = oldest - this.#anchor;
      this.#sum -= d;
      this.#sumSquares -= d * d;
    } else {
      this.#count++;
    }
    ring[next] = value;
    this.#newest = value;
    const d = value - this.#anchor;
    this.#sum += d;
    this.#sumSquares += d * d;
    if (next + 1 === period) {
      this.#next = 0;
      this.#rebase();
    } else {
      this.#next = next + 1;
    }
  }

  /** The value `ago` pushes back: 0 is the newest. */
  at(ago: number): number {
    const i = this.#next - 1 - ago;
    return this.#ring[i < 0 ? i + this.period : i];
  }

  get mean(): number {
    if (this.#changes === 0) return this.#newest;
    return this.#anchor + this.#sum / this.#count;
  }

  /** `value - mean`, computed from the anchor so that no price-sized rounding enters. */
  deviation(value: number): number {
    if (this.#changes === 0) return value - this.#newest;
    return (value - this.#anchor) - this.#sum / this.#count;
  }

  /** Population variance (divides by the count). */
  get variance(): number {
    if (this.#changes === 0) return 0;
    const m = this.#sum / this.#count;
    const v = this.#sumSquares / this.#count - m * m;
    return v > 0 ? v : 0;
  }

  /** Σ |x - mean| over the window: O(period), for the mean absolute deviation. */
  sumAbsoluteDeviations(): number {
    if (this.#changes === 0) return 0;
    const ring = this.#ring;
    const anchor = this.#anchor;
    const offset = this.#sum / this.#count;
    let total = 0;
    for (let i = 0; i < this.#count; i++) total += Math.abs(ring[i] - anchor - offset);
    return total;
  }

  reset(): void {
    this.#next = 0;
    this.#count = 0;
    this.#newest = NaN;
    this.#anchor = 0;
    this.#sum = 0;
    this.#sumSquares = 0;
    this.#changes = 0;
  }

  #rebase(): void {
    const ring = this.#ring;
    const anchor = this.#newest;
    let sum = 0;
    let sumSquares = 0;
    for (let i = 0; i < this.#count; i++) {
      const d = ring[i] - anchor;
      sum += d;
      sumSquares += d * d;
    }
    this.#anchor = anchor;
    this.#sum = sum;
    this.#sumSquares = sumSquares;
  }
}
