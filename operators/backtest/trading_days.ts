/**
 * Gold's trading day on New York's clock: a day ends at the 17:00 New York close (EST or
 * EDT, whichever is in force), so the evening session from 18:00 belongs to the next
 * date. Daily returns are measured close to close on these days, like a broker's
 * daily statement, and never depend on how densely the equity curve was sampled.
 */

import { US_PER_DAY, US_PER_HOUR } from "../../pipeline/events.ts";
import { nyLocalToUtc, utcToNyLocal, weekdayOfDays } from "../../pipeline/tz.ts";

const CLOSE_US = 17 * US_PER_HOUR;

/**
 * The trading day holding this instant, as days since 1970-01-01 of the New York date
 * whose 17:00 close ends it. An instant exactly at 17:00 belongs to the day it closes.
 */
export function tradingDayOf(timeUs: number): number {
  const local = utcToNyLocal(timeUs);
  const days = Math.floor(local / US_PER_DAY);
  return local - days * US_PER_DAY > CLOSE_US ? days + 1 : days;
}

/** The UTC instant of a trading day's 17:00 New York close. */
export function tradingDayCloseUs(day: number): number {
  return nyLocalToUtc(day * US_PER_DAY + CLOSE_US);
}

/** Closing equity of each weekday trading day, in order. */
export interface DailyCloses {
  readonly closeUs: readonly number[];
  readonly equity: readonly number[];
}

/**
 * The equity at each Monday-to-Friday trading day's close from `startUs` to `endUs`: the
 * last sample at or before the close (or `endUs` for a day cut short), else
 * `initialEquity`. Days without a sample repeat the last value, so a quiet day is a zero
 * return rather than a missing one. `times` must be ascending.
 */
export function dailyCloses(
  times: ArrayLike<number>,
  equity: ArrayLike<number>,
  initialEquity: number,
  startUs: number,
  endUs: number,
): DailyCloses {
  const closeUs: number[] = [];
  const closes: number[] = [];
  let next = 0;
  let value = initialEquity;
  for (let day = tradingDayOf(startUs); day <= tradingDayOf(endUs); day++) {
    const weekday = weekdayOfDays(day);
    if (weekday === 0 || weekday === 6) continue;
    const cutoff = Math.min(tradingDayCloseUs(day), endUs);
    while (next < times.length && times[next] <= cutoff) value = equity[next++];
    closeUs.push(cutoff);
    closes.push(value);
  }
  return { closeUs, equity: closes };
}
