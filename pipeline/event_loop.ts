/**
 * Per-event processing inside batch operators. A processor takes one event and returns
 * the events it produces (never the input itself). `insertEvents` runs one processor and
 * inserts its output right after each input; `eventLoop` runs several processors that
 * feed each other in the same instant: the risk engine's orders reach the broker, and the
 * broker's fills and account reports reach the risk engine before the next input event.
 * Backtest causality needs this: a batch holds thousands of bars, and a stage that saw
 * the whole batch before the next stage would decide on stale fills. No scheduling: all
 * synchronous, all in order.
 */

import { defer, map, type OperatorFunction } from "rxjs";
import type { EventBatch, MarketEvent } from "./events.ts";

export type EventProcessor = (event: MarketEvent) => readonly MarketEvent[];

/** Inserts each processor output right after its input event. */
export function insertEvents(take: EventProcessor): (batch: EventBatch) => EventBatch {
  return (batch) => {
    let out: MarketEvent[] | null = null;
    for (let i = 0; i < batch.length; i++) {
      const made = take(batch[i]);
      if (made.length === 0) {
        out?.push(batch[i]);
        continue;
      }
      out ??= batch.slice(0, i);
      out.push(batch[i], ...made);
    }
    return out ?? batch;
  };
}

/**
 * Every input event, and every event a processor produces, goes to every processor but
 * its producer, breadth first; the output holds them all in that order.
 */
export function eventLoop(
  processors: readonly (() => EventProcessor)[],
): OperatorFunction<EventBatch, EventBatch> {
  return (source) =>
    defer(() => {
      const running = processors.map((make) => make());
      // The queue of one input's instant: the events its processors made and the index of
      // each one's producer, read by position and emptied once the instant is done.
      const queue: MarketEvent[] = [];
      const producers: number[] = [];
      return source.pipe(map((batch: EventBatch) => {
        const out: MarketEvent[] = [];
        for (let b = 0; b < batch.length; b++) {
          const input = batch[b];
          out.push(input);
          // Most inputs make nothing anywhere: try each processor before using the queue.
          let first = 0;
          let made: readonly MarketEvent[] = [];
          while (first < running.length && (made = running[first](input)).length === 0) first++;
          if (first === running.length) continue;
          for (let i = first; i < running.length; i++) {
            if (i > first) made = running[i](input);
            for (let k = 0; k < made.length; k++) {
              queue.push(made[k]);
              producers.push(i);
            }
          }
          for (let head = 0; head < queue.length; head++) {
            const event = queue[head];
            const from = producers[head];
            out.push(event);
            for (let i = 0; i < running.length; i++) {
              if (i === from) continue;
              const more = running[i](event);
              for (let k = 0; k < more.length; k++) {
                queue.push(more[k]);
                producers.push(i);
              }
            }
          }
          queue.length = 0;
          producers.length = 0;
        }
        return out;
      }));
    });
}
