/**
 * The live feed: the pipeline's source when events arrive from outside (an MT5 terminal)
 * rather than from a file, and the acknowledgement that a pushed batch has gone all the
 * way through, journal included.
 *
 * `push` resolves once the batch has passed every stage and every sink before `sink`,
 * which must therefore be the pipeline's last sink. Stages map batch to batch (none
 * splits, merges or drops a non-empty batch), so the n-th batch pushed is the n-th one
 * the sink sees. It must never acknowledge a batch the journal has not committed.
 */

import { type Observable, Subject } from "rxjs";
import type { EventBatch } from "../events.ts";
import type { Sink } from "../../sinks/sink.ts";

export class LiveFeed {
  readonly #subject = new Subject<EventBatch>();
  readonly #waiters: { readonly n: number; resolve(): void; reject(error: Error): void }[] = [];
  #pushed = 0;
  #done = 0;
  #failure: Error | null = null;

  readonly source$: Observable<EventBatch> = this.#subject.asObservable();

  /** The acknowledging sink: last in the pipeline's sink list. */
  readonly sink: Sink = {
    name: "live-ack",
    write: () => {
      this.#done++;
      while (this.#waiters.length > 0 && this.#waiters[0].n <= this.#done) {
        this.#waiters.shift()!.resolve();
      }
    },
    abort: (error) => this.#fail(new Error(`the pipeline failed: ${(error as Error).message}`)),
    close: () => this.#fail(new Error("the pipeline has stopped")),
  };

  /** Sends `batch` (non-empty) down the pipeline; resolves once it is through and journalled. */
  push(batch: EventBatch): Promise<void> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (batch.length === 0) return Promise.resolve();
    const n = ++this.#pushed;
    this.#subject.next(batch);
    if (this.#done >= n) return Promise.resolve();
    if (this.#failure !== null) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => this.#waiters.push({ n, resolve, reject }));
  }

  /** Ends the stream: the pipeline completes and its sinks close. */
  end(): void {
    this.#subject.complete();
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#failure);
  }
}
