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

/** In-session minutes of each New York weekday, Sunday first: 360 + 4 x 1,380 + 1,020 = 6,900. */
const MINUTES_PER_DAY = 24 * 60;
const WEEK_MINUTES = 7 * MINUTES_PER_DAY;
const SESSION_MINUTES_BEFORE_DAY = [0, 360, 1_740, 3_120, 4_500, 5_880, 6_900];
const SESSION_MINUTES_PER_WEEK = 6_900;
/** 1970-01-01 (local day 0) was a Thursday: day 0 is 4 days after a Sunday. */
const EPOCH_WEEKDAY = 4;

/**
 * In-session minutes that start before the New York wall-clock time `localUs` (as if
 * UTC), counted from the Sunday that begins epoch week 0: whole weeks times 6,900, whole
 * days of this week from the table, then the day's own minutes.
 */
function sessionMinutesBefore(localUs: number): number {
  const minutes = Math.ceil(localUs / US_PER_MINUTE) + EPOCH_WEEKDAY * MINUTES_PER_DAY;
  const weeks = Math.floor(minutes / WEEK_MINUTES);
  const inWeek = minutes - weeks * WEEK_MINUTES;
  const weekday = Math.floor(inWeek / MINUTES_PER_DAY);
  const minute = inWeek - weekday * MINUTES_PER_DAY;
  let today = 0;
  if (weekday === 0) today = Math.max(0, minute - BREAK_END_MINUTE);
  else if (weekday <= 4) {
    today = Math.min(minute, BREAK_START_MINUTE) + Math.max(0, minute - BREAK_END_MINUTE);
  } else if (weekday === 5) today = Math.min(minute, BREAK_START_MINUTE);
  return weeks * SESSION_MINUTES_PER_WEEK + SESSION_MINUTES_BEFORE_DAY[weekday] + today;
}

/**
 * Counts the in-session minutes starting in [fromUs, toUs), in constant time whatever
 * the span (a mistyped year makes a 900-year hole). The daylight-saving changes fall on
 * Sunday mornings, when the market is closed, so the session's minutes are the same on
 * New York's wall clock as in UTC and the count is taken on the wall clock.
 */
export function sessionMinutesBetween(fromUs: number, toUs: number): number {
  if (!(toUs > fromUs)) return 0;
  return Math.max(
    0,
    sessionMinutesBefore(utcToNyLocal(toUs)) - sessionMinutesBefore(utcToNyLocal(fromUs)),
  );
}
