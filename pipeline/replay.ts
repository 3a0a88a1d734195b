/**
 * Turns a file `Source` into the pipeline's event stream: batches of plain events in
 * time order, as fast as the consumer takes them or paced at `speed` x real time.
 *
 * Replay never schedules per event: it emits batches synchronously (unpaced, each source
 * batch in slices of at most `REPLAY_SLICE` events), and paced replay sleeps between
 * groups of events that fall due together. Events are emitted
 * at their event time (a bar at its close), so replay can never show a bar early.
 */

import { Observable } from "rxjs";
import type { BarBatch, Batch, Source } from "../sources/source.ts";
import { type BarEvent, EVENT_VERSION, type EventBatch, type MarketEvent } from "./events.ts";

export interface ReplayOptions {
  /** Event time per wall-clock time; absent or Infinity means as fast as possible. */
  readonly speed?: number;
  /** Smallest wall-clock wait in paced mode; events due within it are emitted together. */
  readonly tickMs?: number;
  /**
   * Pacing starts at the first event due at or after this time; the ones before (a warm-up
   * read before `--from`) go as fast as possible. Default: pace from the first event.
   */
  readonly paceFromUs?: number;
  /**
   * Awaited, when it returns a promise, before each batch an unpaced replay emits: an
   * asynchronous stage's `Backlog.ready`, so the replay never runs more than one slice
   * past that stage's limit.
   */
  readonly ready?: () => Promise<void> | undefined;
}

/**
 * Unpaced replay emits a source batch in slices of at most this many events. A source
 * batch holds up to thousands of rows, and every event made from a slice (signals, votes,
 * orders) lives until the slice has passed every stage: small slices let those die young
 * instead of being promoted by the garbage collector (measured in docs/results/bench.md).
 */
export const REPLAY_SLICE = 256;

/** Plain events for rows [from, to) of one source batch (default: all of them). */
export function eventsOf(
  batch: Batch,
  symbol: string,
  from = 0,
  to = batch.length,
): MarketEvent[] {
  const events: MarketEvent[] = new Array(to - from);
  if (batch.kind === "ticks") {
    for (let i = from; i < to; i++) {
      events[i - from] = {
        v: EVENT_VERSION,
        kind: "tick",
        symbol,
        timeUs: batch.timeUs[i],
        bid: batch.bid[i],
        ask: batch.ask[i],
      };
    }
    return events;
  }
  for (let i = from; i < to; i++) events[i - from] = barEventAt(batch, symbol, i);
  return events;
}

/** The plain event of row `i` of a bar batch: one bar, without an array around it. */
export function barEventAt(batch: BarBatch, symbol: string, i: number): BarEvent {
  const { askOpen, askHigh, askLow, askClose, spread, volume } = batch;
  return {
    v: EVENT_VERSION,
    kind: "bar",
    symbol,
    timeframe: batch.timeframe,
    openUs: batch.openUs[i],
    closeUs: batch.closeUs[i],
    bid: {
      open: batch.bidOpen[i],
      high: batch.bidHigh[i],
      low: batch.bidLow[i],
      close: batch.bidClose[i],
    },
    ask: askOpen && askHigh && askLow && askClose
      ? { open: askOpen[i], high: askHigh[i], low: askLow[i], close: askClose[i] }
      : null,
    spread: spread ? spread[i] : null,
    volume: volume ? volume[i] : 0,
  };
}

/** The time at which an event becomes known: a bar at its close, a tick at its time. */
export function eventTimeUs(event: MarketEvent): number {
  switch (event.kind) {
    case "tick":
    case "regime":
    case "signal":
    case "risk":
    case "order":
    case "pending":
    case "rejection":
    case "fill":
    case "account":
    case "watermark":
      return event.timeUs;
    case "trade":
      return event.exitTimeUs;
    case "bar":
    case "features":
    case "prediction":
      return event.closeUs;
    case "gap":
      return event.toUs;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The source as an Observable of event batches; unsubscribing stops the read. */
export function replay$(source: Source, options: ReplayOptions = {}): Observable<EventBatch> {
  const speed = options.speed ?? Infinity;
  if (!(speed > 0)) throw new RangeError(`Replay speed must be positive, got ${speed}`);
  const tickMs = options.tickMs ?? 20;
  const paceFromUs = options.paceFromUs ?? -Infinity;
  return new Observable<EventBatch>((subscriber) => {
    let stopped = false;
    (async () => {
      let startWallMs = NaN;
      let startEventUs = NaN;
      for await (const batch of source.batches()) {
        if (stopped) return;
        if (speed === Infinity) {
          for (let from = 0; from < batch.length && !stopped; from += REPLAY_SLICE) {
            const ready = options.ready?.();
            if (ready !== undefined) await ready;
            if (stopped) return;
            const to = Math.min(batch.length, from + REPLAY_SLICE);
            subscriber.next(eventsOf(batch, source.symbol, from, to));
          }
          continue;
        }
        const events = eventsOf(batch, source.symbol);
        let from = 0;
        while (from < events.length && !stopped) {
          const due = eventTimeUs(events[from]);
          if (due < paceFromUs) {
            let to = from + 1;
            while (
              to < events.length && to - from < REPLAY_SLICE && eventTimeUs(events[to]) < paceFromUs
            ) to++;
            subscriber.next(events.slice(from, to));
            from = to;
            continue;
          }
          if (Number.isNaN(startWallMs)) {
            startWallMs = performance.now();
            startEventUs = due;
          }
          const waitMs = startWallMs + (due - startEventUs) / 1000 / speed - performance.now();
          if (waitMs > 0) await sleep(Math.max(waitMs, tickMs));
          const nowEventUs = startEventUs + (performance.now() - startWallMs) * 1000 * speed;
          let to = from + 1;
          while (to < events.length && eventTimeUs(events[to]) <= nowEventUs) to++;
          if (!stopped) subscriber.next(events.slice(from, to));
          from = to;
        }
      }
      if (!stopped) subscriber.complete();
    })().catch((error) => subscriber.error(error));
    return () => {
      stopped = true;
    };
  });
}
