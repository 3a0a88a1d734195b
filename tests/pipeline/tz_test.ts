import assert from "node:assert/strict";
import fc from "fast-check";
import { US_PER_DAY, US_PER_HOUR, US_PER_MINUTE } from "@/pipeline/events.ts";
import {
  daysFromCivil,
  isEuDst,
  isUsDst,
  nyLocalToUtc,
  nyOffsetUs,
  utcToNyLocal,
  wallClockToUtc,
  weekdayOfDays,
} from "@/pipeline/tz.ts";

// The reference is the platform's IANA time-zone database, through Intl: an outside
// oracle for every rule in tz.ts (US 2007+ and 1987-2006 rules, EU rule).

const YEARS = [2006, 2007, 2017, 2018, 2023, 2026] as const;

function wallClock(timeZone: string): (utcUs: number) => number {
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  });
  return (utcUs) => {
    const p: Record<string, number> = {};
    for (const part of format.formatToParts(new Date(utcUs / 1000))) p[part.type] = +part.value;
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) * 1000;
  };
}

/** Intl's wall clock in each zone, written as if it were UTC, in µs (to the second). */
const newYork = wallClock("America/New_York");
const london = wallClock("Europe/London");
const berlin = wallClock("Europe/Berlin");

/** The zone's offset from UTC at `u` by Intl, exact for any µs (offsets change on the second). */
function offsetOf(zone: (utcUs: number) => number, u: number): number {
  const second = Math.floor(u / 1_000_000) * 1_000_000;
  return zone(second) - second;
}

function utcUs(year: number, month = 1, day = 1, hour = 0, minute = 0): number {
  return Date.UTC(year, month - 1, day, hour, minute) * 1000;
}

/** Every hour of a calendar year (UTC). */
function* hoursOf(year: number): Generator<number> {
  for (let t = utcUs(year); t < utcUs(year + 1); t += US_PER_HOUR) yield t;
}

const transitionCache = new Map<string, number[]>();

/** The instants where `zone`'s offset changes in `year`, found by Intl alone. */
function transitions(zone: (utcUs: number) => number, year: number): number[] {
  const key = `${zone === newYork ? "ny" : "eu"}-${year}`;
  const cached = transitionCache.get(key);
  if (cached) return cached;
  const found: number[] = [];
  let prev = zone(utcUs(year)) - utcUs(year);
  for (const t of hoursOf(year)) {
    const offset = zone(t) - t;
    if (offset !== prev) found.push(t);
    prev = offset;
  }
  transitionCache.set(key, found);
  return found;
}

/** Every minute within three hours either side of each NY and EU change of `year`. */
function* minutesAroundTransitions(year: number): Generator<number> {
  for (const at of [...transitions(newYork, year), ...transitions(london, year)]) {
    for (let t = at - 3 * US_PER_HOUR; t < at + 3 * US_PER_HOUR; t += US_PER_MINUTE) yield t;
  }
}

Deno.test("Intl finds two New York and two EU changes in every tested year", async (t) => {
  for (const year of YEARS) {
    await t.step(`${year}`, () => {
      assert.equal(transitions(newYork, year).length, 2);
      assert.equal(transitions(london, year).length, 2);
    });
  }
});

Deno.test("isUsDst() and nyOffsetUs() agree with Intl America/New_York at every hour of the year", async (t) => {
  for (const year of YEARS) {
    await t.step(`${year}`, () => {
      for (const u of hoursOf(year)) {
        const offset = newYork(u) - u;
        assert.equal(nyOffsetUs(u), offset, `nyOffsetUs at ${new Date(u / 1000).toISOString()}`);
        assert.equal(isUsDst(u), offset === -4 * US_PER_HOUR);
      }
    });
  }
});

Deno.test("isEuDst() agrees with Intl Europe/London and Europe/Berlin at every hour of the year", async (t) => {
  for (const year of YEARS) {
    await t.step(`${year}`, () => {
      for (const u of hoursOf(year)) {
        const at = new Date(u / 1000).toISOString();
        assert.equal(isEuDst(u), london(u) - u === US_PER_HOUR, `London at ${at}`);
        assert.equal(isEuDst(u), berlin(u) - u === 2 * US_PER_HOUR, `Berlin at ${at}`);
      }
    });
  }
});

Deno.test("utcToNyLocal() equals Intl's New York wall clock at every hour of the year", async (t) => {
  for (const year of YEARS) {
    await t.step(`${year}`, () => {
      for (const u of hoursOf(year)) assert.equal(utcToNyLocal(u), newYork(u));
    });
  }
});

Deno.test("isUsDst(), isEuDst() and utcToNyLocal() agree with Intl minute by minute around each change", async (t) => {
  for (const year of YEARS) {
    await t.step(`${year}`, () => {
      for (const u of minutesAroundTransitions(year)) {
        const at = new Date(u / 1000).toISOString();
        assert.equal(utcToNyLocal(u), newYork(u), `utcToNyLocal at ${at}`);
        assert.equal(isUsDst(u), newYork(u) - u === -4 * US_PER_HOUR, `isUsDst at ${at}`);
        assert.equal(isEuDst(u), london(u) - u === US_PER_HOUR, `isEuDst at ${at}`);
      }
    });
  }
});

Deno.test("isUsDst() and isEuDst() answer alike whichever year was asked before (year cache)", () => {
  const instants = YEARS.flatMap((year) => [
    ...transitions(newYork, year).flatMap((t) => [t - 1, t]),
    ...transitions(london, year).flatMap((t) => [t - 1, t]),
  ]);
  // Alternate between the first and last years so every call changes the cached year.
  for (let i = 0; i < instants.length; i++) {
    for (const u of [instants[i], instants[instants.length - 1 - i]]) {
      assert.equal(isUsDst(u), offsetOf(newYork, u) === -4 * US_PER_HOUR);
      assert.equal(isEuDst(u), offsetOf(london, u) === US_PER_HOUR);
    }
  }
});

/** The repeated New York hour on the fall-back Sunday: its second pass, [change, change + 1 h). */
function secondPassOfFallBack(year: number): (u: number) => boolean {
  const fallBack = transitions(newYork, year)[1];
  return (u) => u >= fallBack && u < fallBack + US_PER_HOUR;
}

Deno.test("nyLocalToUtc(utcToNyLocal(t)) === t outside the fall-back ambiguous hour", async (t) => {
  for (const year of YEARS) {
    await t.step(`${year}, every hour and every minute around the changes`, () => {
      const inSecondPassOfFallBack = secondPassOfFallBack(year);
      for (const u of [...hoursOf(year), ...minutesAroundTransitions(year)]) {
        if (inSecondPassOfFallBack(u)) continue;
        assert.equal(nyLocalToUtc(utcToNyLocal(u)), u, new Date(u / 1000).toISOString());
      }
    });
  }
});

Deno.test("nyLocalToUtc() reads the repeated fall-back hour as its first (daylight) pass", async (t) => {
  for (const year of YEARS) {
    await t.step(`${year}`, () => {
      const fallBack = transitions(newYork, year)[1];
      for (let u = fallBack; u < fallBack + US_PER_HOUR; u += US_PER_MINUTE) {
        assert.equal(nyLocalToUtc(utcToNyLocal(u)), u - US_PER_HOUR);
      }
    });
  }
});

Deno.test("nyLocalToUtc() reads a skipped spring-forward wall time with the standard offset", async (t) => {
  const cases = [
    // 02:30 does not exist in New York on these days; read as EST it is 07:30 UTC, the
    // same instant Temporal's "compatible" disambiguation gives (03:30 EDT).
    { local: utcUs(2006, 4, 2, 2, 30), utc: utcUs(2006, 4, 2, 7, 30) },
    { local: utcUs(2023, 3, 12, 2, 30), utc: utcUs(2023, 3, 12, 7, 30) },
    { local: utcUs(2026, 3, 8, 2, 0), utc: utcUs(2026, 3, 8, 7, 0) },
  ];
  for (const { local, utc } of cases) {
    await t.step(new Date(local / 1000).toISOString().slice(0, 16), () => {
      assert.equal(nyLocalToUtc(local), utc);
    });
  }
});

Deno.test("wallClockToUtc() with a fixed rule subtracts the offset in force", () => {
  const summer = (u: number) => u >= utcUs(2026, 3, 8, 7);
  const twoOrThree = (local: number) =>
    wallClockToUtc(local, 2 * US_PER_HOUR, 3 * US_PER_HOUR, summer);
  assert.equal(twoOrThree(utcUs(2026, 3, 1, 12)), utcUs(2026, 3, 1, 10));
  assert.equal(twoOrThree(utcUs(2026, 4, 1, 12)), utcUs(2026, 4, 1, 9));
});

/** Days since the epoch by the platform's own proleptic Gregorian calendar (any year). */
function referenceDays(year: number, month: number, day: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // unlike Date.UTC, no 1900 offset for years 0-99
  return date.getTime() / (US_PER_DAY / 1000);
}

const civilDate = fc.record({
  year: fc.integer({ min: -20_000, max: 20_000 }),
  month: fc.integer({ min: 1, max: 12 }),
  day: fc.integer({ min: 1, max: 31 }),
}).filter(({ year, month, day }) =>
  day <= new Date(Date.UTC(2000, month, 0)).getUTCDate() &&
  (month !== 2 || day < 29 || referenceDays(year, 3, 1) - referenceDays(year, 2, 1) === 29)
);

Deno.test("daysFromCivil() equals the days Date.UTC counts for any proleptic Gregorian date", () => {
  fc.assert(
    fc.property(civilDate, ({ year, month, day }) => {
      assert.equal(daysFromCivil(year, month, day), referenceDays(year, month, day));
    }),
    { numRuns: 5000 },
  );
  assert.equal(daysFromCivil(1970, 1, 1), 0);
  assert.equal(daysFromCivil(2000, 3, 1), Date.UTC(2000, 2, 1) / (US_PER_DAY / 1000));
  assert.equal(daysFromCivil(1969, 12, 31), -1);
});

Deno.test("weekdayOfDays() equals Date.getUTCDay() for any day since or before the epoch", () => {
  fc.assert(
    fc.property(fc.integer({ min: -100_000_000, max: 100_000_000 }), (days) => {
      assert.equal(weekdayOfDays(days), new Date(days * (US_PER_DAY / 1000)).getUTCDay());
    }),
    { numRuns: 5000 },
  );
});
