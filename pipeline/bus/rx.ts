/**
 * The bus meets the pipeline: a subscription as an RxJS source of batches, the live
 * feed fed from the bus (acknowledged only once journalled), and a sink that publishes
 * each batch the pipeline writes. Nothing here knows which transport is underneath.
 * It must never acknowledge a batch before the pipeline is done with it.
 */

import { Observable } from "rxjs";
import type { EventBatch } from "../events.ts";
import type { LiveFeed } from "../live/feed.ts";
import type { Sink } from "../../sinks/sink.ts";
import type { Bus, BusSubscription, SubscribeOptions } from "./bus.ts";

/**
 * A bus subscription as the pipeline's source. A batch is acknowledged when `next`
 * returns, which covers every synchronous stage and sink; a pipeline with asynchronous
 * stages should use `feedFromBus` instead. Unsubscribing stops the consumer.
 */
export function busSource$(bus: Bus, options: SubscribeOptions): Observable<EventBatch> {
  return new Observable<EventBatch>((subscriber) => {
    let subscription: BusSubscription | null = null;
    let closed = false;
    bus.subscribe(options, (batch) => subscriber.next(batch)).then(
      (s) => {
        subscription = s;
        if (closed) s.stop();
        s.done.then(() => subscriber.complete(), (error) => subscriber.error(error));
      },
      (error) => subscriber.error(error),
    );
    return () => {
      closed = true;
      subscription?.stop();
    };
  });
}

/**
 * Pushes what the bus delivers into a live feed: each batch is acknowledged on the bus
 * only once it has passed every stage and the journal has committed it (feed.ts).
 */
export function feedFromBus(
  bus: Bus,
  feed: LiveFeed,
  options: SubscribeOptions,
): Promise<BusSubscription> {
  return bus.subscribe(options, (batch) => feed.push(batch));
}

/**
 * A sink that publishes every batch, in order (each after the one before is stored).
 * `write` cannot wait for the transport, so a failed publish is thrown by the next
 * `write` or by `close`, which waits until everything written is stored.
 */
export function busSink(bus: Bus, name = "bus"): Sink {
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown = null;
  const check = () => {
    if (failure !== null) throw new Error(`${name}: publishing failed: ${String(failure)}`);
  };
  return {
    name,
    write(batch) {
      check();
      chain = chain.then(() => failure === null ? bus.publish(batch) : undefined).catch((
        error,
      ) => {
        failure ??= (error as Error).message ?? error;
      });
    },
    async close() {
      await chain;
      check();
    },
  };
}
