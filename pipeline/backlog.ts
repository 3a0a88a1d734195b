/**
 * How much work an asynchronous stage has accepted and not yet finished, so that an
 * unpaced replay can wait for it instead of running ahead: a replay emits its next
 * source batch only once the backlog is at or under its limit. RxJS has no backpressure
 * of its own; this is the one place the pipeline gets some. It never drops or reorders
 * work, and never holds a replay while the backlog is under its limit.
 *
 * @example
 * ```ts
 * const backlog = new Backlog(4096);
 * const model = scoreModels(slot, { backlog }); // adds rows when scoring starts, removes them when done
 * const source$ = replay$(source, { ready: () => backlog.ready() });
 * ```
 */

export class Backlog {
  readonly limit: number;
  #pending = 0;
  #waiting: PromiseWithResolvers<void> | null = null;

  /** `limit`: the amount of work at or under which the replay goes on. */
  constructor(limit: number) {
    if (!(limit >= 0)) throw new RangeError(`A backlog limit must be >= 0, got ${limit}`);
    this.limit = limit;
  }

  get pending(): number {
    return this.#pending;
  }

  add(amount: number): void {
    this.#pending += amount;
  }

  remove(amount: number): void {
    this.#pending -= amount;
    if (this.#waiting !== null && this.#pending <= this.limit) {
      this.#waiting.resolve();
      this.#waiting = null;
    }
  }

  /** Undefined when the backlog is at or under its limit; else resolves once it is. */
  ready(): Promise<void> | undefined {
    if (this.#pending <= this.limit) return undefined;
    this.#waiting ??= Promise.withResolvers<void>();
    return this.#waiting.promise;
  }
}
