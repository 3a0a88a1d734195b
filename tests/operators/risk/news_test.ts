/**
 * The news calendar: the example file parses, every bad line fails naming the file and
 * line, comments, CRLF, a BOM and quoted titles are read, and `blackoutAt` honours its
 * window edges, currencies and impacts.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  type BlackoutWindow,
  NewsCalendar,
  parseNewsCalendar,
  readNewsCalendar,
} from "@/operators/risk/mod.ts";
import { BadInputError } from "@/pipeline/errors.ts";
import { isoFromUs, usFromIso } from "@/pipeline/events.ts";

const EXAMPLE = fileURLToPath(new URL("../../../docs/examples/news_calendar.csv", import.meta.url));
const HEADER = "time_utc,currency,impact,title";
const WINDOW: BlackoutWindow = {
  beforeMinutes: 15,
  afterMinutes: 15,
  currencies: ["USD"],
  impacts: ["high"],
};

Deno.test("readNewsCalendar() reads docs/examples/news_calendar.csv, which says it is an example", async () => {
  const text = await Deno.readTextFile(EXAMPLE);
  assert.match(text.split("\n")[0], /^# EXAMPLE ONLY: .*NOT real event times/);
  const calendar = await readNewsCalendar(EXAMPLE);
  assert.equal(calendar.events.length, 8);
  assert.deepEqual(calendar.events[3], {
    timeUs: usFromIso("2024-03-06T15:00:00Z"),
    currency: "USD",
    impact: "high",
    title: "Example: Central Bank Chair Testimony, Day 1",
  });
  assert.deepEqual(calendar.coverage, {
    fromUs: usFromIso("2024-03-04T15:00:00Z"),
    toUs: usFromIso("2024-03-08T13:30:00Z"),
  });
});

Deno.test("parseNewsCalendar() skips comments and blank lines and reads CRLF, a BOM and commas in titles", () => {
  const text =
    `\uFEFF# a comment\r\n\r\n${HEADER}\r\n2024-03-08T13:30:00Z,USD,high,Payrolls, revised\r\n` +
    `# another\r\n2024-03-07T13:30:00.5Z,USD,medium,"Claims ""weekly"""\r\n`;
  const calendar = parseNewsCalendar(text, "cal.csv");
  assert.deepEqual(calendar.events.map((e) => [isoFromUs(e.timeUs), e.title]), [
    ["2024-03-07T13:30:00.500Z", 'Claims "weekly"'],
    ["2024-03-08T13:30:00Z", "Payrolls, revised"],
  ]);
});

Deno.test("parseNewsCalendar() fails on a bad line, naming the file, the line and the field", async (t) => {
  const cases: ReadonlyArray<readonly [string, string, RegExp]> = [
    ["a time without Z", "2024-03-08T13:30:00,USD,high,NFP", /time_utc: expected ISO-8601 UTC/],
    ["an offset instead of Z", "2024-03-08T08:30:00-05:00,USD,high,NFP", /time_utc/],
    ["30 February", "2024-02-30T13:30:00Z,USD,high,NFP", /time_utc: not a calendar date/],
    ["hour 24", "2024-03-08T24:30:00Z,USD,high,NFP", /time_utc: hour must be 00 to 23/],
    [
      "a lower-case currency",
      "2024-03-08T13:30:00Z,usd,high,NFP",
      /currency: expected an upper-case/,
    ],
    ["an unknown impact", "2024-03-08T13:30:00Z,USD,severe,NFP", /impact: unknown impact "severe"/],
    ["an empty title", "2024-03-08T13:30:00Z,USD,high,", /title: title is empty/],
    ["too few fields", "2024-03-08T13:30:00Z,USD", /expected 4 fields/],
  ];
  for (const [name, line, reason] of cases) {
    await t.step(name, () => {
      const text = `# comment\n${HEADER}\n2024-03-08T12:00:00Z,USD,low,ok\n${line}\n`;
      assert.throws(() => parseNewsCalendar(text, "cal.csv"), (e: unknown) => {
        assert.ok(e instanceof BadInputError);
        assert.equal(e.file, "cal.csv");
        assert.equal(e.line, 4);
        assert.match(e.message, /^cal\.csv:4: /);
        assert.match(e.reason, reason);
        return true;
      });
    });
  }
});

Deno.test("parseNewsCalendar() refuses a file without the header", () => {
  assert.throws(
    () => parseNewsCalendar("2024-03-08T13:30:00Z,USD,high,NFP\n", "cal.csv"),
    (e: unknown) =>
      e instanceof BadInputError && e.line === 1 && /expected the header/.test(e.reason),
  );
  assert.throws(
    () => parseNewsCalendar("# only a comment\n", "cal.csv"),
    (e: unknown) => e instanceof BadInputError && /no header/.test(e.message),
  );
});

Deno.test("NewsCalendar.blackoutAt() covers [event - before, event + after) for matching events only", async (t) => {
  const at = (iso: string) => usFromIso(iso);
  const calendar = new NewsCalendar([
    { timeUs: at("2024-03-08T13:30:00Z"), currency: "USD", impact: "high", title: "NFP" },
    { timeUs: at("2024-03-08T09:00:00Z"), currency: "EUR", impact: "high", title: "EUR" },
    { timeUs: at("2024-03-08T11:00:00Z"), currency: "USD", impact: "medium", title: "mid" },
  ]);
  const cases: ReadonlyArray<readonly [string, string | null]> = [
    ["2024-03-08T13:14:59Z", null],
    ["2024-03-08T13:15:00Z", "NFP"],
    ["2024-03-08T13:30:00Z", "NFP"],
    ["2024-03-08T13:44:59Z", "NFP"],
    ["2024-03-08T13:45:00Z", null],
    ["2024-03-08T09:00:00Z", null],
    ["2024-03-08T11:00:00Z", null],
  ];
  for (const [iso, title] of cases) {
    await t.step(`${iso} -> ${title}`, () => {
      assert.equal(calendar.blackoutAt(at(iso), WINDOW)?.title ?? null, title);
    });
  }
  await t.step("medium impact counts when listed", () => {
    const window = { ...WINDOW, impacts: ["medium", "high"] as const };
    assert.equal(calendar.blackoutAt(at("2024-03-08T11:10:00Z"), window)?.title, "mid");
  });
  await t.step("an empty calendar has no coverage", () => {
    assert.equal(new NewsCalendar([]).coverage, null);
  });
});
