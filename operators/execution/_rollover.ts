/**
 * The swap calendar: one rollover per New York weekday (Monday to Friday) at a New York
 * wall-clock time, DST-correct (17:00 New York is 21:00 UTC in summer, 22:00 in winter),
 * and the nights each books: three on the symbol's triple-swap weekday, else one. No
 * rollover falls on Saturday or Sunday; the triple night pays for the weekend.
 */

import { US_PER_DAY, US_PER_MINUTE } from "../../pipeline/events.ts";
import { nyLocalToUtc, utcToNyLocal, weekdayOfDays } from "../../pipeline/tz.ts";

/** The first rollover strictly after `utcUs`, at `minuteNy` minutes past New York midnight. */
export function nextRolloverUs(utcUs: number, minuteNy: number): number {
  for (let day = Math.floor(utcToNyLocal(utcUs) / US_PER_DAY);; day++) {
    const weekday = weekdayOfDays(day);
    if (weekday === 0 || weekday === 6) continue;
    const at = nyLocalToUtc(day * US_PER_DAY + minuteNy * US_PER_MINUTE);
    if (at > utcUs) return at;
  }
}

/**
 * Nights a rollover books: 3 when its UTC weekday is `tripleWeekday` (SymbolSpec's rule),
 * else 1. The config keeps rollovers before 19:00 New York, so the UTC and New York
 * weekdays agree.
 */
export function rolloverNights(rolloverUs: number, tripleWeekday: number): number {
  return weekdayOfDays(Math.floor(rolloverUs / US_PER_DAY)) === tripleWeekday ? 3 : 1;
}
