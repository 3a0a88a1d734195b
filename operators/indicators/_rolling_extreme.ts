/**
 * The maximum (or minimum) of the last `period` values in amortised O(1) per push: a
 * monotonic deque of candidates, each stored with its push number so expiry needs no
 * search. A value can only leave the deque once, hence amortised O(1).
 * Private to this folder; it never allocates after construction.
 */

export class RollingExtreme {
  readonly period: number;
  /** +1 keeps the maximum; -1 keeps the minimum by storing negated values. */
  readonly #sign: number;
  readonly #values: Float64Array;
  readonly #seqs: Float64Array;
  #head = 0;
  #size = 0;
  #pushes = 0;

  constructor(period: number, kind: "max" | "min") {
    this.period = period;
    this.#sign = kind === "max" ? 1 : -1;
    this.#values = new Float64Array(period);
    this.#seqs = new Float64Array(period);
  }

  get count(): number {
    return this.#pushes < this.period ? this.#pushes : this.period;
  }

  /** The extreme of the window; NaN before the first push. */
  get value(): number {
    return this.#size === 0 ? NaN : this.#sign * this.#values[this.#head];
  }

  push(value: number): void {
    const period = this.period;
    const values = this.#values;
    const seqs = this.#seqs;
    const v = this.#sign * value;
    const seq = this.#pushes++;
    let head = this.#head;
    let size = this.#size;
    if (size > 0 && seqs[head] <= seq - period) {
      head = head + 1 === period ? 0 : head + 1;
      size--;
    }
    let back = head + size - 1;
    if (back >= period) back -= period;
    while (size > 0 && values[back] <= v) {
      size--;
      back = back === 0 ? period - 1 : back - 1;
    }
    const slot = back + 1 === period ? 0 : back + 1;
    values[slot] = v;
    seqs[slot] = seq;
    this.#head = size === 0 ? slot : head;
    this.#size = size + 1;
  }

  reset(): void {
    this.#head = 0;
    this.#size = 0;
    this.#pushes = 0;
  }
}
