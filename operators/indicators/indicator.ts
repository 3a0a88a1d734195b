/**
 * The streaming indicator contract: a plain object fed one closed bar at a time.
 *
 * Indicators are pure math: one generic operator adapts any of them to a stream, so the
 * math is tested without streams. An indicator never sees a bar before it has closed,
 * never reads a clock, never allocates per update and never looks at a later bar.
 */

/** The prices an indicator reads; `Ohlc` and any bid or ask side of a `BarEvent` fit. */
export interface PriceBar {
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
}

/** A `PriceBar` reused row after row, filled by `bidBarAt`. */
export type PriceBarScratch = { -readonly [K in keyof PriceBar]: number };

/** Bid price columns, one row a bar (a `BarBatch`'s, or any table of bars). */
export interface BidColumns {
  readonly bidOpen: ArrayLike<number>;
  readonly bidHigh: ArrayLike<number>;
  readonly bidLow: ArrayLike<number>;
  readonly bidClose: ArrayLike<number>;
}

/** Row `i`'s bid prices, written into `out` (no allocation per row); returns `out`. */
export function bidBarAt(columns: BidColumns, i: number, out: PriceBarScratch): PriceBar {
  out.open = columns.bidOpen[i];
  out.high = columns.bidHigh[i];
  out.low = columns.bidLow[i];
  out.close = columns.bidClose[i];
  return out;
}

/**
 * A bar-fed indicator. Multi-output indicators return their primary value from
 * `update()` and expose the others as readonly getters that are `NaN` until stable.
 */
export interface Indicator {
  /** Bars needed before the first value. */
  readonly requiredBars: number;
  readonly isStable: boolean;
  /** Feeds one closed bar; returns the primary value, or undefined until stable. */
  update(bar: PriceBar): number | undefined;
  reset(): void;
}

/**
 * An indicator of one number per bar that is not a price, such as the spread, so that
 * callers do not have to dress a number up as a fake bar.
 */
export interface ValueIndicator {
  /** Values needed before the first result. */
  readonly requiredBars: number;
  readonly isStable: boolean;
  /** Feeds the value of one closed bar; returns the primary value, or undefined until stable. */
  update(value: number): number | undefined;
  reset(): void;
}
