import assert from "node:assert/strict";
import fc from "fast-check";
import { US_PER_SECOND } from "@/pipeline/events.ts";
import {
  civilToUs,
  FieldCursor,
  midnightUs,
  parseDecimal,
  parseDigits,
  parseIsoUs,
} from "@/sources/_bytes.ts";

const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text);

function decimal(text: string): number {
  const buf = bytes(text);
  return parseDecimal(buf, 0, buf.length);
}

function iso(text: string, requireZ = true): number {
  const buf = bytes(text);
  return parseIsoUs(buf, 0, buf.length, requireZ);
}

/** A price as a data file writes it: 0-6 decimals, e.g. "1291.677", "552.8", "4381". */
const priceText = fc.record({
  units: fc.integer({ min: 0, max: 99_999 }),
  decimals: fc.integer({ min: 0, max: 6 }),
  fraction: fc.integer({ min: 0, max: 999_999 }),
  negative: fc.boolean(),
}).map(({ units, decimals, fraction, negative }) => {
  const sign = negative ? "-" : "";
  if (decimals === 0) return `${sign}${units}`;
  return `${sign}${units}.${String(fraction % 10 ** decimals).padStart(decimals, "0")}`;
});

Deno.test("parseDecimal() equals parseFloat for every price with 0-6 decimals", () => {
  fc.assert(
    fc.property(priceText, (text) => {
      assert.equal(decimal(text), Number.parseFloat(text), text);
    }),
    { numRuns: 20_000 },
  );
});

Deno.test("parseDecimal() equals parseFloat for long digit strings (the slow path)", () => {
  const digits = fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: 1, maxLength: 24 });
  fc.assert(
    fc.property(digits, fc.option(digits, { nil: undefined }), (units, fraction) => {
      const text = fraction === undefined ? units : `${units}.${fraction}`;
      assert.equal(decimal(text), Number.parseFloat(text), text);
    }),
    { numRuns: 5_000 },
  );
});

Deno.test("parseDecimal() reads the documented forms", async (t) => {
  const cases: ReadonlyArray<readonly [string, number]> = [
    ["1291.677", 1291.677],
    ["-3", -3],
    ["0.5", 0.5],
    ["1826.837000", 1826.837],
    ["0", 0],
    ["007.50", 7.5],
    ["5.", 5],
    [".5", 0.5],
  ];
  for (const [text, value] of cases) {
    await t.step(`"${text}" is ${value}`, () => assert.equal(decimal(text), value));
  }
});

Deno.test("parseDecimal() refuses malformed text with NaN", async (t) => {
  for (
    const text of ["", "-", ".", "-.", "1.2.3", "1e5", "abc", " 1", "1 ", "+1", "1,5", "--1", "1-"]
  ) {
    await t.step(JSON.stringify(text), () => assert.ok(Number.isNaN(decimal(text))));
  }
});

Deno.test("parseDecimal() reads only the bytes between start and end", () => {
  const buf = bytes("x;1291.677;y");
  assert.equal(parseDecimal(buf, 2, 10), 1291.677);
  assert.equal(parseDecimal(buf, 2, 6), 1291);
  assert.ok(Number.isNaN(parseDecimal(buf, 0, 10)));
});

Deno.test("parseDigits() reads exactly width digits or gives NaN", () => {
  const buf = bytes("20230102 180000");
  assert.equal(parseDigits(buf, 0, 8), 20230102);
  assert.equal(parseDigits(buf, 9, 2), 18);
  assert.equal(parseDigits(buf, 13, 2), 0);
  assert.ok(Number.isNaN(parseDigits(buf, 6, 4)));
});

Deno.test("civilToUs() equals Date.UTC and refuses impossible dates and times", async (t) => {
  assert.equal(civilToUs(2014, 5, 1, 0, 0, 0), Date.UTC(2014, 4, 1) * 1000);
  assert.equal(civilToUs(2024, 2, 29, 23, 59, 59), Date.UTC(2024, 1, 29, 23, 59, 59) * 1000);
  const invalid: ReadonlyArray<readonly [string, number[]]> = [
    ["month 0", [2023, 0, 1, 0, 0, 0]],
    ["month 13", [2023, 13, 1, 0, 0, 0]],
    ["day 0", [2023, 1, 0, 0, 0, 0]],
    ["day 32", [2023, 1, 32, 0, 0, 0]],
    ["April 31", [2023, 4, 31, 0, 0, 0]],
    ["Feb 29 in a common year", [2023, 2, 29, 0, 0, 0]],
    ["Feb 29 in 1900 (divisible by 100)", [1900, 2, 29, 0, 0, 0]],
    ["Feb 30 in a leap year", [2024, 2, 30, 0, 0, 0]],
    ["hour 24", [2023, 1, 1, 24, 0, 0]],
    ["minute 60", [2023, 1, 1, 0, 60, 0]],
    ["second 60", [2023, 1, 1, 0, 0, 60]],
    ["NaN month", [2023, NaN, 1, 0, 0, 0]],
    ["NaN hour", [2023, 1, 1, NaN, 0, 0]],
  ];
  for (const [name, [y, mo, d, h, mi, s]] of invalid) {
    await t.step(name, () => assert.ok(Number.isNaN(civilToUs(y, mo, d, h, mi, s))));
  }
  assert.equal(civilToUs(2000, 2, 29, 0, 0, 0), Date.UTC(2000, 1, 29) * 1000);
});

Deno.test("midnightUs() gives each day's midnight, an impossible day NaN, whatever came before", () => {
  // date -u -d 2017-01-02 +%s = 1483315200; date -u -d 2016-02-29 +%s = 1456704000.
  assert.equal(midnightUs(2017, 1, 2), 1_483_315_200 * US_PER_SECOND);
  assert.equal(midnightUs(2017, 1, 2), 1_483_315_200 * US_PER_SECOND);
  assert.ok(Number.isNaN(midnightUs(2017, 2, 29)));
  assert.equal(midnightUs(2016, 2, 29), 1_456_704_000 * US_PER_SECOND);
  assert.ok(Number.isNaN(midnightUs(2017, 13, 1)));
  assert.equal(midnightUs(2017, 1, 2), 1_483_315_200 * US_PER_SECOND);
});

Deno.test("parseIsoUs() reads dates and times to the microsecond", async (t) => {
  const base = Date.UTC(2014, 4, 1, 0, 0, 0) * 1000;
  const cases: ReadonlyArray<readonly [string, boolean, number]> = [
    ["2014-05-01T00:00:00.043142Z", true, base + 43_142],
    ["2014-05-01T00:00:00Z", true, base],
    ["2014-05-01T00:00:00.5Z", true, base + 500_000],
    ["2014-05-01T00:00:00.05Z", true, base + 50_000],
    ["2014-05-01T00:00:00.000001Z", true, base + 1],
    ["2014-05-01T00:00:00.999999Z", true, base + 999_999],
    ["2014-05-01 00:00:00", false, base],
    ["2014-05-01T00:00:00", false, base],
    ["2014-05-01 00:00:00Z", false, base],
    ["2026-03-24 17:00:00", false, Date.UTC(2026, 2, 24, 17) * 1000],
    ["2024-02-29T23:59:59.123Z", true, Date.UTC(2024, 1, 29, 23, 59, 59, 123) * 1000],
    ["2000-02-29T12:00:00Z", true, Date.UTC(2000, 1, 29, 12) * 1000],
    ["1969-12-31T23:59:59.000001Z", true, -US_PER_SECOND + 1],
  ];
  for (const [text, requireZ, expected] of cases) {
    await t.step(`${text}${requireZ ? "" : " (Z optional)"}`, () => {
      assert.equal(iso(text, requireZ), expected);
    });
  }
});

Deno.test("parseIsoUs() refuses invalid dates, times and forms with NaN", async (t) => {
  const cases: ReadonlyArray<readonly [string, string, boolean]> = [
    ["month 13", "2014-13-01T00:00:00Z", true],
    ["month 00", "2014-00-01T00:00:00Z", true],
    ["day 32", "2014-05-32T00:00:00Z", true],
    ["day 00", "2014-05-00T00:00:00Z", true],
    ["June 31", "2014-06-31T00:00:00Z", true],
    ["Feb 29 in a common year", "2023-02-29T00:00:00Z", true],
    ["Feb 29 in 2100", "2100-02-29T00:00:00Z", true],
    ["hour 24", "2014-05-01T24:00:00Z", true],
    ["minute 60", "2014-05-01T00:60:00Z", true],
    ["second 60 (no leap seconds)", "2014-05-01T00:00:60Z", true],
    ["missing Z when required", "2014-05-01T00:00:00.043142", true],
    ["missing Z when required, no fraction", "2014-05-01T00:00:00", true],
    ["a fraction below the microsecond", "2014-05-01T00:00:00.0431421Z", true],
    ["an empty fraction", "2014-05-01T00:00:00.Z", true],
    ["a slash date", "2014/05/01T00:00:00Z", true],
    ["a wrong separator", "2014-05-01_00:00:00Z", true],
    ["no seconds", "2014-05-01T00:00Z", false],
    ["a date alone", "2014-05-01", false],
    ["trailing text", "2014-05-01T00:00:00Zx", true],
    ["an offset instead of Z", "2014-05-01T00:00:00+00:00", false],
    ["letters for digits", "2014-05-0xT00:00:00Z", true],
    ["empty", "", false],
  ];
  for (const [name, text, requireZ] of cases) {
    await t.step(`${name}: "${text}"`, () => assert.ok(Number.isNaN(iso(text, requireZ))));
  }
});

Deno.test("parseIsoUs() equals Date.parse for every millisecond ISO time of 1970-2100", () => {
  const instant = fc.integer({ min: 0, max: Date.UTC(2100, 0, 1) - 1 });
  fc.assert(
    fc.property(instant, (ms) => {
      const text = new Date(ms).toISOString();
      assert.equal(iso(text), ms * 1000, text);
    }),
    { numRuns: 10_000 },
  );
});

Deno.test("FieldCursor reads each field once and says when the line is used up", () => {
  const buf = bytes("#20230102 180000;1826.837000;1827.337;;x;0#");
  const cursor = new FieldCursor(";".charCodeAt(0));
  cursor.reset(buf, 1, buf.length - 1);
  assert.equal(cursor.skip(), true);
  assert.equal(
    new TextDecoder().decode(buf.subarray(cursor.fieldStart, cursor.fieldEnd)),
    "20230102 180000",
  );
  assert.equal(cursor.atEnd, false);
  assert.equal(cursor.decimal(), 1826.837);
  assert.equal(cursor.decimal(), 1827.337);
  assert.ok(Number.isNaN(cursor.decimal()), "an empty field is NaN");
  assert.ok(Number.isNaN(cursor.decimal()), "a non-numeric field is NaN");
  assert.equal(cursor.atEnd, false);
  assert.equal(cursor.decimal(), 0);
  assert.equal(cursor.atEnd, true);
  assert.ok(Number.isNaN(cursor.decimal()), "reading past the last field is NaN");
  assert.equal(cursor.skip(), false, "there is no field past the last");
  assert.equal(cursor.countFields(1), 6);
});

Deno.test("FieldCursor.atEnd is true only when the reads took exactly the line's fields", async (t) => {
  const comma = ",".charCodeAt(0);
  const cases: ReadonlyArray<readonly [string, number, boolean]> = [
    ["1,2,3", 3, true],
    ["1,2,3", 2, false],
    ["1,2,3,", 3, false],
    ["1,2", 3, false],
    ["", 1, true],
  ];
  for (const [text, reads, atEnd] of cases) {
    await t.step(`"${text}" after ${reads} reads`, () => {
      const cursor = new FieldCursor(comma);
      const buf = bytes(text);
      cursor.reset(buf, 0, buf.length);
      for (let i = 0; i < reads; i++) cursor.decimal();
      assert.equal(cursor.atEnd, atEnd);
    });
  }
});

Deno.test("FieldCursor.skip() records the bounds of an empty last field", () => {
  const cursor = new FieldCursor(",".charCodeAt(0));
  const buf = bytes("a,");
  cursor.reset(buf, 0, buf.length);
  assert.equal(cursor.skip(), true);
  assert.deepEqual([cursor.fieldStart, cursor.fieldEnd], [0, 1]);
  assert.equal(cursor.skip(), true);
  assert.deepEqual([cursor.fieldStart, cursor.fieldEnd], [2, 2]);
  assert.equal(cursor.atEnd, true);
  assert.equal(cursor.countFields(0), 2);
});

Deno.test("FieldCursor.lastDecimal() reads the last field, a '\\r' left before the line end allowed", async (t) => {
  const comma = ",".charCodeAt(0);
  // [line, the last field's value (NaN when refused), atEnd after it]
  const cases: ReadonlyArray<readonly [string, number, boolean]> = [
    ["1,0\n", 0, true],
    ["1,2.5\r\n", 2.5, true],
    ["1,7\r\r\n", 7, true], // content "7\r": the "\r" is allowed, as a whole-field read allows it
    ["1,7\r\r", 7, true], // the same at the end of the block
    ["1,7\r\r\r\n", NaN, true], // content "7\r\r": two are not
    ["1,x\r\r\n", NaN, true],
    ["1,-1\n", -1, true], // a number: whether it is a valid volume is the caller's judgement
    ["1,\n", NaN, true],
    ["1,0,2\n", 0, false], // not the last field: atEnd says so
    ["1\n", NaN, false], // no field left
  ];
  for (const [text, value, atEnd] of cases) {
    await t.step(JSON.stringify(text), () => {
      const cursor = new FieldCursor(comma);
      const buf = bytes(text);
      cursor.reset(buf, 0, buf.length);
      cursor.decimal();
      assert.ok(Object.is(cursor.lastDecimal(), value));
      assert.equal(cursor.atEnd, atEnd);
    });
  }
});
