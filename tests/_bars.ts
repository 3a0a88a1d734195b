/**
 * Bar events as the columns of a bid-only table (times and bid OHLC, one row a bar): what
 * the column-reading code (labels, the levels' ATR series) takes, made from the events a
 * stage saw, for tests that compare the two paths.
 */

import type { BarEvent } from "@/pipeline/events.ts";
import type { BarBatch } from "@/sources/source.ts";

/** A bar batch's times and bid columns. */
export type BidBarColumns = Pick<
  BarBatch,
  "length" | "openUs" | "closeUs" | "bidOpen" | "bidHigh" | "bidLow" | "bidClose"
>;

/** `bars`' times and bid prices, in their order. */
export function bidColumnsOf(bars: readonly BarEvent[]): BidBarColumns {
  const column = (read: (bar: BarEvent) => number) => Float64Array.from(bars, read);
  return {
    length: bars.length,
    openUs: column((b) => b.openUs),
    closeUs: column((b) => b.closeUs),
    bidOpen: column((b) => b.bid.open),
    bidHigh: column((b) => b.bid.high),
    bidLow: column((b) => b.bid.low),
    bidClose: column((b) => b.bid.close),
  };
}
