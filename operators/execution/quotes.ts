/**
 * The ask side of a price: one rule, used by the broker, its tests and anyone checking a
 * fill. A bar's ask OHLC is its ask columns when the data has them (OANDA); else its bid
 * OHLC plus its `spread` column (MT5 export); else its bid OHLC plus the broker profile's
 * spread model (HistData). A tick always has both sides.
 *
 * Quotes are written into a caller-owned `Quotes` object, so the per-bar path allocates
 * nothing.
 */

import {
  type BarEvent,
  type TickEvent,
  US_PER_DAY,
  US_PER_HOUR,
  US_PER_MINUTE,
} from "../../pipeline/events.ts";
import { utcToNyLocal } from "../../pipeline/tz.ts";
import type { BarBatch } from "../../sources/source.ts";

/** Bid and ask OHLC of one price event; a tick has open = high = low = close. */
export interface Quotes {
  bidOpen: number;
  bidHigh: number;
  bidLow: number;
  bidClose: number;
  askOpen: number;
  askHigh: number;
  askLow: number;
  askClose: number;
}

export function emptyQuotes(): Quotes {
  return {
    bidOpen: NaN,
    bidHigh: NaN,
    bidLow: NaN,
    bidClose: NaN,
    askOpen: NaN,
    askHigh: NaN,
    askLow: NaN,
    askClose: NaN,
  };
}

/** A spread for New York times of day in [fromMinute, toMinute), wrapping past midnight. */
export interface SpreadWindow {
  readonly fromMinute: number;
  readonly toMinute: number;
  readonly spread: number;
}

/**
 * The default spread for bid-only data, per hour of the New York day (index 0 is
 * 00:00-01:00): the median ask - bid of every OANDA XAUUSD quote in that hour, 2014-05-01
 * to 2014-05-15, rounded up to the cent. `deno task spread-profile` measures it from
 * ../shared/data (docs/execution.md has the table with quote counts and 90th percentiles);
 * a test checks these figures against that command. Hour 17 is the quarter hour before the
 * daily break, when spreads widen fivefold.
 */
export const DEFAULT_NY_HOUR_SPREADS: readonly number[] = Object.freeze([
  0.28,
  0.29,
  0.28,
  0.28,
  0.28,
  0.28,
  0.28,
  0.27,
  0.36,
  0.27,
  0.28,
  0.28,
  0.27,
  0.26,
  0.26,
  0.27,
  0.33,
  1.55,
  0.49,
  0.35,
  0.30,
  0.30,
  0.29,
  0.29,
]);

/**
 * The spread assumed for bid-only data: the first New York time-of-day window holding the
 * time asked about, else the spread of its New York hour (one figure for every hour when
 * the model is fixed).
 */
export class SpreadModel {
  readonly byHour: readonly number[];
  /** The last hour asked about, in UTC [from, to), and its spread: bars come in order. */
  #hourFromUs = NaN;
  #hourToUs = NaN;
  #hourSpread = NaN;

  constructor(
    base: number | readonly number[],
    readonly windows: readonly SpreadWindow[] = [],
  ) {
    const byHour = typeof base === "number" ? new Array<number>(24).fill(base) : [...base];
    if (byHour.length !== 24 || !byHour.every((s) => Number.isFinite(s) && s >= 0)) {
      throw new RangeError(
        `Cannot build a spread model: expected 24 hourly spreads >= 0, got ${JSON.stringify(base)}`,
      );
    }
    this.byHour = byHour;
  }

  /** Spread in price units at this UTC instant. */
  spreadAt(utcUs: number): number {
    if (this.windows.length === 0 && utcUs >= this.#hourFromUs && utcUs < this.#hourToUs) {
      return this.#hourSpread;
    }
    const local = utcToNyLocal(utcUs);
    const ofDay = local - Math.floor(local / US_PER_DAY) * US_PER_DAY;
    const minute = Math.floor(ofDay / US_PER_MINUTE);
    for (const w of this.windows) {
      const inside = w.fromMinute <= w.toMinute
        ? minute >= w.fromMinute && minute < w.toMinute
        : minute >= w.fromMinute || minute < w.toMinute;
      if (inside) return w.spread;
    }
    const hour = Math.floor(ofDay / US_PER_HOUR);
    // New York is a whole number of hours from UTC, so its hours start on UTC hours.
    this.#hourFromUs = utcUs - (ofDay - hour * US_PER_HOUR);
    this.#hourToUs = this.#hourFromUs + US_PER_HOUR;
    this.#hourSpread = this.byHour[hour];
    return this.#hourSpread;
  }
}

/**
 * What `bar`'s ask is its bid plus: null when the bar has ask columns (its ask is its
 * own); else its spread column (one figure for the whole bar, the only one the data
 * gives); else `model`'s spread at the bar's open, null without a model.
 */
export function barSpread(bar: BarEvent, model: SpreadModel | null): number | null {
  if (bar.ask !== null) return null;
  return bidOnlySpread(bar.spread, bar.openUs, model);
}

/**
 * What a bid-only bar's ask is its bid plus: its spread column (`spread`, null without
 * one), else `model`'s spread at its open, null without a model.
 */
function bidOnlySpread(spread: number | null, openUs: number, model: SpreadModel | null) {
  return spread ?? model?.spreadAt(openUs) ?? null;
}

/**
 * Writes `bar`'s bid and ask OHLC into `out`: the ask columns when present; else bid +
 * `barSpread`.
 */
export function quoteBar(bar: BarEvent, model: SpreadModel, out: Quotes): Quotes {
  const { bid, ask } = bar;
  out.bidOpen = bid.open;
  out.bidHigh = bid.high;
  out.bidLow = bid.low;
  out.bidClose = bid.close;
  if (ask !== null) {
    out.askOpen = ask.open;
    out.askHigh = ask.high;
    out.askLow = ask.low;
    out.askClose = ask.close;
    return out;
  }
  const spread = barSpread(bar, model)!; // no ask columns, and a model: never null
  out.askOpen = bid.open + spread;
  out.askHigh = bid.high + spread;
  out.askLow = bid.low + spread;
  out.askClose = bid.close + spread;
  return out;
}

/** Bars with every ask column: as the broker quotes them (`quotedBars`). */
export type QuotedBars = BarBatch & {
  readonly askOpen: Float64Array;
  readonly askHigh: Float64Array;
  readonly askLow: Float64Array;
  readonly askClose: Float64Array;
};

/**
 * `bars` with the ask each bar from `from` on is quoted at (earlier rows are NaN): the
 * bars themselves when they carry their ask; else, as `quoteBar` prices a bid-only bar,
 * its bid plus its spread column, else plus `model`'s spread at its open. For a caller
 * that reads many bars' quotes many times (the random-entry baseline's quiet spans)
 * without a bar event each.
 */
export function quotedBars(
  bars: BarBatch,
  model: SpreadModel,
  from = 0,
): QuotedBars {
  const { askOpen, askHigh, askLow, askClose } = bars;
  if (askOpen && askHigh && askLow && askClose) {
    return { ...bars, askOpen, askHigh, askLow, askClose };
  }
  const n = bars.length;
  const { openUs, bidOpen, bidHigh, bidLow, bidClose, spread } = bars;
  const unquoted = Math.min(from, n);
  const ask = {
    askOpen: new Float64Array(n).fill(NaN, 0, unquoted),
    askHigh: new Float64Array(n).fill(NaN, 0, unquoted),
    askLow: new Float64Array(n).fill(NaN, 0, unquoted),
    askClose: new Float64Array(n).fill(NaN, 0, unquoted),
  };
  for (let i = from; i < n; i++) {
    const add = bidOnlySpread(spread ? spread[i] : null, openUs[i], model)!;
    ask.askOpen[i] = bidOpen[i] + add;
    ask.askHigh[i] = bidHigh[i] + add;
    ask.askLow[i] = bidLow[i] + add;
    ask.askClose[i] = bidClose[i] + add;
  }
  return { ...bars, ...ask };
}

/** Writes row `i` of `bars` into `out`: its quotes, as `quoteBar` gives its bar's. */
export function quoteRow(bars: QuotedBars, i: number, out: Quotes): Quotes {
  out.bidOpen = bars.bidOpen[i];
  out.bidHigh = bars.bidHigh[i];
  out.bidLow = bars.bidLow[i];
  out.bidClose = bars.bidClose[i];
  out.askOpen = bars.askOpen[i];
  out.askHigh = bars.askHigh[i];
  out.askLow = bars.askLow[i];
  out.askClose = bars.askClose[i];
  return out;
}

/** Writes a tick into `out` as a one-price bar. */
export function quoteTick(tick: TickEvent, out: Quotes): Quotes {
  out.bidOpen =
    out.bidHigh =
    out.bidLow =
    out.bidClose =
      tick.bid;
  out.askOpen =
    out.askHigh =
    out.askLow =
    out.askClose =
      tick.ask;
  return out;
}
