/**
 * The bar stages as RxJS operators over event batches, for the spine:
 * `ticksToBars` (ticks -> M1), `resampleBars` (M1 -> higher timeframes) and `detectGaps`.
 * Each wraps the scalar class of the same job, one instance per symbol and subscription,
 * and maps batch to batch: no per-event scheduling.
 *
 * Every operator passes each input event through unchanged and inserts what it derives
 * where it became known: just before the input event that revealed it (the tick of a
 * later minute, the bar of a later bucket, the bar after a hole), or just after the bar
 * that completed it (the last M1 of an hour). So a bar always follows everything it is
 * built from and precedes every input after its close.
 * A stage must never emit a forming bar except on completion with `flushOnComplete`
 * (replay and the CLI set it; live leaves it off), and never fill a gap.
 */

import { concatWith, defer, EMPTY, map, type Observable, of, type OperatorFunction } from "rxjs";
import {
  type BarEvent,
  EVENT_VERSION,
  type EventBatch,
  type GapEvent,
  type MarketEvent,
  type Timeframe,
  TIMEFRAME_US,
} from "../../pipeline/events.ts";
import type { QuoteSides } from "../../sources/source.ts";
import { type BarSink, pushBarEvent } from "./bar_sink.ts";
import { GapDetector } from "./gaps.ts";
import { Resampler, type ResamplerOptions } from "./resample.ts";
import { TickToBar } from "./tick_to_bar.ts";

export interface FlushOptions {
  /** On completion, emit the forming bar as a last batch. Default false (live: a forming bar is not a bar). */
  readonly flushOnComplete?: boolean;
}

export type TicksToBarsOptions = FlushOptions;

export interface ResampleBarsOptions extends ResamplerOptions, FlushOptions {
  /** The timeframe of the bars to resample; other bars pass through. Default `M1`. */
  readonly input?: Timeframe;
}

export interface DetectGapsOptions {
  /** The timeframe of the bars to watch; other bars pass through. Default `M1`. */
  readonly timeframe?: Timeframe;
}

/** What a stage derives from its input. */
type Derived = BarEvent | GapEvent;

/** Turns the scalar classes' output into `BarEvent`s appended to `made`. */
class BarEventSink implements BarSink {
  constructor(
    private readonly symbol: string,
    private readonly timeframe: Timeframe,
    private readonly sides: QuoteSides,
    private readonly made: Derived[],
  ) {}

  push(
    openUs: number,
    closeUs: number,
    bidOpen: number,
    bidHigh: number,
    bidLow: number,
    bidClose: number,
    askOpen: number,
    askHigh: number,
    askLow: number,
    askClose: number,
    spread: number,
    volume: number,
  ): void {
    const bar: BarEvent = {
      v: EVENT_VERSION,
      kind: "bar",
      symbol: this.symbol,
      timeframe: this.timeframe,
      openUs,
      closeUs,
      bid: { open: bidOpen, high: bidHigh, low: bidLow, close: bidClose },
      ask: this.sides === "bid-ask"
        ? { open: askOpen, high: askHigh, low: askLow, close: askClose }
        : null,
      spread: this.sides === "bid-spread" ? spread : null,
      volume,
    };
    this.made.push(bar);
  }
}

function startUs(event: MarketEvent): number {
  switch (event.kind) {
    case "tick":
    case "regime":
    case "signal":
    case "risk":
    case "order":
    case "fill":
    case "account":
    case "watermark":
      return event.timeUs;
    case "trade":
      return event.entryTimeUs;
    case "bar":
    case "features":
    case "prediction":
      return event.openUs;
    case "gap":
      return event.fromUs;
  }
}

function endUs(event: Derived): number {
  return event.kind === "bar" ? event.closeUs : event.toUs;
}

/**
 * Feeds each event to `take`, which may append derived events to `made`, and places each
 * of those before that event when it ends by the event's start (the event revealed it),
 * else after it (the event completed it). Returns `batch` itself when nothing was derived.
 */
function interleave(
  batch: EventBatch,
  made: Derived[],
  take: (event: MarketEvent) => void,
): EventBatch {
  let out: MarketEvent[] | null = null;
  for (let i = 0; i < batch.length; i++) {
    const event = batch[i];
    take(event);
    if (made.length === 0) {
      out?.push(event);
      continue;
    }
    out ??= batch.slice(0, i);
    const start = startUs(event);
    let k = 0;
    while (k < made.length && endUs(made[k]) <= start) out.push(made[k++]);
    out.push(event);
    while (k < made.length) out.push(made[k++]);
    made.length = 0;
  }
  return out ?? batch;
}

interface Stage {
  step(batch: EventBatch): EventBatch;
  /** Ends the forming bars at end of data and returns them. */
  flush?(): EventBatch;
}

/**
 * A fresh stage per subscription (so resubscribing starts clean) mapped over batches;
 * with `flushOnComplete`, its flushed bars follow as one last batch.
 */
function stageOperator(
  create: () => Stage,
  flushOnComplete = false,
): OperatorFunction<EventBatch, EventBatch> {
  return (source) =>
    defer(() => {
      const stage = create();
      const steps = source.pipe(map((batch) => stage.step(batch)));
      const flush = stage.flush;
      if (!flushOnComplete || flush === undefined) return steps;
      const tail: Observable<EventBatch> = defer(() => {
        const last = flush();
        return last.length > 0 ? of(last) : EMPTY;
      });
      return steps.pipe(concatWith(tail));
    });
}

/** Aggregates `symbol`'s ticks into M1 bid/ask bars (volume = tick count); see `TickToBar`. */
export function ticksToBars(
  symbol: string,
  options: TicksToBarsOptions = {},
): OperatorFunction<EventBatch, EventBatch> {
  return stageOperator(() => {
    const made: Derived[] = [];
    const aggregator = new TickToBar(new BarEventSink(symbol, "M1", "bid-ask", made));
    const take = (event: MarketEvent) => {
      if (event.kind === "tick" && event.symbol === symbol) {
        aggregator.update(event.timeUs, event.bid, event.ask);
      }
    };
    return {
      step: (batch) => interleave(batch, made, take),
      flush: () => {
        aggregator.flush();
        return made.splice(0);
      },
    };
  }, options.flushOnComplete ?? false);
}

function sidesOf(bar: BarEvent): QuoteSides {
  return bar.ask !== null ? "bid-ask" : bar.spread !== null ? "bid-spread" : "bid";
}

/**
 * Resamples each symbol's `input` bars (default M1) to `timeframe`; see `Resampler`.
 * The output keeps the input's columns: ask when it has asks, else spread when it has one.
 */
export function resampleBars(
  timeframe: Timeframe,
  options: ResampleBarsOptions = {},
): OperatorFunction<EventBatch, EventBatch> {
  const input = options.input ?? "M1";
  if (TIMEFRAME_US[input] >= TIMEFRAME_US[timeframe]) {
    throw new RangeError(
      `Cannot resample ${input} bars to ${timeframe}: the target must be a longer timeframe`,
    );
  }
  return stageOperator(() => {
    const made: Derived[] = [];
    const bySymbol = new Map<string, Resampler>();
    const resamplerFor = (bar: BarEvent): Resampler => {
      let resampler = bySymbol.get(bar.symbol);
      if (resampler === undefined) {
        // Every symbol's sink appends to the one list `interleave` drains.
        const sink = new BarEventSink(bar.symbol, timeframe, sidesOf(bar), made);
        resampler = new Resampler(timeframe, sink, options);
        bySymbol.set(bar.symbol, resampler);
      }
      return resampler;
    };
    const take = (event: MarketEvent) => {
      if (event.kind !== "bar" || event.timeframe !== input) return;
      const { bid, ask } = event;
      resamplerFor(event).update(
        event.openUs,
        event.closeUs,
        bid.open,
        bid.high,
        bid.low,
        bid.close,
        ask ? ask.open : NaN,
        ask ? ask.high : NaN,
        ask ? ask.low : NaN,
        ask ? ask.close : NaN,
        event.spread ?? NaN,
        event.volume,
      );
    };
    return {
      step: (batch) => interleave(batch, made, take),
      flush: () => {
        for (const resampler of bySymbol.values()) resampler.flush();
        return made.splice(0).sort((a, b) => endUs(a) - endUs(b));
      },
    };
  }, options.flushOnComplete ?? false);
}

/**
 * Adds a `GapEvent` before each bar that opens after a hole in its symbol's `timeframe`
 * bars (default M1); see `GapDetector` for the categories. Holes are never filled.
 */
export function detectGaps(
  options: DetectGapsOptions = {},
): OperatorFunction<EventBatch, EventBatch> {
  const timeframe = options.timeframe ?? "M1";
  return stageOperator(() => {
    const made: Derived[] = [];
    const bySymbol = new Map<string, GapDetector>();
    const take = (event: MarketEvent) => {
      if (event.kind !== "bar" || event.timeframe !== timeframe) return;
      let detector = bySymbol.get(event.symbol);
      if (detector === undefined) {
        detector = new GapDetector();
        bySymbol.set(event.symbol, detector);
      }
      const gap = detector.update(event.openUs, event.closeUs);
      if (gap === null) return;
      const gapEvent: GapEvent = {
        v: EVENT_VERSION,
        kind: "gap",
        symbol: event.symbol,
        timeframe,
        ...gap,
      };
      made.push(gapEvent);
    };
    return { step: (batch) => interleave(batch, made, take) };
  });
}

/**
 * Copies every closed M1 bar of `symbol` into `sink` as it passes, changing nothing: the
 * columns a later computation replays (the backtest's random-entry baseline).
 */
export function recordBars(
  symbol: string,
  sink: BarSink,
): OperatorFunction<EventBatch, EventBatch> {
  return map((batch: EventBatch) => {
    for (const event of batch) {
      if (event.kind !== "bar" || event.symbol !== symbol || event.timeframe !== "M1") continue;
      pushBarEvent(sink, event);
    }
    return batch;
  });
}
