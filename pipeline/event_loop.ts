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
 * Runs `processors` on one input at a time, outside any stream: the input and everything
 * it causes, in the order `eventLoop` emits them, are appended to `out`. For a caller that
 * drives the kernel itself (the random-entry baseline feeds only the bars that matter).
 */
export function eventStep(
  processors: readonly EventProcessor[],
): (input: MarketEvent, out: MarketEvent[]) => void {
  // The queue of one input's instant: the events its processors made and the index of
  // each one's producer, read by position. Its slots are reused from instant to instant
  // (emptying the arrays would drop their storage and regrow it on the next busy bar);
  // a finished instant's slots are cleared so its events can die young.
  const queue: (MarketEvent | null)[] = [];
  const producers: number[] = [];
  let size = 0;
  const enqueue = (made: readonly MarketEvent[], from: number) => {
    for (let k = 0; k < made.length; k++) {
      queue[size] = made[k];
      producers[size++] = from;
    }
  };
  return (input, out) => {
    out.push(input);
    for (let i = 0; i < processors.length; i++) {
      const made = processors[i](input);
      if (made.length > 0) enqueue(made, i);
    }
    for (let head = 0; head < size; head++) {
      const event = queue[head]!;
      const from = producers[head];
      out.push(event);
      for (let i = 0; i < processors.length; i++) {
        if (i === from) continue;
        const more = processors[i](event);
        if (more.length > 0) enqueue(more, i);
      }
    }
    for (let k = 0; k < size; k++) queue[k] = null;
    size = 0;
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
      const step = eventStep(processors.map((make) => make()));
      return source.pipe(map((batch: EventBatch) => {
        const out: MarketEvent[] = [];
        for (let b = 0; b < batch.length; b++) step(batch[b], out);
        return out;
      }));
    });
}
