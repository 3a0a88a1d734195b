/**
 * Session and time features against `Intl.DateTimeFormat` (the platform's tz database),
 * every half hour of 2017, 2018 and 2023 and the minute before each, so that each
 * session boundary and every DST change in London and New York is crossed.
 */

import { strictEqual } from "node:assert";
import { US_PER_MINUTE, usFromIso } from "@/pipeline/events.ts";
import {
  hourCos,
  hourSin,
  isAsiaSession,
  isLondonNewYorkOverlap,
  isLondonSession,
  isNewYorkSession,
  minutesSinceSessionOpen,
  minutesToDailyBreak,
  SESSION_FEATURE_COUNT,
  SESSION_FEATURE_NAMES,
  weekdayCos,
  weekdaySin,
  writeSessionFeatures,
} from "@/operators/indicators/mod.ts";

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

interface LocalTime {
  /** 0 = Sunday. */
  readonly weekday: number;
  readonly minute: number;
}

function localClock(timeZone: string): (timeUs: number) => LocalTime {
  const format = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    weekday: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });
  return (timeUs) => {
    const parts = format.formatToParts(new Date(timeUs / 1000));
    const part = (type: string) => parts.find((p) => p.type === type)!.value;
    return {
      weekday: WEEKDAYS.indexOf(part("weekday")),
      minute: Number(part("hour")) * 60 + Number(part("minute")),
    };
  };
}

const london = localClock("Europe/London");
const newYork = localClock("America/New_York");
const tokyo = localClock("Asia/Tokyo");

function weekdayBetween(local: LocalTime, from: number, to: number): boolean {
  return local.weekday >= 1 && local.weekday <= 5 && local.minute >= from && local.minute < to;
}

/** Every half hour of the year in UTC, and the minute before each. */
function instantsOf(year: number): number[] {
  const start = usFromIso(`${year}-01-01`);
  const end = usFromIso(`${year + 1}-01-01`);
  const instants: number[] = [];
  for (let t = start; t < end; t += 30 * US_PER_MINUTE) instants.push(t - US_PER_MINUTE, t);
  return instants;
}

const YEARS = [2017, 2018, 2023];

for (const year of YEARS) {
  Deno.test(`Session flags agree with Intl's London, New York and Tokyo clocks through ${year}`, () => {
    for (const t of instantsOf(year)) {
      const at = new Date(t / 1000).toISOString();
      const inLondon = weekdayBetween(london(t), 8 * 60, 16 * 60 + 30);
      const inNewYork = weekdayBetween(newYork(t), 8 * 60, 17 * 60);
      strictEqual(isLondonSession(t), inLondon, `London at ${at}`);
      strictEqual(isNewYorkSession(t), inNewYork, `New York at ${at}`);
      strictEqual(isAsiaSession(t), weekdayBetween(tokyo(t), 9 * 60, 18 * 60), `Asia at ${at}`);
      strictEqual(isLondonNewYorkOverlap(t), inLondon && inNewYork, `overlap at ${at}`);
    }
  });

  Deno.test(`Session clocks agree with Intl's New York clock through ${year}`, () => {
    for (const t of instantsOf(year)) {
      const at = new Date(t / 1000).toISOString();
      const { weekday, minute } = newYork(t);
      const inSession = weekday === 0
        ? minute >= 18 * 60
        : weekday === 5
        ? minute < 17 * 60
        : weekday !== 6 && (minute < 17 * 60 || minute >= 18 * 60);
      if (inSession) {
        const since = minute >= 18 * 60 ? minute - 18 * 60 : minute + 6 * 60;
        strictEqual(minutesSinceSessionOpen(t), since, `since open at ${at}`);
        strictEqual(minutesToDailyBreak(t), 23 * 60 - since, `to break at ${at}`);
      } else {
        strictEqual(minutesSinceSessionOpen(t) >= 23 * 60, true, `since open at ${at}`);
        strictEqual(minutesToDailyBreak(t), 0, `to break at ${at}`);
      }
    }
  });

  Deno.test(`minutesSinceSessionOpen() counts real minutes, restarting only at an open, through ${year}`, () => {
    const instants = instantsOf(year);
    for (let i = 1; i < instants.length; i++) {
      const step = (instants[i] - instants[i - 1]) / US_PER_MINUTE;
      const before = minutesSinceSessionOpen(instants[i - 1]);
      const after = minutesSinceSessionOpen(instants[i]);
      if (after !== before + step) {
        strictEqual(
          after < step,
          true,
          `jump from ${before} to ${after} at ${new Date(instants[i] / 1000).toISOString()}`,
        );
      }
    }
  });

  Deno.test(`Hour and weekday features follow the UTC clock around the circle through ${year}`, () => {
    for (const t of instantsOf(year)) {
      const date = new Date(t / 1000);
      const hour = 2 * Math.PI * (date.getUTCHours() * 60 + date.getUTCMinutes()) / 1440;
      const weekday = 2 * Math.PI * date.getUTCDay() / 7;
      strictEqual(Math.abs(hourSin(t) - Math.sin(hour)) < 1e-12, true);
      strictEqual(Math.abs(hourCos(t) - Math.cos(hour)) < 1e-12, true);
      strictEqual(Math.abs(weekdaySin(t) - Math.sin(weekday)) < 1e-12, true);
      strictEqual(Math.abs(weekdayCos(t) - Math.cos(weekday)) < 1e-12, true);
    }
  });
}

Deno.test("minutesSinceSessionOpen() counts the weekend in real time across the US DST change", async (t) => {
  const cases: [string, string, number][] = [
    ["Monday 10:00 EST", "2017-01-02T15:00:00Z", 16 * 60],
    ["Saturday 12:00 EST, since Thursday 18:00", "2017-01-07T17:00:00Z", 42 * 60],
    [
      "Sunday 12:00 EDT after spring forward, since Thursday 18:00 EST",
      "2017-03-12T16:00:00Z",
      65 * 60,
    ],
    ["Sunday 18:00 EDT, the open", "2017-03-12T22:00:00Z", 0],
    [
      "Sunday 17:59 EST after fall back, since Thursday 18:00 EDT",
      "2017-11-05T22:59:00Z",
      73 * 60 - 1,
    ],
  ];
  for (const [name, iso, minutes] of cases) {
    await t.step(name, () => strictEqual(minutesSinceSessionOpen(usFromIso(iso)), minutes));
  }
});

Deno.test("writeSessionFeatures() writes the individual features in SESSION_FEATURE_NAMES order", () => {
  strictEqual(SESSION_FEATURE_COUNT, SESSION_FEATURE_NAMES.length);
  const out = new Float64Array(SESSION_FEATURE_COUNT + 3).fill(-7);
  for (const t of instantsOf(2023)) {
    writeSessionFeatures(t, out, 2);
    const expected = [
      hourSin(t),
      hourCos(t),
      weekdaySin(t),
      weekdayCos(t),
      isLondonSession(t) ? 1 : 0,
      isNewYorkSession(t) ? 1 : 0,
      isAsiaSession(t) ? 1 : 0,
      isLondonNewYorkOverlap(t) ? 1 : 0,
      minutesSinceSessionOpen(t),
      minutesToDailyBreak(t),
    ];
    expected.forEach((value, i) =>
      strictEqual(out[2 + i], value, `${SESSION_FEATURE_NAMES[i]} at ${t}`)
    );
    strictEqual(out[0], -7);
    strictEqual(out[1], -7);
    strictEqual(out[SESSION_FEATURE_COUNT + 2], -7);
  }
});
