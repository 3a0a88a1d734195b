/**
 * Holes in a bar stream: each time a bar opens after the previous one closed, the hole
 * is measured in missing session minutes and put in a category, and a summary keeps the
 * counts. Holes without missing session minutes (the daily break, a broker's own pause)
 * are counted as breaks, not reported, except across a weekend.
 * It must never fill a hole or invent a bar: gaps are reported, downstream decides.
 */

import { type GapCategory, isoFromUs, US_PER_DAY } from "../../pipeline/events.ts";
import { sessionMinutesBetween } from "../../pipeline/session.ts";
import { utcToNyLocal, weekdayOfDays } from "../../pipeline/tz.ts";
import type { BarBatch } from "../../sources/source.ts";

/** A hole of at least this many missing session minutes is a holiday (an early close, a closed day). */
export const HOLIDAY_MIN_MISSING_MINUTES = 120;

/**
 * More than this is an outage, not a holiday: the longest gold holiday closure (Christmas
 * Eve's early close then Christmas Day) misses about one 23 h session day plus 4 h.
 */
export const HOLIDAY_MAX_MISSING_MINUTES = 2 * 23 * 60;

/** One hole: from the previous bar's close to the next bar's open. */
export interface Gap {
  readonly fromUs: number;
  readonly toUs: number;
  readonly missingSessionMinutes: number;
  readonly category: GapCategory;
}

export interface GapTotals {
  readonly count: number;
  readonly missingSessionMinutes: number;
}

export interface GapSummary {
  /** Reported gaps by category. */
  readonly byCategory: Readonly<Record<GapCategory, GapTotals>>;
  /** Holes with no missing session minutes outside weekends: daily breaks, broker pauses. */
  readonly breaks: number;
  /** The gap missing the most session minutes (the earliest of equals), or null. */
  readonly largest: Gap | null;
}

/** Does the hole cover a whole New York Saturday, when gold never trades? */
function coversWeekend(fromUs: number, toUs: number): boolean {
  const localFrom = utcToNyLocal(fromUs);
  let day = Math.ceil(localFrom / US_PER_DAY);
  day += (6 - weekdayOfDays(day) + 7) % 7;
  return (day + 1) * US_PER_DAY <= utcToNyLocal(toUs);
}

/**
 * - `weekend`: the hole covers the weekend closure (a whole New York Saturday, whatever
 *   a broker's exact Friday close and Sunday open) and misses under 120 session minutes.
 * - `holiday`: it misses 120 to 2,760 session minutes, weekend or not: an early close, a
 *   closed day, a long weekend (Good Friday, Christmas on a Monday).
 * - `outage`: it misses more than 2,760 session minutes, two whole sessions or more: too
 *   long for any holiday (a feed down for days, a missing week, a mistyped year).
 * - `missing`: a short hole inside the session, under 120 session minutes.
 */
export function gapCategory(
  fromUs: number,
  toUs: number,
  missingSessionMinutes: number,
): GapCategory {
  if (missingSessionMinutes > HOLIDAY_MAX_MISSING_MINUTES) return "outage";
  if (missingSessionMinutes >= HOLIDAY_MIN_MISSING_MINUTES) return "holiday";
  return coversWeekend(fromUs, toUs) ? "weekend" : "missing";
}

/**
 * Watches consecutive bars for holes. Per bar it costs one comparison; the session count
 * (constant time whatever the hole's length) and the `Gap` object are made only when there
 * is a hole.
 */
export class GapDetector {
  private prevCloseUs = NaN;
  private breaks = 0;
  private largest: Gap | null = null;
  private readonly totals: Record<GapCategory, { count: number; missingSessionMinutes: number }> = {
    weekend: { count: 0, missingSessionMinutes: 0 },
    holiday: { count: 0, missingSessionMinutes: 0 },
    missing: { count: 0, missingSessionMinutes: 0 },
    outage: { count: 0, missingSessionMinutes: 0 },
  };

  /**
   * Takes the next bar's times; returns the gap before it, or null. Throws a RangeError
   * for a bar opening before the previous one closed (overlapping or out-of-order data).
   */
  update(openUs: number, closeUs: number): Gap | null {
    const fromUs = this.prevCloseUs;
    if (openUs < fromUs) {
      throw new RangeError(
        `Cannot check the bar opening at ${isoFromUs(openUs)} for gaps: it opens before ` +
          `the previous bar's close ${isoFromUs(fromUs)}`,
      );
    }
    this.prevCloseUs = closeUs;
    if (!(openUs > fromUs)) return null;
    const missing = sessionMinutesBetween(fromUs, openUs);
    const category = gapCategory(fromUs, openUs, missing);
    if (missing === 0 && category !== "weekend") {
      this.breaks++;
      return null;
    }
    const gap: Gap = { fromUs, toUs: openUs, missingSessionMinutes: missing, category };
    const totals = this.totals[category];
    totals.count++;
    totals.missingSessionMinutes += missing;
    if (this.largest === null || missing > this.largest.missingSessionMinutes) this.largest = gap;
    return gap;
  }

  /** The counts so far (a copy). */
  summary(): GapSummary {
    const copy = (t: GapTotals): GapTotals => ({ ...t });
    return {
      byCategory: {
        weekend: copy(this.totals.weekend),
        holiday: copy(this.totals.holiday),
        missing: copy(this.totals.missing),
        outage: copy(this.totals.outage),
      },
      breaks: this.breaks,
      largest: this.largest,
    };
  }
}

/** Runs a whole bar batch through `detector` and returns the gaps found in it. */
export function detectGapsInBatch(batch: BarBatch, detector: GapDetector): Gap[] {
  const gaps: Gap[] = [];
  for (let i = 0; i < batch.length; i++) {
    const gap = detector.update(batch.openUs[i], batch.closeUs[i]);
    if (gap !== null) gaps.push(gap);
  }
  return gaps;
}
