/**
 * Bars to a coarser timeframe (M1 -> M5 ... D1): bid and ask open = first, high = max,
 * low = min, close = last; spread = the last bar's (the spread at the bucket's close,
 * as `BarEvent.spread` means); volume = sum. Buckets are UTC-aligned, or for H4 and D1
 * optionally counted from 17:00 New York, the gold trading day's start.
 * It must never emit a bucket before its end has been reached (only `flush()` ends the
 * forming one), never invent a bar for an empty bucket, and never let a bar straddle two.
 */

import {
  isoFromUs,
  type Timeframe,
  TIMEFRAME_US,
  TIMEFRAMES,
  US_PER_DAY,
  US_PER_HOUR,
} from "../../pipeline/events.ts";
import { nyLocalToUtc, utcToNyLocal } from "../../pipeline/tz.ts";
import type { BarBatch } from "../../sources/source.ts";
import type { BarSink } from "./bar_sink.ts";

/**
 * Where D1 (and so H4) buckets start:
 * - `utc`: UTC midnight; H4 at 00, 04, 08 ... UTC. What OANDA's D1 files use.
 * - `new-york-17`: 17:00 New York (21:00 UTC in summer, 22:00 in winter), when the gold
 *   day opens; H4 at 17, 21, 01, 05, 09, 13 New York. The day holding a DST change lasts
 *   23 h or 25 h and its last H4 bucket is cut at the next day start; that day runs from
 *   Saturday to Sunday 17:00, when gold does not trade, so traded days last 24 h.
 * Buckets of H1 and below are the same either way: New York is a whole number of hours
 * from UTC.
 */
export type DayStart = "utc" | "new-york-17";

export interface ResamplerOptions {
  /** Default `utc`. */
  readonly dayStart?: DayStart;
}

const NY_DAY_OPEN_US = 17 * US_PER_HOUR;

/** The UTC instant of the 17:00 New York day start at or before `utcUs`. */
function newYorkDayStart(utcUs: number): number {
  const local = utcToNyLocal(utcUs) - NY_DAY_OPEN_US;
  return nyLocalToUtc(local - local % US_PER_DAY + NY_DAY_OPEN_US);
}

/** The next 17:00 New York day start after the one at `dayStartUs`. */
function nextNewYorkDayStart(dayStartUs: number): number {
  return nyLocalToUtc(utcToNyLocal(dayStartUs) + US_PER_DAY);
}

/**
 * Aggregates time-ordered, non-overlapping bars into buckets of `timeframe`, written to
 * `out` once complete. Inputs may be any timeframe whose bars fit inside one bucket.
 *
 * @example
 * ```ts
 * const out = new BarColumnsBuilder("D1", "bid-ask", false);
 * const d1 = new Resampler("D1", out);
 * resampleBatch(h1Batch, d1); // for every batch
 * d1.flush();
 * ```
 */
export class Resampler {
  private readonly stepUs: number;
  private readonly newYorkDays: boolean;
  private startUs = -Infinity;
  private endUs = -Infinity;
  /** Close of the last bar taken in, raised to the bucket end by `flush()`. */
  private lastCloseUs = -Infinity;
  /** Bars in the forming bucket. */
  private bars = 0;
  private bidOpen = NaN;
  private bidHigh = NaN;
  private bidLow = NaN;
  private bidClose = NaN;
  private askOpen = NaN;
  private askHigh = NaN;
  private askLow = NaN;
  private askClose = NaN;
  private spread = NaN;
  private volume = 0;

  constructor(
    readonly timeframe: Timeframe,
    readonly out: BarSink,
    options: ResamplerOptions = {},
  ) {
    this.stepUs = TIMEFRAME_US[timeframe];
    this.newYorkDays = options.dayStart === "new-york-17" &&
      (timeframe === "D1" || timeframe === "H4");
  }

  /** Is a bucket forming (bars taken in, bucket not yet emitted)? */
  get forming(): boolean {
    return this.bars > 0;
  }

  /**
   * Takes one bar (NaN for absent columns). A bar of a later bucket first emits the
   * forming one; a bar whose close reaches the bucket end emits it at once. Throws a
   * RangeError for a bar that overlaps the previous one, goes back in time, falls in an
   * already flushed bucket, or crosses a bucket end.
   */
  update(
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
    if (openUs < this.lastCloseUs) {
      throw new RangeError(
        `Cannot resample the bar opening at ${isoFromUs(openUs)}: it starts before ` +
          `${isoFromUs(this.lastCloseUs)}, the close of the previous bar or of a flushed bucket`,
      );
    }
    const newBucket = openUs >= this.endUs;
    if (newBucket) {
      if (this.bars > 0) this.emit();
      this.enterBucket(openUs);
    }
    if (closeUs > this.endUs) {
      throw new RangeError(
        `Cannot resample the bar ${isoFromUs(openUs)} to ${isoFromUs(closeUs)} into ` +
          `${this.timeframe}: it crosses the bucket end ${isoFromUs(this.endUs)}`,
      );
    }
    if (newBucket) {
      this.bidOpen = bidOpen;
      this.bidHigh = bidHigh;
      this.bidLow = bidLow;
      this.askOpen = askOpen;
      this.askHigh = askHigh;
      this.askLow = askLow;
      this.volume = volume;
    } else {
      if (bidHigh > this.bidHigh) this.bidHigh = bidHigh;
      if (bidLow < this.bidLow) this.bidLow = bidLow;
      if (askHigh > this.askHigh) this.askHigh = askHigh;
      if (askLow < this.askLow) this.askLow = askLow;
      this.volume += volume;
    }
    this.bars++;
    this.bidClose = bidClose;
    this.askClose = askClose;
    this.spread = spread;
    this.lastCloseUs = closeUs;
    if (closeUs === this.endUs) this.emit();
  }

  /**
   * Emits the forming bucket if `timeUs` is at or past its end, as the next bar of a later
   * bucket would. A resampler fed the closed bars of a finer timeframe (M15 from M5) is
   * told each finest bar's open this way, so a bucket whose last bars are missing closes
   * exactly when it would fed every bar, not when the finer timeframe next closes a bar.
   */
  closeBefore(timeUs: number): void {
    if (this.bars > 0 && timeUs >= this.endUs) this.emit();
  }

  /** End of data: emits the forming bucket, if any. Later bars must start a later bucket. */
  flush(): void {
    if (this.bars === 0) return;
    this.emit();
    this.lastCloseUs = this.endUs;
  }

  /** Moves to the bucket holding `openUs`: computed once per bucket, not per bar. */
  private enterBucket(openUs: number): void {
    if (!this.newYorkDays) {
      this.startUs = openUs - openUs % this.stepUs;
      this.endUs = this.startUs + this.stepUs;
      return;
    }
    const dayStart = newYorkDayStart(openUs);
    const dayEnd = nextNewYorkDayStart(dayStart);
    if (this.timeframe === "D1") {
      this.startUs = dayStart;
      this.endUs = dayEnd;
      return;
    }
    this.startUs = openUs - (openUs - dayStart) % this.stepUs;
    this.endUs = Math.min(this.startUs + this.stepUs, dayEnd);
  }

  private emit(): void {
    this.out.push(
      this.startUs,
      this.endUs,
      this.bidOpen,
      this.bidHigh,
      this.bidLow,
      this.bidClose,
      this.askOpen,
      this.askHigh,
      this.askLow,
      this.askClose,
      this.spread,
      this.volume,
    );
    this.bars = 0;
  }
}

/** Hands each bar to `out`, then to the next coarser timeframe's resampler. */
class Tee implements BarSink {
  constructor(private readonly out: BarSink, private readonly next: Resampler) {}

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
    this.out.push(
      openUs,
      closeUs,
      bidOpen,
      bidHigh,
      bidLow,
      bidClose,
      askOpen,
      askHigh,
      askLow,
      askClose,
      spread,
      volume,
    );
    this.next.update(
      openUs,
      closeUs,
      bidOpen,
      bidHigh,
      bidLow,
      bidClose,
      askOpen,
      askHigh,
      askLow,
      askClose,
      spread,
      volume,
    );
  }
}

/**
 * Bars to several coarser timeframes at once, each fed the closed bars of the one below
 * (M1 -> M5 -> M15 -> H1) instead of every bar: the buckets nest, so open, high, low,
 * close and spread are those of the bars inside, as if each were fed every bar (volume
 * is summed in another order). Each bar's open is also handed to the coarser levels
 * (`Resampler.closeBefore`), so a bucket whose last bars are missing closes at the
 * first bar after it, exactly when a resampler fed every bar closes it.
 *
 * @example
 * ```ts
 * const cascade = new ResamplerCascade([["M5", m5Sink], ["M15", m15Sink], ["H1", h1Sink]]);
 * cascade.update(openUs, closeUs, o, h, l, c, NaN, NaN, NaN, NaN, NaN, 0); // per M1 bar
 * ```
 */
export class ResamplerCascade {
  /** Finest first. */
  readonly #levels: Resampler[] = [];

  /** `levels`: each timeframe with the sink of its closed bars, finest first. */
  constructor(levels: readonly (readonly [Timeframe, BarSink])[], options: ResamplerOptions = {}) {
    for (let i = 1; i < levels.length; i++) {
      if (TIMEFRAMES.indexOf(levels[i][0]) <= TIMEFRAMES.indexOf(levels[i - 1][0])) {
        throw new RangeError(
          `Cannot cascade ${levels[i - 1][0]} into ${levels[i][0]}: each level must be coarser ` +
            `than the one before (${TIMEFRAMES.join(", ")})`,
        );
      }
    }
    let next: Resampler | null = null;
    for (let i = levels.length - 1; i >= 0; i--) {
      const [timeframe, out] = levels[i];
      next = new Resampler(timeframe, next === null ? out : new Tee(out, next), options);
      this.#levels.unshift(next);
    }
  }

  /** Takes one bar of the input timeframe (NaN for absent columns), as `Resampler.update`. */
  update(
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
    const levels = this.#levels;
    if (levels.length === 0) return;
    levels[0].update(
      openUs,
      closeUs,
      bidOpen,
      bidHigh,
      bidLow,
      bidClose,
      askOpen,
      askHigh,
      askLow,
      askClose,
      spread,
      volume,
    );
    for (let i = 1; i < levels.length; i++) levels[i].closeBefore(openUs);
  }

  /** End of data: each level's forming bucket, finest first, so a coarser one gets the finer's last bar. */
  flush(): void {
    for (const level of this.#levels) level.flush();
  }
}

/** Feeds a whole bar batch to `resampler`; a column the batch lacks is passed as NaN. */
export function resampleBatch(batch: BarBatch, resampler: Resampler): void {
  const { openUs, closeUs, bidOpen, bidHigh, bidLow, bidClose } = batch;
  const { askOpen, askHigh, askLow, askClose, spread, volume } = batch;
  for (let i = 0; i < batch.length; i++) {
    resampler.update(
      openUs[i],
      closeUs[i],
      bidOpen[i],
      bidHigh[i],
      bidLow[i],
      bidClose[i],
      askOpen ? askOpen[i] : NaN,
      askHigh ? askHigh[i] : NaN,
      askLow ? askLow[i] : NaN,
      askClose ? askClose[i] : NaN,
      spread ? spread[i] : NaN,
      volume ? volume[i] : NaN,
    );
  }
}

/** The bid side of one bar, as an indicator's `PriceBar` carries it. */
interface BidPrices {
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
}

/**
 * Feeds one bid-only bar (no ask, no spread) to a resampler or a cascade: what the
 * technical vote, the levels, the regime and the report's candles resample.
 */
export function resampleBid(
  target: Pick<Resampler, "update">,
  openUs: number,
  closeUs: number,
  bid: BidPrices,
  volume: number,
): void {
  target.update(
    openUs,
    closeUs,
    bid.open,
    bid.high,
    bid.low,
    bid.close,
    NaN,
    NaN,
    NaN,
    NaN,
    NaN,
    volume,
  );
}
