/**
 * Wall-clock arithmetic for the risk windows: local time of day and weekday in the three
 * zones a gold trader's calendar uses, and the 17:00 New York trading day. Built on
 * `pipeline/tz.ts`, so daylight saving follows the US and EU rules exactly (London keeps
 * EU summer time). Private to the risk folder; it must never read a clock.
 */

import { US_PER_DAY, US_PER_HOUR, US_PER_MINUTE } from "../../pipeline/events.ts";
import { isEuDst, nyLocalToUtc, utcToNyLocal, weekdayOfDays } from "../../pipeline/tz.ts";

export const TIME_ZONES = ["UTC", "Europe/London", "America/New_York"] as const;
export type TimeZoneName = typeof TIME_ZONES[number];

export const WEEKDAYS = [
  "sunday",
  "monday",
  "tuesday",
  "wednesday",
  "thursday",
  "friday",
  "saturday",
] as const;
export type WeekdayName = typeof WEEKDAYS[number];

/** Wall-clock time in `zone`, written as if it were UTC. */
export function localUs(utcUs: number, zone: TimeZoneName): number {
  switch (zone) {
    case "UTC":
      return utcUs;
    case "Europe/London":
      return utcUs + (isEuDst(utcUs) ? US_PER_HOUR : 0);
    case "America/New_York":
      return utcToNyLocal(utcUs);
  }
}

/** Minutes since local midnight, 0 to 1439. */
export function minuteOfDay(local: number): number {
  const days = Math.floor(local / US_PER_DAY);
  return Math.floor((local - days * US_PER_DAY) / US_PER_MINUTE);
}

/** 0 = Sunday ... 6 = Saturday, of a local time. */
export function weekdayOf(local: number): number {
  return weekdayOfDays(Math.floor(local / US_PER_DAY));
}

/** Minutes since midnight for "HH:MM" (config strings are validated; "24:00" is 1440). */
export function clockMinutes(text: string): number {
  return Number(text.slice(0, 2)) * 60 + Number(text.slice(3, 5));
}

/** Is `minute` inside [start, end)? A window whose end is before its start wraps midnight. */
export function inWindow(minute: number, start: number, end: number): boolean {
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

const ROLL_US = 17 * US_PER_HOUR;

/**
 * The gold trading day of an instant: days since 1970-01-01 of the New York date on which
 * it began at 17:00 (so Tuesday 16:59 New York is Monday's day, 17:00 starts Tuesday's).
 */
export function tradingDayOf(utcUs: number): number {
  return Math.floor((utcToNyLocal(utcUs) - ROLL_US) / US_PER_DAY);
}

/** The UTC instant a trading day began: 17:00 New York on its date. */
export function tradingDayStartUs(day: number): number {
  return nyLocalToUtc(day * US_PER_DAY + ROLL_US);
}
