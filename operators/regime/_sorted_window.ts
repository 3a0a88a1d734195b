/**
 * The last `capacity` values kept both in arrival order (a ring, to know which value
 * leaves) and sorted (to rank a value by binary search), for a rolling percentile.
 * A push finds the leaving and the arriving positions in O(log n) and shifts only the
 * values between them, a native `copyWithin`. Private to this folder; it never
 * allocates after construction and never holds more than `capacity` values.
 */

export class SortedWindow {
  readonly capacity: number;
  readonly #ring: Float64Array;
  readonly #sorted: Float64Array;
  #next = 0;
  #count = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.#ring = new Float64Array(capacity);
    this.#sorted = new Float64Array(capacity);
  }

  get count(): number {
    return this.#count;
  }

  get isFull(): boolean {
    return this.#count === this.capacity;
  }

  /** Adds `value`, dropping the oldest once full. */
  push(value: number): void {
    const sorted = this.#sorted;
    let at = this.#lowerBound(value);
    if (this.#count === this.capacity) {
      const gone = this.#lowerBound(this.#ring[this.#next]);
      // Close the leaving value's slot and open one for the arriving value in one shift.
      if (gone < at) {
        at--;
        sorted.copyWithin(gone, gone + 1, at + 1);
      } else {
        sorted.copyWithin(at + 1, at, gone);
      }
    } else {
      sorted.copyWithin(at + 1, at, this.#count);
      this.#count++;
    }
    sorted[at] = value;
    this.#ring[this.#next] = value;
    this.#next = this.#next + 1 === this.capacity ? 0 : this.#next + 1;
  }

  /**
   * The mid-rank of `value` among the window: (values below + half the values equal) /
   * count, in (0, 1) for a value in the window; NaN when empty. Ties share one rank, so
   * a flat window ranks every value at 0.5.
   */
  percentile(value: number): number {
    if (this.#count === 0) return NaN;
    const below = this.#lowerBound(value);
    const upTo = this.#upperBound(value);
    return (below + (upTo - below) / 2) / this.#count;
  }

  reset(): void {
    this.#next = 0;
    this.#count = 0;
  }

  /** The first sorted index holding a value >= `value`. */
  #lowerBound(value: number): number {
    const sorted = this.#sorted;
    let lo = 0;
    let hi = this.#count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid] < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The first sorted index holding a value > `value`. */
  #upperBound(value: number): number {
    const sorted = this.#sorted;
    let lo = 0;
    let hi = this.#count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid] <= value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
