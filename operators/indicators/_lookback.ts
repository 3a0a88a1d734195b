/**
 * The last `size` values and nothing else: a ring for indicators that only look a fixed
 * number of bars back (log return, rate of change), so they pay for no rolling sums.
 * Private to this folder; it never allocates after construction.
 */

export class Lookback {
  readonly size: number;
  readonly #ring: Float64Array;
  #next = 0;
  #count = 0;

  constructor(size: number) {
    this.size = size;
    this.#ring = new Float64Array(size);
  }

  get isFull(): boolean {
    return this.#count === this.size;
  }

  push(value: number): void {
    const next = this.#next;
    this.#ring[next] = value;
    this.#next = next + 1 === this.size ? 0 : next + 1;
    if (this.#count < this.size) this.#count++;
  }

  /** The value `ago` pushes back: 0 is the newest. */
  at(ago: number): number {
    const i = this.#next - 1 - ago;
    return this.#ring[i < 0 ? i + this.size : i];
  }

  reset(): void {
    this.#next = 0;
    this.#count = 0;
  }
}
