/**
 * Time windows are DST-correct on each city's own clock. 2024's US change is 10 March
 * and the EU one 31 March; between them London is on GMT (UTC+0) while New York is
 * already on EDT (UTC-4), which is where a one-offset shortcut goes wrong. Expected
 * values are worked out by hand from those offsets.
 */

import assert from "node:assert/strict";
import { sessionRule, tradingDayOf, type WeekdayBlock, weekdayRule } from "@/operators/risk/mod.ts";
import { US_PER_DAY, usFromIso } from "@/pipeline/events.ts";
import { tradingDayStartUs } from "@/operators/risk/_zones.ts";
import { config, context } from "./_fixtures.ts";

const LONDON = config({
  sessions: {
    windows: [{ name: "london", timeZone: "Europe/London", start: "08:00", end: "17:00" }],
  },
});
const NEW_YORK = config({
  sessions: {
    windows: [{ name: "new-york", timeZone: "America/New_York", start: "08:00", end: "16:00" }],
  },
});
const ASIA = config({
  sessions: { windows: [{ name: "asia", timeZone: "UTC", start: "23:00", end: "02:00" }] },
});

function allowed(rule: typeof sessionRule, iso: string, cfg = LONDON): boolean {
  return "allow" in rule.check(context({ nowUs: usFromIso(iso), config: cfg }));
}

Deno.test("sessionRule reads a London window on London's clock between the US and EU changes", async (t) => {
  const cases: ReadonlyArray<readonly [string, string, boolean]> = [
    [
      "20 March 07:30 UTC is 07:30 GMT: closed (US-DST arithmetic would say 08:30)",
      "2024-03-20T07:30:00Z",
      false,
    ],
    ["20 March 08:00 UTC is 08:00 GMT: open", "2024-03-20T08:00:00Z", true],
    ["20 March 16:30 UTC is 16:30 GMT: open", "2024-03-20T16:30:00Z", true],
    ["20 March 17:00 UTC is 17:00 GMT: closed", "2024-03-20T17:00:00Z", false],
    ["3 April 07:00 UTC is 08:00 BST: open", "2024-04-03T07:00:00Z", true],
    ["3 April 06:59 UTC is 07:59 BST: closed", "2024-04-03T06:59:00Z", false],
    ["3 April 16:30 UTC is 17:30 BST: closed", "2024-04-03T16:30:00Z", false],
    [
      "31 March, the day of the EU change, 07:00 UTC is 08:00 BST: open",
      "2024-03-31T07:00:00Z",
      true,
    ],
  ];
  for (const [name, iso, open] of cases) {
    await t.step(name, () => assert.equal(allowed(sessionRule, iso), open));
  }
});

Deno.test("sessionRule reads a New York window on New York's clock across the US change", async (t) => {
  const cases: ReadonlyArray<readonly [string, string, boolean]> = [
    ["6 March 12:00 UTC is 07:00 EST: closed", "2024-03-06T12:00:00Z", false],
    ["6 March 13:00 UTC is 08:00 EST: open", "2024-03-06T13:00:00Z", true],
    ["20 March 12:00 UTC is 08:00 EDT: open", "2024-03-20T12:00:00Z", true],
    ["20 March 19:59 UTC is 15:59 EDT: open", "2024-03-20T19:59:00Z", true],
    ["20 March 20:00 UTC is 16:00 EDT: closed", "2024-03-20T20:00:00Z", false],
    ["6 March 20:30 UTC is 15:30 EST: open", "2024-03-06T20:30:00Z", true],
  ];
  for (const [name, iso, open] of cases) {
    await t.step(name, () => assert.equal(allowed(sessionRule, iso, NEW_YORK), open));
  }
});

Deno.test("sessionRule wraps a window whose end is before its start across midnight", async (t) => {
  const cases: ReadonlyArray<readonly [string, boolean]> = [
    ["2024-03-20T22:59:00Z", false],
    ["2024-03-20T23:00:00Z", true],
    ["2024-03-21T01:59:00Z", true],
    ["2024-03-21T02:00:00Z", false],
  ];
  for (const [iso, open] of cases) {
    await t.step(iso, () => assert.equal(allowed(sessionRule, iso, ASIA), open));
  }
});

Deno.test("weekdayRule reads the weekday and hours of a New York block on New York's clock", async (t) => {
  const block: WeekdayBlock = {
    weekday: "friday",
    timeZone: "America/New_York",
    from: "12:00",
    to: "24:00",
  };
  const cfg = config({ weekdayBlocks: [block] });
  const cases: ReadonlyArray<readonly [string, string, boolean]> = [
    ["Friday 1 March 16:00 UTC is 11:00 EST: allowed", "2024-03-01T16:00:00Z", true],
    ["Friday 1 March 17:00 UTC is 12:00 EST: blocked", "2024-03-01T17:00:00Z", false],
    ["Friday 22 March 16:00 UTC is 12:00 EDT: blocked", "2024-03-22T16:00:00Z", false],
    ["Saturday 23 March 03:59 UTC is Friday 23:59 EDT: blocked", "2024-03-23T03:59:00Z", false],
    ["Saturday 23 March 04:00 UTC is Saturday 00:00 EDT: allowed", "2024-03-23T04:00:00Z", true],
  ];
  for (const [name, iso, open] of cases) {
    await t.step(name, () => assert.equal(allowed(weekdayRule, iso, cfg), open));
  }
});

Deno.test("tradingDayOf() is a day's number from its tradingDayStartUs() to the next day's, DST changes included", () => {
  // The risk engine answers from these bounds between days (RiskEngine #dayOf): every
  // instant 2017-2024 on a 5-minute grid, and one microsecond either side of each start.
  const from = usFromIso("2017-01-01T00:00:00Z");
  const to = usFromIso("2025-01-01T00:00:00Z");
  const step = 5 * 60_000_000;
  for (let t = from; t < to; t += step) {
    const day = tradingDayOf(t);
    assert.ok(tradingDayStartUs(day) <= t && t < tradingDayStartUs(day + 1), `at ${t}`);
  }
  for (let day = tradingDayOf(from); day <= tradingDayOf(to); day++) {
    const start = tradingDayStartUs(day);
    assert.equal(tradingDayOf(start), day);
    assert.equal(tradingDayOf(start - 1), day - 1);
  }
});

Deno.test("tradingDayOf() starts each trading day at 17:00 New York, EST and EDT", async (t) => {
  const day = (iso: string) => tradingDayOf(usFromIso(iso));
  const date = (iso: string) => usFromIso(iso) / US_PER_DAY;
  const cases: ReadonlyArray<readonly [string, string, string]> = [
    ["summer 16:59:59 EDT belongs to the day before", "2024-03-20T20:59:59Z", "2024-03-19"],
    ["summer 17:00 EDT (21:00 UTC) starts a day", "2024-03-20T21:00:00Z", "2024-03-20"],
    ["winter 16:59 EST belongs to the day before", "2024-01-10T21:59:00Z", "2024-01-09"],
    ["winter 17:00 EST (22:00 UTC) starts a day", "2024-01-10T22:00:00Z", "2024-01-10"],
  ];
  for (const [name, iso, start] of cases) {
    await t.step(name, () => assert.equal(day(iso), date(start)));
  }
});
