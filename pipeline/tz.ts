/**
 * Daylight-saving rules and wall-clock <-> UTC conversion for the zones gold data uses:
 * New York (the market's clock), the EU (HistData's quirk) and broker server time.
 *
 * Pure arithmetic on epoch microseconds with a per-year cache, because sources convert
 * every row: `Intl` is correct but two orders of magnitude slower. Tests check these
 * rules against `Intl` for every day of many years. This module must never read a clock.
 */

import { US_PER_DAY, US_PER_HOUR } from "./events.ts";

/** Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** 0 = Sunday ... 6 = Saturday. */
export function weekdayOfDays(days: number): number {
  return ((days % 7) + 11) % 7;
}

function nthSunday(year: number, month: number, n: number): number {
  const first = daysFromCivil(year, month, 1);
  return first + ((7 - weekdayOfDays(first)) % 7) + 7 * (n - 1);
}

function lastSunday(year: number, month: number): number {
  const last = daysFromCivil(year, month + 1, 1) - 1;
  return last - weekdayOfDays(last);
}

interface YearRules {
  readonly startUs: number;
  readonly endUs: number;
  /** US DST: [usStart, usEnd) in UTC. */
  readonly usStart: number;
  readonly usEnd: number;
  /** EU summer time: [euStart, euEnd) in UTC. */
  readonly euStart: number;
  readonly euEnd: number;
}

function rulesFor(year: number): YearRules {
  const day = (d: number, hourUtc: number) => d * US_PER_DAY + hourUtc * US_PER_HOUR;
  // US: 2 a.m. local; since 2007 second Sunday of March to first Sunday of November,
  // 1987-2006 first Sunday of April to last Sunday of October.
  const usStart = year >= 2007 ? day(nthSunday(year, 3, 2), 7) : day(nthSunday(year, 4, 1), 7);
  const usEnd = year >= 2007 ? day(nthSunday(year, 11, 1), 6) : day(lastSunday(year, 10), 6);
  // EU: 01:00 UTC, last Sunday of March to last Sunday of October (since 1996).
  const euStart = day(lastSunday(year, 3), 1);
  const euEnd = day(lastSunday(year, 10), 1);
  return {
    startUs: daysFromCivil(year, 1, 1) * US_PER_DAY,
    endUs: daysFromCivil(year + 1, 1, 1) * US_PER_DAY,
    usStart,
    usEnd,
    euStart,
    euEnd,
  };
}

let cached: YearRules = rulesFor(2000);

function rulesAt(utcUs: number): YearRules {
  if (utcUs >= cached.startUs && utcUs < cached.endUs) return cached;
  cached = rulesFor(new Date(Math.floor(utcUs / 1000)).getUTCFullYear());
  return cached;
}

/** Is US daylight saving time in force at this UTC instant? */
export function isUsDst(utcUs: number): boolean {
  const r = rulesAt(utcUs);
  return utcUs >= r.usStart && utcUs < r.usEnd;
}

/** Is EU summer time in force at this UTC instant? */
export function isEuDst(utcUs: number): boolean {
  const r = rulesAt(utcUs);
  return utcUs >= r.euStart && utcUs < r.euEnd;
}

/** New York's offset from UTC at this instant: -5 h (EST) or -4 h (EDT), in µs. */
export function nyOffsetUs(utcUs: number): number {
  return isUsDst(utcUs) ? -4 * US_PER_HOUR : -5 * US_PER_HOUR;
}

/** New York wall-clock time, written as if it were UTC, for this instant. */
export function utcToNyLocal(utcUs: number): number {
  return utcUs + nyOffsetUs(utcUs);
}

/**
 * A zone with a standard and a summer offset and a rule saying when summer applies.
 * Wall-clock times inside the spring-forward hour do not exist and are read with the
 * standard offset; times inside the fall-back hour are read as the first (summer) one.
 * Gold does not trade at either (both fall on a Sunday morning).
 */
export function wallClockToUtc(
  localUs: number,
  standardOffsetUs: number,
  summerOffsetUs: number,
  isSummer: (utcUs: number) => boolean,
): number {
  const summer = localUs - summerOffsetUs;
  return isSummer(summer) ? summer : localUs - standardOffsetUs;
}

/** New York wall clock (as if UTC) to the UTC instant. */
export function nyLocalToUtc(localUs: number): number {
  return wallClockToUtc(localUs, -5 * US_PER_HOUR, -4 * US_PER_HOUR, isUsDst);
}
