/**
 * Ticks to M1 bid and ask bars: the first, highest, lowest and last bid and ask of the
 * ticks in each UTC minute, volume = tick count. Scalar and allocation-free per tick, so
 * the same class serves the batch path and the Rx spine.
 * It must never emit a bar before its minute has passed (only an explicit `flush()` ends
 * the forming one), never invent a bar for a minute without ticks, never reorder ticks.
 */

import { isoFromUs, US_PER_MINUTE } from "../../pipeline/events.ts";
import type { TickBatch } from "../../sources/source.ts";
import type { BarSink } from "./bar_sink.ts";

/**
 * Aggregates time-ordered ticks into M1 bars written to `out`.
 *
 * @example
 * ```ts
 * const out = new BarColumnsBuilder("M1", "bid-ask", true);
 * const m1 = new TickToBar(out);
 * m1.update(timeUs, bid, ask); // ... for every tick
 * m1.flush(); // end of data: emit the forming minute
 * const bars = out.take();
 * ```
 */
export class TickToBar {
  private openUs = -Infinity;
  private closeUs = -Infinity;
  /** Time of the last tick, raised to the bar's close by `flush()` so that minute stays closed. */
  private lastUs = -Infinity;
  private count = 0;
  private bidOpen = NaN;
  private bidHigh = NaN;
  private bidLow = NaN;
  private bidClose = NaN;
  private askOpen = NaN;
  private askHigh = NaN;
  private askLow = NaN;
  private askClose = NaN;

  constructor(readonly out: BarSink) {}

  /** Is a minute forming (ticks taken in, bar not yet emitted)? */
  get forming(): boolean {
    return this.count > 0;
  }

  /**
   * Takes one tick. A tick in a later minute first emits the forming bar, which is how a
   * bar's close is known without a clock. Throws a RangeError for a tick earlier than the
   * previous one or inside a minute already flushed: that would rewrite an emitted bar.
   */
  update(timeUs: number, bid: number, ask: number): void {
    if (timeUs < this.lastUs) {
      throw new RangeError(
        `Cannot add the tick at ${isoFromUs(timeUs)}: ticks must not go back in time ` +
          `(last tick or flushed bar end at ${isoFromUs(this.lastUs)})`,
      );
    }
    this.lastUs = timeUs;
    if (timeUs >= this.closeUs) {
      if (this.count > 0) this.emit();
      this.openUs = timeUs - timeUs % US_PER_MINUTE;
      this.closeUs = this.openUs + US_PER_MINUTE;
      this.count = 1;
      this.bidOpen =
        this.bidHigh =
        this.bidLow =
        this.bidClose =
          bid;
      this.askOpen =
        this.askHigh =
        this.askLow =
        this.askClose =
          ask;
      return;
    }
    this.count++;
    if (bid > this.bidHigh) this.bidHigh = bid;
    if (bid < this.bidLow) this.bidLow = bid;
    this.bidClose = bid;
    if (ask > this.askHigh) this.askHigh = ask;
    if (ask < this.askLow) this.askLow = ask;
    this.askClose = ask;
  }

  /** End of data: emits the forming bar, if any. Later ticks must start a later minute. */
  flush(): void {
    if (this.count === 0) return;
    this.emit();
    this.lastUs = this.closeUs;
  }

  private emit(): void {
    this.out.push(
      this.openUs,
      this.closeUs,
      this.bidOpen,
      this.bidHigh,
      this.bidLow,
      this.bidClose,
      this.askOpen,
      this.askHigh,
      this.askLow,
      this.askClose,
      NaN,
      this.count,
    );
    this.count = 0;
  }
}

/** Feeds a whole tick batch to `aggregator`; completed bars go to its sink. */
export function aggregateTicks(batch: TickBatch, aggregator: TickToBar): void {
  const { timeUs, bid, ask } = batch;
  for (let i = 0; i < batch.length; i++) aggregator.update(timeUs[i], bid[i], ask[i]);
}
