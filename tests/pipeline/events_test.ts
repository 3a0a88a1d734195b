import assert from "node:assert/strict";
import fc from "fast-check";
import { isoFromUs, usFromIso } from "../../pipeline/events.ts";

Deno.test("usFromIso() keeps microseconds and reads times without an offset as UTC", async (t) => {
  const cases: Array<[string, number]> = [
    ["2017-01-02", Date.UTC(2017, 0, 2) * 1000],
    ["2017-01-02T18:00", Date.UTC(2017, 0, 2, 18) * 1000],
    ["2017-01-02T18:00:00Z", Date.UTC(2017, 0, 2, 18) * 1000],
    ["2017-01-02T18:00:00+02:00", Date.UTC(2017, 0, 2, 16) * 1000],
    ["2024-03-04T10:15:00.000250Z", Date.UTC(2024, 2, 4, 10, 15) * 1000 + 250],
  ];
  for (const [text, expected] of cases) {
    await t.step(text, () => assert.equal(usFromIso(text), expected));
  }
});

Deno.test("usFromIso() refuses impossible or malformed times with the text in the message", async (t) => {
  for (
    const text of [
      "",
      "x",
      "2017-13-01",
      "2017-13-40",
      "2017-02-30",
      "2017-01-02T25:00:00Z",
      "2017-01-02T18:00:00.1234567Z",
    ]
  ) {
    await t.step(JSON.stringify(text), () =>
      assert.throws(
        () => usFromIso(text),
        (error: Error) => error instanceof RangeError && error.message.includes(`"${text}"`),
      ));
  }
});

Deno.test("usFromIso() refuses a day the calendar does not have, whatever the time and zone after it", async (t) => {
  // Date.parse rolled these over (2017-02-29T00:00:00Z read as 2017-03-01) before.
  for (
    const text of [
      "2017-02-29T00:00:00Z", // 2017 is a common year
      "2100-02-29T00:00:00Z", // a century not divisible by 400
      "2017-04-31T10:00:00+02:00", // April has 30 days
      "2017-06-31T10:00:00.250Z",
    ]
  ) {
    await t.step(text, () =>
      assert.throws(
        () => usFromIso(text),
        new RangeError(
          `Cannot read time "${text}": ${text.slice(0, 10)} is not a day of the calendar`,
        ),
      ));
  }
  // 2000 and 2016 are leap years: 2000-02-29 is 951,782,400 s after the epoch
  // (30 years and 7 leap days to 2000-01-01 = 10,957 days, + 59 days), then 12 hours.
  assert.equal(usFromIso("2000-02-29T12:00:00Z"), (951_782_400 + 12 * 3600) * 1e6);
  assert.equal(usFromIso("2016-02-29T12:00:00Z"), Date.UTC(2016, 1, 29, 12) * 1000);
});

Deno.test("isoFromUs() and usFromIso() round-trip every microsecond time", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 4_102_444_800_000_000 }), (us) => {
      assert.equal(usFromIso(isoFromUs(us)), us);
    }),
  );
});

Deno.test("usFromIso() reads whole-second times of days met before and after others as Date does", () => {
  // The last day read is cached: times of a few days in random order hit and miss it, and
  // a bad time of day on a cached day (25:00, 12:60) must still be refused.
  const days = ["2017-01-02", "2017-02-28", "2018-12-31", "2020-02-29"];
  const time = fc.record({
    day: fc.constantFrom(...days),
    hour: fc.integer({ min: 0, max: 25 }),
    minute: fc.integer({ min: 0, max: 60 }),
    second: fc.integer({ min: 0, max: 59 }),
  });
  const two = (n: number) => String(n).padStart(2, "0");
  fc.assert(
    fc.property(fc.array(time, { minLength: 1, maxLength: 20 }), (times) => {
      for (const { day, hour, minute, second } of times) {
        const text = `${day}T${two(hour)}:${two(minute)}:${two(second)}Z`;
        if (hour > 23 || minute > 59) {
          assert.throws(() => usFromIso(text), /Cannot read time/, text);
        } else {
          assert.equal(usFromIso(text), Date.parse(text) * 1000, text);
        }
      }
    }),
  );
});

Deno.test("isoFromUs() writes whole seconds as Date's toISOString() without milliseconds", () => {
  // The day's text is cached: random times jump between days to catch a stale cache.
  // From 1906 to 9999-12-31T23:59:59Z (253,402,300,799 s), the four-digit years.
  fc.assert(
    fc.property(fc.integer({ min: -2_000_000_000, max: 253_402_300_799 }), (seconds) => {
      const expected = new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
      assert.equal(isoFromUs(seconds * 1_000_000), expected);
    }),
  );
});

Deno.test("isoFromUs() moves to the next day at midnight", () => {
  // 2018-12-31T23:59:59Z is 1,546,300,799 s since the epoch; one second later is 2019.
  assert.equal(isoFromUs(1_546_300_799_000_000), "2018-12-31T23:59:59Z");
  assert.equal(isoFromUs(1_546_300_800_000_000), "2019-01-01T00:00:00Z");
  assert.equal(isoFromUs(1_546_300_799_000_000), "2018-12-31T23:59:59Z");
});

Deno.test("usFromIso() reads every real whole-second UTC time as Date.UTC does", () => {
  const two = (n: number) => String(n).padStart(2, "0");
  fc.assert(
    fc.property(
      fc.integer({ min: 1000, max: 9999 }),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 31 }),
      fc.integer({ min: 0, max: 86_399 }),
      (year, month, day, second) => {
        // Day 31 of a 30-day month (and Feb 29 of a common year) is not a real date.
        fc.pre(new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day);
        const hh = two(Math.floor(second / 3600));
        const mm = two(Math.floor(second / 60) % 60);
        const text = `${year}-${two(month)}-${two(day)}T${hh}:${mm}:${two(second % 60)}Z`;
        assert.equal(usFromIso(text), (Date.UTC(year, month - 1, day) + second * 1000) * 1000);
      },
    ),
  );
});
