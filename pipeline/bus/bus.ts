/**
 * The bus: how components hand each other the pipeline's versioned events when they may
 * run apart. One interface, two transports: in-process (the default, below: a thin,
 * zero-copy fan-out) and NATS JetStream (nats.ts). Events travel unchanged; a batch is
 * the unit on both sides, so nothing on the hot path awaits per event.
 * It must never change, reorder or invent events, and never acknowledge a batch its
 * handler has not finished with.
 */

import type { EventBatch } from "../events.ts";
import { subjectMatches, subjectOf } from "./subjects.ts";

export interface SubscribeOptions {
  /** One subject filter, NATS wildcards allowed (`md.XAUUSD.>`); ">" is everything. */
  readonly subject: string;
  /**
   * A durable name: the transport remembers what was acknowledged under it, so a
   * restarted component resumes where it stopped. Without one, delivery starts now
   * (in-process) or at the stream's start (NATS) and is forgotten on stop. One live
   * subscriber per durable name: a restart under it resumes, in order, after the last
   * acknowledged event.
   */
  readonly durable?: string;
  /** Most events handed to the handler at once (default 1000). */
  readonly batchSize?: number;
  /**
   * Ids the component already holds (read back from its journal on restart), so a
   * redelivery of what it handled just before a crash is dropped by id.
   */
  readonly seen?: Iterable<string>;
}

/** Handles one batch; the batch is acknowledged only once the returned promise resolves. */
export type BatchHandler = (batch: EventBatch) => void | Promise<void>;

export interface BusSubscription {
  /** Resolves when stopped; rejects with the handler's error if it threw (the batch stays unacknowledged). */
  readonly done: Promise<void>;
  /** Stops after the batch in hand; unacknowledged events are delivered again later. */
  stop(): Promise<void>;
}

export interface Bus {
  /** Resolves once the transport holds every event of the batch (NATS: stored and acknowledged). */
  publish(batch: EventBatch): Promise<void>;
  subscribe(options: SubscribeOptions, handler: BatchHandler): Promise<BusSubscription>;
  close(): Promise<void>;
}

/**
 * The default transport: `publish` hands the very batch object to every matching
 * subscriber (a filtered copy only when a filter leaves some events out) and resolves
 * when all handlers have. Nothing is serialised, stored or redelivered, so there are no
 * duplicates to drop; durable names are accepted and mean nothing in one process.
 */
export class InProcessBus implements Bus {
  readonly #subscribers = new Set<{ subject: string; handler: BatchHandler }>();
  readonly #account: string | undefined;

  /** `account` routes orders and execution reports, as on NATS. */
  constructor(options: { account?: string } = {}) {
    this.#account = options.account;
  }

  async publish(batch: EventBatch): Promise<void> {
    if (batch.length === 0) return;
    let subjects: string[] | null = null;
    const pending: Promise<void>[] = [];
    for (const subscriber of this.#subscribers) {
      let delivered: EventBatch = batch;
      if (subscriber.subject !== ">") {
        subjects ??= batch.map((event) => subjectOf(event, this.#account));
        delivered = batch.filter((_, i) => subjectMatches(subscriber.subject, subjects![i]));
        if (delivered.length === 0) continue;
        if (delivered.length === batch.length) delivered = batch;
      }
      const result = subscriber.handler(delivered);
      if (result instanceof Promise) pending.push(result);
    }
    if (pending.length > 0) await Promise.all(pending);
  }

  subscribe(options: SubscribeOptions, handler: BatchHandler): Promise<BusSubscription> {
    const subscriber = { subject: options.subject, handler };
    this.#subscribers.add(subscriber);
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    return Promise.resolve({
      done,
      stop: () => {
        this.#subscribers.delete(subscriber);
        resolveDone();
        return Promise.resolve();
      },
    });
  }

  close(): Promise<void> {
    this.#subscribers.clear();
    return Promise.resolve();
  }
}

/**
 * The ids a consumer has handled, most recent `capacity` kept: enough to drop every
 * redelivery JetStream can make (its unacknowledged window is far smaller), bounded so a
 * long-running consumer does not grow without end.
 */
export class SeenIds {
  readonly #ids = new Set<string>();
  readonly #capacity: number;

  constructor(capacity = 100_000, initial: Iterable<string> = []) {
    this.#capacity = capacity;
    for (const id of initial) this.add(id);
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  add(id: string): void {
    this.#ids.delete(id);
    this.#ids.add(id);
    // A Set iterates in insertion order: the first is the oldest.
    if (this.#ids.size > this.#capacity) this.#ids.delete(this.#ids.values().next().value!);
  }
}
