/**
 * The ask side of a price: one rule, used by the broker, its tests and anyone checking a
 * fill. A bar's ask OHLC is its ask columns when the data has them (OANDA); else its bid
 * OHLC plus its `spread` column (MT5 export); else its bid OHLC plus the configured spread
 * model (HistData). A tick always has both sides.
 *
 * Quotes are written into a caller-owned `Quotes` object, so the per-bar path allocates
 * nothing.
 */

import { type BarEvent, type TickEvent, US_PER_DAY, US_PER_MINUTE } from "../../pipeline/events.ts";
import { utcToNyLocal } from "../../pipeline/tz.ts";
import type { SpreadWindow } from "./config.ts";

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

/**
 * The spread assumed for bid-only data: `fixed`, or the first New York time-of-day
 * window holding the time asked about.
 */
export class SpreadModel {
  constructor(
    readonly fixed: number,
    readonly windows: readonly SpreadWindow[] = [],
  ) {}

  /** Spread in price units at this UTC instant. */
  spreadAt(utcUs: number): number {
    if (this.windows.length === 0) return this.fixed;
    const local = utcToNyLocal(utcUs);
    const minute = Math.floor(
      (local - Math.floor(local / US_PER_DAY) * US_PER_DAY) / US_PER_MINUTE,
    );
    for (const w of this.windows) {
      const inside = w.fromMinute <= w.toMinute
        ? minute >= w.fromMinute && minute < w.toMinute
        : minute >= w.fromMinute || minute < w.toMinute;
      if (inside) return w.spread;
    }
    return this.fixed;
  }
}

/**
 * Writes `bar`'s bid and ask OHLC into `out`: the ask columns when present; else bid +
 * the bar's spread (one figure for the whole bar, the only one the data gives); else bid +
 * the model's spread at the bar's open.
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
  const spread = bar.spread ?? model.spreadAt(bar.openUs);
  out.askOpen = bid.open + spread;
  out.askHigh = bid.high + spread;
  out.askLow = bid.low + spread;
  out.askClose = bid.close + spread;
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
