/**
 * Time-of-day, trading-session and session-clock features, as pure functions of a UTC
 * epoch-microsecond time (pass the bar's `closeUs`: the moment its features are known).
 *
 * Session windows are on each city's own wall clock, so they move with its daylight
 * saving: London 08:00-16:30 (EU rules), New York 08:00-17:00 (US rules), Asia = Tokyo
 * 09:00-18:00 JST (UTC+9, no DST, 00:00-09:00 UTC), each Monday to Friday local. The
 * gold session clock is New York's: a session opens at 18:00 (Sunday to Thursday) and
 * breaks at 17:00 the next day. Built on `pipeline/tz.ts` arithmetic, not `Intl`, which
 * is far too slow per bar. These functions never read a clock and never allocate.
 */

import { US_PER_DAY, US_PER_HOUR, US_PER_MINUTE } from "@/pipeline/events.ts";
import { isEuDst, nyLocalToUtc, utcToNyLocal, weekdayOfDays } from "@/pipeline/tz.ts";

/** The order in which `writeSessionFeatures()` writes its values. */
export const SESSION_FEATURE_NAMES = [
  "hour_sin",
  "hour_cos",
  "weekday_sin",
  "weekday_cos",
  "london",
  "new_york",
  "asia",
  "london_new_york_overlap",
  "minutes_since_session_open",
  "minutes_to_daily_break",
] as const;

export const SESSION_FEATURE_COUNT = SESSION_FEATURE_NAMES.length;

const TWO_PI = 2 * Math.PI;
const SESSION_OPEN_US = 18 * US_PER_HOUR;
const SESSION_LENGTH_US = 23 * US_PER_HOUR;
const TOKYO_OFFSET_US = 9 * US_PER_HOUR;
const WEEKDAY_SIN = Float64Array.from({ length: 7 }, (_, d) => Math.sin(TWO_PI * d / 7));
const WEEKDAY_COS = Float64Array.from({ length: 7 }, (_, d) => Math.cos(TWO_PI * d / 7));

/**
 * Whole days since 1970-01-01 of a time (UTC or a wall clock written as UTC). The `| 0`
 * keeps it a small integer, so the weekday arithmetic stays integer arithmetic.
 */
function daysOf(timeUs: number): number {
  return Math.floor(timeUs / US_PER_DAY) | 0;
}

/** Is this local wall-clock time (as if UTC) on a Monday-Friday in [from, to) minutes? */
function isWeekdayBetween(localUs: number, fromMinute: number, toMinute: number): boolean {
  const days = daysOf(localUs);
  const weekday = weekdayOfDays(days);
  if (weekday === 0 || weekday === 6) return false;
  const minute = (localUs - days * US_PER_DAY) / US_PER_MINUTE;
  return minute >= fromMinute && minute < toMinute;
}

/** Fraction of the UTC day elapsed, as an angle, so 23:59 sits next to 00:00. */
function hourAngle(timeUs: number): number {
  return TWO_PI * (timeUs - daysOf(timeUs) * US_PER_DAY) / US_PER_DAY;
}

export function hourSin(timeUs: number): number {
  return Math.sin(hourAngle(timeUs));
}

export function hourCos(timeUs: number): number {
  return Math.cos(hourAngle(timeUs));
}

/** The UTC weekday (Sunday = 0) on a circle, so Saturday sits next to Sunday. */
export function weekdaySin(timeUs: number): number {
  return WEEKDAY_SIN[weekdayOfDays(daysOf(timeUs))];
}

export function weekdayCos(timeUs: number): number {
  return WEEKDAY_COS[weekdayOfDays(daysOf(timeUs))];
}

/** London 08:00-16:30 local, Monday to Friday, on GMT or BST by EU rules. */
export function isLondonSession(timeUs: number): boolean {
  return isWeekdayBetween(timeUs + (isEuDst(timeUs) ? US_PER_HOUR : 0), 8 * 60, 16 * 60 + 30);
}

/** New York 08:00-17:00 local, Monday to Friday, on EST or EDT by US rules. */
export function isNewYorkSession(timeUs: number): boolean {
  return isWeekdayBetween(utcToNyLocal(timeUs), 8 * 60, 17 * 60);
}

/** Tokyo 09:00-18:00 JST (00:00-09:00 UTC), Monday to Friday in Tokyo. */
export function isAsiaSession(timeUs: number): boolean {
  return isWeekdayBetween(timeUs + TOKYO_OFFSET_US, 9 * 60, 18 * 60);
}

/** Both London and New York are open: the most liquid hours for gold. */
export function isLondonNewYorkOverlap(timeUs: number): boolean {
  return isLondonSession(timeUs) && isNewYorkSession(timeUs);
}

/**
 * New York wall-clock time of the latest session open at or before this instant: 18:00
 * of the same day, or of the last Sunday-to-Thursday before it.
 */
function sessionOpenLocal(timeUs: number): number {
  const local = utcToNyLocal(timeUs);
  let days = daysOf(local);
  if (local - days * US_PER_DAY < SESSION_OPEN_US) days--;
  while (weekdayOfDays(days) >= 5) days--;
  return days * US_PER_DAY + SESSION_OPEN_US;
}

/**
 * Minutes elapsed since the latest session open (18:00 New York, Sunday to Thursday),
 * counted in real time across DST changes. It keeps counting through the daily break
 * and the weekend (past 1380), which no bar of the reference calendar falls in.
 */
export function minutesSinceSessionOpen(timeUs: number): number {
  return (timeUs - nyLocalToUtc(sessionOpenLocal(timeUs))) / US_PER_MINUTE;
}

/**
 * Minutes until the 17:00 New York break that ends the latest session; 0 once it has
 * begun (during the break and the weekend). In session the two clocks add up to 1380.
 */
export function minutesToDailyBreak(timeUs: number): number {
  const remaining = nyLocalToUtc(sessionOpenLocal(timeUs) + SESSION_LENGTH_US) - timeUs;
  return remaining > 0 ? remaining / US_PER_MINUTE : 0;
}

/**
 * Writes the `SESSION_FEATURE_COUNT` features in `SESSION_FEATURE_NAMES` order into
 * `out` from `offset`, flags as 1 or 0, so a feature row is filled without allocation.
 */
export function writeSessionFeatures(timeUs: number, out: Float64Array, offset = 0): void {
  const hour = hourAngle(timeUs);
  const weekday = weekdayOfDays(daysOf(timeUs));
  const london = isLondonSession(timeUs);
  const newYork = isNewYorkSession(timeUs);
  const openLocal = sessionOpenLocal(timeUs);
  const toBreak = nyLocalToUtc(openLocal + SESSION_LENGTH_US) - timeUs;
  out[offset] = Math.sin(hour);
  out[offset + 1] = Math.cos(hour);
  out[offset + 2] = WEEKDAY_SIN[weekday];
  out[offset + 3] = WEEKDAY_COS[weekday];
  out[offset + 4] = london ? 1 : 0;
  out[offset + 5] = newYork ? 1 : 0;
  out[offset + 6] = isAsiaSession(timeUs) ? 1 : 0;
  out[offset + 7] = london && newYork ? 1 : 0;
  out[offset + 8] = (timeUs - nyLocalToUtc(openLocal)) / US_PER_MINUTE;
  out[offset + 9] = toBreak > 0 ? toBreak / US_PER_MINUTE : 0;
}
