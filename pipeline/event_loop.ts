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
      const queue: Array<{ event: MarketEvent; from: number }> = [];
      return source.pipe(map((batch: EventBatch) => {
        const out: MarketEvent[] = [];
        for (const input of batch) {
          queue.push({ event: input, from: -1 });
          while (queue.length > 0) {
            const { event, from } = queue.shift()!;
            out.push(event);
            running.forEach((take, i) => {
              if (i === from) return;
              for (const made of take(event)) queue.push({ event: made, from: i });
            });
          }
        }
        return out;
      }));
    });
}
