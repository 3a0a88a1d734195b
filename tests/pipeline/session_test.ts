import assert from "node:assert/strict";
import fc from "fast-check";
import { US_PER_DAY, US_PER_MINUTE, usFromIso } from "@/pipeline/events.ts";
import { isInSession, sessionMinutesBetween } from "@/pipeline/session.ts";

// Expected values are worked out by hand from the calendar (Sun 18:00 -> Fri 17:00 New
// York, break 17:00-18:00) and the New York offset of the date: EST = UTC-5, EDT = UTC-4.

Deno.test("isInSession() at known instants, in winter (EST) and summer (EDT)", async (t) => {
  const cases: ReadonlyArray<readonly [string, string, boolean]> = [
    // Winter week of 2023-01-08 (EST, UTC-5).
    ["Sunday 17:59 EST is before the week opens", "2023-01-08T22:59:00Z", false],
    ["Sunday 18:00 EST opens the week", "2023-01-08T23:00:00Z", true],
    ["Monday 00:00 EST is open", "2023-01-09T05:00:00Z", true],
    ["Wednesday 16:59 EST is open", "2023-01-11T21:59:00Z", true],
    ["Wednesday 16:59:59.999999 EST is open", "2023-01-11T21:59:59.999999Z", true],
    ["Wednesday 17:00 EST starts the daily break", "2023-01-11T22:00:00Z", false],
    ["Wednesday 17:59 EST is still the break", "2023-01-11T22:59:00Z", false],
    ["Wednesday 18:00 EST reopens", "2023-01-11T23:00:00Z", true],
    ["Friday 16:59 EST is the last open minute", "2023-01-13T21:59:00Z", true],
    ["Friday 17:00 EST closes the week", "2023-01-13T22:00:00Z", false],
    ["Friday 18:00 EST stays closed (no Friday reopen)", "2023-01-13T23:00:00Z", false],
    ["Friday 23:59 EST is closed", "2023-01-14T04:59:00Z", false],
    ["Saturday 00:00 EST is closed", "2023-01-14T05:00:00Z", false],
    ["Saturday 12:00 EST is closed", "2023-01-14T17:00:00Z", false],
    ["Saturday 18:00 EST is closed", "2023-01-14T23:00:00Z", false],
    ["Sunday 00:00 EST is closed", "2023-01-15T05:00:00Z", false],
    // Summer week of 2023-07-09 (EDT, UTC-4).
    ["Sunday 17:59 EDT is before the week opens", "2023-07-09T21:59:00Z", false],
    ["Sunday 18:00 EDT opens the week", "2023-07-09T22:00:00Z", true],
    ["Wednesday 16:59 EDT is open", "2023-07-12T20:59:00Z", true],
    ["Wednesday 17:00 EDT starts the daily break", "2023-07-12T21:00:00Z", false],
    ["Wednesday 17:59 EDT is still the break", "2023-07-12T21:59:00Z", false],
    ["Wednesday 18:00 EDT reopens", "2023-07-12T22:00:00Z", true],
    ["Friday 16:59 EDT is the last open minute", "2023-07-14T20:59:00Z", true],
    ["Friday 17:00 EDT closes the week", "2023-07-14T21:00:00Z", false],
    ["Saturday 12:00 EDT is closed", "2023-07-15T16:00:00Z", false],
  ];
  for (const [name, time, open] of cases) {
    await t.step(`${name} (${time})`, () => assert.equal(isInSession(usFromIso(time)), open));
  }
});

Deno.test("isInSession() follows New York across the daylight-saving changes", async (t) => {
  const cases: ReadonlyArray<readonly [string, string, boolean]> = [
    // 2023-03-12: clocks went forward at 02:00 that Sunday morning; the open is 18:00 EDT.
    ["Friday 2023-03-10 16:59 EST is open", "2023-03-10T21:59:00Z", true],
    ["Friday 2023-03-10 17:00 EST is closed", "2023-03-10T22:00:00Z", false],
    ["Sunday 2023-03-12 17:59 EDT is closed", "2023-03-12T21:59:00Z", false],
    ["Sunday 2023-03-12 18:00 EDT opens (22:00 UTC, not 23:00)", "2023-03-12T22:00:00Z", true],
    ["Monday 2023-03-13 17:00 EDT is the break", "2023-03-13T21:00:00Z", false],
    ["Monday 2023-03-13 18:00 EDT reopens", "2023-03-13T22:00:00Z", true],
    // 2023-11-05: clocks went back at 02:00 that Sunday morning; the open is 18:00 EST.
    ["Friday 2023-11-03 16:59 EDT is open", "2023-11-03T20:59:00Z", true],
    ["Friday 2023-11-03 17:00 EDT is closed", "2023-11-03T21:00:00Z", false],
    ["Sunday 2023-11-05 17:00 EST is closed (22:00 UTC)", "2023-11-05T22:00:00Z", false],
    ["Sunday 2023-11-05 18:00 EST opens (23:00 UTC)", "2023-11-05T23:00:00Z", true],
    // 2006 used the old US rule: first Sunday of April to last Sunday of October.
    ["Sunday 2006-04-02 18:00 EDT opens", "2006-04-02T22:00:00Z", true],
    ["Sunday 2006-10-29 17:30 EST is closed", "2006-10-29T22:30:00Z", false],
    ["Sunday 2006-10-29 18:00 EST opens", "2006-10-29T23:00:00Z", true],
  ];
  for (const [name, time, open] of cases) {
    await t.step(name, () => assert.equal(isInSession(usFromIso(time)), open));
  }
});

const NEW_YORK = new Intl.DateTimeFormat("en-US", {
  timeZone: "America/New_York",
  hourCycle: "h23",
  weekday: "short",
  hour: "numeric",
  minute: "numeric",
});

/** The session calendar evaluated on Intl's New York clock: an independent oracle. */
function inSessionByIntl(utcUs: number): boolean {
  const p: Record<string, string> = {};
  for (const part of NEW_YORK.formatToParts(new Date(Math.floor(utcUs / 1000)))) {
    p[part.type] = part.value;
  }
  const minute = +p.hour * 60 + +p.minute;
  const inBreak = minute >= 17 * 60 && minute < 18 * 60;
  switch (p.weekday) {
    case "Sat":
      return false;
    case "Sun":
      return minute >= 18 * 60;
    case "Fri":
      return minute < 17 * 60;
    default:
      return !inBreak;
  }
}

Deno.test("isInSession() agrees with the calendar on Intl's New York clock at any instant", () => {
  const from = usFromIso("2000-01-01");
  const to = usFromIso("2035-01-01");
  fc.assert(
    fc.property(fc.integer({ min: from / US_PER_MINUTE, max: to / US_PER_MINUTE }), (minute) => {
      const t = minute * US_PER_MINUTE;
      assert.equal(isInSession(t), inSessionByIntl(t), new Date(t / 1000).toISOString());
    }),
    { numRuns: 20_000 },
  );
});

Deno.test("isInSession() agrees with Intl at every minute of the weeks around the 2023 changes", async (t) => {
  for (const sunday of ["2023-03-12", "2023-03-26", "2023-10-29", "2023-11-05"]) {
    await t.step(`the week of ${sunday}`, () => {
      const from = usFromIso(sunday) - 3 * US_PER_DAY;
      for (let u = from; u < from + 7 * US_PER_DAY; u += US_PER_MINUTE) {
        assert.equal(isInSession(u), inSessionByIntl(u), new Date(u / 1000).toISOString());
      }
    });
  }
});

// A week has 5 sessions Sunday 18:00 -> Friday 17:00 = 4 days 23 hours = 119 h, less the
// four daily breaks Monday to Thursday = 115 h = 5 * 23 * 60 = 6,900 minutes.
const WEEK_MINUTES = 5 * 23 * 60;

Deno.test("sessionMinutesBetween() counts 5 * 23 * 60 = 6,900 minutes in any whole week", async (t) => {
  const weeks: ReadonlyArray<readonly [string, string, string]> = [
    ["Saturday to Saturday, winter", "2023-01-07T17:00:00Z", "2023-01-14T17:00:00Z"],
    ["Saturday to Saturday, summer", "2023-07-08T16:00:00Z", "2023-07-15T16:00:00Z"],
    ["Sunday 00:00 UTC to Sunday 00:00 UTC", "2023-01-08T00:00:00Z", "2023-01-15T00:00:00Z"],
    [
      "the week the US springs forward (2023-03-12)",
      "2023-03-11T12:00:00Z",
      "2023-03-18T12:00:00Z",
    ],
    [
      "the week the EU springs forward (2023-03-26)",
      "2023-03-25T12:00:00Z",
      "2023-04-01T12:00:00Z",
    ],
    ["the week the EU falls back (2023-10-29)", "2023-10-28T12:00:00Z", "2023-11-04T12:00:00Z"],
    ["the week the US falls back (2023-11-05)", "2023-11-04T12:00:00Z", "2023-11-11T12:00:00Z"],
    [
      "the week of the old-rule change (2006-04-02)",
      "2006-04-01T12:00:00Z",
      "2006-04-08T12:00:00Z",
    ],
    ["Sunday open to Sunday open (18:00 EST)", "2023-01-08T23:00:00Z", "2023-01-15T23:00:00Z"],
  ];
  for (const [name, from, to] of weeks) {
    await t.step(name, () => {
      assert.equal(sessionMinutesBetween(usFromIso(from), usFromIso(to)), WEEK_MINUTES);
    });
  }
});

Deno.test("sessionMinutesBetween() counts a day, a break, a weekend and partial minutes", async (t) => {
  const cases: ReadonlyArray<readonly [string, string, string, number]> = [
    [
      "one trading day, Monday 18:00 to Tuesday 17:00 EST",
      "2023-01-09T23:00Z",
      "2023-01-10T22:00Z",
      23 * 60,
    ],
    [
      "one calendar day Tuesday 00:00 to Wednesday 00:00 EST",
      "2023-01-10T05:00Z",
      "2023-01-11T05:00Z",
      23 * 60,
    ],
    ["the daily break alone", "2023-01-10T22:00Z", "2023-01-10T23:00Z", 0],
    ["the weekend, Friday 17:00 to Sunday 18:00 EST", "2023-01-13T22:00Z", "2023-01-15T23:00Z", 0],
    ["an empty range", "2023-01-10T12:00Z", "2023-01-10T12:00Z", 0],
    ["a reversed range", "2023-01-10T13:00Z", "2023-01-10T12:00Z", 0],
    ["the last hour before the Friday close", "2023-01-13T21:00Z", "2023-01-13T23:00Z", 60],
    ["the first hour after the Sunday open (EDT)", "2023-07-09T21:00Z", "2023-07-09T23:00Z", 60],
    // Minutes are counted by their start: 12:00:30 starts no minute until 12:01.
    [
      "from mid-minute: minutes 12:01 to 12:09 only",
      "2023-01-10T12:00:30Z",
      "2023-01-10T12:10Z",
      9,
    ],
    [
      "to mid-minute: the minute starting 12:09 counts",
      "2023-01-10T12:00Z",
      "2023-01-10T12:09:30Z",
      10,
    ],
  ];
  for (const [name, from, to, minutes] of cases) {
    await t.step(name, () => {
      assert.equal(sessionMinutesBetween(usFromIso(from), usFromIso(to)), minutes);
    });
  }
});

Deno.test("sessionMinutesBetween() counts 52 weeks and one Sunday hour in UTC year 2023", () => {
  // 2023-01-01 is a Sunday; 52 weeks of sessions run from Sun 1 Jan 18:00 EST to Fri 29 Dec
  // 17:00 EST, and Sun 31 Dec 18:00 EST (23:00 UTC) adds one hour before 2024-01-01 00:00 UTC.
  const minutes = sessionMinutesBetween(usFromIso("2023-01-01"), usFromIso("2024-01-01"));
  assert.equal(minutes, 52 * WEEK_MINUTES + 60);
});

/** The definition, minute by minute: the reference the constant-time count must equal. */
function countMinuteByMinute(fromUs: number, toUs: number): number {
  let count = 0;
  for (let t = Math.ceil(fromUs / US_PER_MINUTE) * US_PER_MINUTE; t < toUs; t += US_PER_MINUTE) {
    if (isInSession(t)) count++;
  }
  return count;
}

Deno.test("sessionMinutesBetween() equals the minute-by-minute count for any span up to 20 days", () => {
  const from = usFromIso("2000-01-01");
  const to = usFromIso("2035-01-01");
  fc.assert(
    fc.property(
      fc.integer({ min: from, max: to }),
      fc.integer({ min: -US_PER_DAY, max: 20 * US_PER_DAY }),
      (start, span) => {
        assert.equal(
          sessionMinutesBetween(start, start + span),
          countMinuteByMinute(start, start + span),
          `${new Date(start / 1000).toISOString()} + ${span} µs`,
        );
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("sessionMinutesBetween() counts a 900-year hole: 6,900 minutes a week", () => {
  // From a Saturday noon UTC (07:00 EST) to the Saturday 46,959 weeks later (about 900
  // years, the hole a row dated 2917 makes in a 2017 file), also in January (EST): whole
  // weeks only. A minute-by-minute count would take minutes; this one is arithmetic.
  const from = usFromIso("2017-01-07T12:00:00Z");
  const to = from + 46_959 * 7 * US_PER_DAY;
  assert.equal(new Date(to / 1000).toISOString(), "2917-01-02T12:00:00.000Z");
  assert.equal(sessionMinutesBetween(from, to), 46_959 * WEEK_MINUTES);
});
