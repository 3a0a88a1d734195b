/**
 * Where the bar operators write the bars they complete: a `BarColumnsBuilder` for files
 * and typed-array batches, an event list for the Rx spine. One call per bar with plain
 * numbers, so the operators allocate nothing per bar. A sink never receives a forming bar.
 */

import type { BarEvent } from "../../pipeline/events.ts";

/** Receives one completed bar; NaN stands for a column the data does not have. */
export interface BarSink {
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
  ): void;
}

/** Hands a bar event to `sink`, its absent ask and spread as NaN. */
export function pushBarEvent(sink: BarSink, bar: BarEvent): void {
  const { bid, ask } = bar;
  sink.push(
    bar.openUs,
    bar.closeUs,
    bid.open,
    bid.high,
    bid.low,
    bid.close,
    ask?.open ?? NaN,
    ask?.high ?? NaN,
    ask?.low ?? NaN,
    ask?.close ?? NaN,
    bar.spread ?? NaN,
    bar.volume,
  );
}
