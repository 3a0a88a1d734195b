/**
 * The gold trading session on New York's clock: the week opens Sunday 18:00 and closes
 * Friday 17:00, with a daily break from 17:00 to 18:00. Brokers' exact hours differ by
 * minutes (OANDA pauses 17:15-18:00, MT5 servers 16:57-18:00), so this is the reference
 * calendar for counting missing minutes and for session features, not a broker's truth.
 * This module must never read a clock: time is always an argument.
 */

import { US_PER_DAY, US_PER_MINUTE } from "./events.ts";
import { utcToNyLocal, weekdayOfDays } from "./tz.ts";

const BREAK_START_MINUTE = 17 * 60;
const BREAK_END_MINUTE = 18 * 60;

/** Is the market open at this UTC instant, by the New York session calendar? */
export function isInSession(utcUs: number): boolean {
  const local = utcToNyLocal(utcUs);
  const days = Math.floor(local / US_PER_DAY);
  const minute = Math.floor((local - days * US_PER_DAY) / US_PER_MINUTE);
  if (minute >= BREAK_START_MINUTE && minute < BREAK_END_MINUTE) return false;
  switch (weekdayOfDays(days)) {
    case 6:
      return false;
    case 0:
      return minute >= BREAK_END_MINUTE;
    case 5:
      return minute < BREAK_START_MINUTE;
    default:
      return true;
  }
}

/** Counts the in-session minutes in [fromUs, toUs), minute by minute (gaps are short). */
export function sessionMinutesBetween(fromUs: number, toUs: number): number {
  let count = 0;
  for (let t = Math.ceil(fromUs / US_PER_MINUTE) * US_PER_MINUTE; t < toUs; t += US_PER_MINUTE) {
    if (isInSession(t)) count++;
  }
  return count;
}
