import assert from "node:assert/strict";
import fc from "fast-check";
import { denoise, roundedJson, roundedJsonAround } from "@/pipeline/json_text.ts";

Deno.test("denoise() removes binary noise and keeps every digit a person wrote", () => {
  assert.equal(denoise(-1007.3100000000002), -1007.31);
  assert.equal(denoise(0.1 + 0.2), 0.3); // 0.30000000000000004
  assert.equal(denoise(1826.837), 1826.837);
  assert.equal(denoise(1_514_764_800_000_001), 1_514_764_800_000_001, "integers untouched");
  assert.equal(denoise(1e-9), 1e-9);
});

Deno.test("roundedJson() writes indented JSON with denoised numbers and a final newline", () => {
  assert.equal(
    roundedJson({ pnl: -1007.3100000000002, trades: [0.1 + 0.2] }),
    '{\n  "pnl": -1007.31,\n  "trades": [\n    0.3\n  ]\n}\n',
  );
});

Deno.test("denoise() answers whole cents at once exactly as 12 significant digits do", () => {
  fc.assert(
    fc.property(fc.integer({ min: -99_999_999_999, max: 99_999_999_999 }), (cents) => {
      // k / 100 as a report computes money, and with noise added by arithmetic.
      for (const value of [cents / 100, (cents / 100) * 3 / 3, cents * 0.01, cents / 100 + 1e-13]) {
        assert.equal(denoise(value), Number(value.toPrecision(12)), `${value}`);
      }
    }),
    { numRuns: 20_000 },
  );
});

Deno.test("roundedJson() writes JSON's own text for undefined, NaN and a Date", () => {
  const when = new Date("2018-01-02T03:04:05.678Z"); // toJSON: written as its ISO text
  assert.equal(
    roundedJson({ a: [1.005, undefined, null, -0.1 * 3], b: { c: NaN, d: when, e: undefined } }),
    // -0.1 * 3 is -0.30000000000000004: 12 digits give -0.3. An undefined item and NaN
    // are null, as JSON writes them; an undefined key is left out.
    '{\n  "a": [\n    1.005,\n    null,\n    null,\n    -0.3\n  ],\n' +
      '  "b": {\n    "c": null,\n    "d": "2018-01-02T03:04:05.678Z"\n  }\n}\n',
  );
});

Deno.test("roundedJsonAround() writes its hole's fill indented to its depth", () => {
  const hole = {};
  const fill = roundedJsonAround({ a: 1, b: { c: hole } }, hole);
  assert.equal(
    fill({ d: [0.1 + 0.2] }),
    '{\n  "a": 1,\n  "b": {\n    "c": {\n      "d": [\n        0.3\n      ]\n    }\n  }\n}\n',
  );
  assert.equal(fill(null), '{\n  "a": 1,\n  "b": {\n    "c": null\n  }\n}\n');
});

Deno.test("roundedJsonAround() fills its hole to the byte as roundedJson() writes the whole", () => {
  fc.assert(
    fc.property(
      fc.jsonValue(),
      fc.jsonValue(),
      fc.double({ noNaN: true }),
      fc.nat(3),
      (around, fill, x, where) => {
        const hole = {};
        // The hole at the root, under a key, as an array's item, or deep in both.
        const place = (h: unknown) =>
          [h, { around, h, x }, [around, h, x / 3], { a: [{ b: h }], around }][where];
        assert.equal(roundedJsonAround(place(hole), hole)(fill), roundedJson(place(fill)));
      },
    ),
    { numRuns: 2_000 },
  );
});

Deno.test("roundedJsonAround() refuses a hole it meets twice or never", () => {
  const hole = {};
  assert.throws(() => roundedJsonAround({ a: hole, b: hole }, hole), /met 2 times, not once/);
  assert.throws(() => roundedJsonAround({ a: 1 }, hole), /met 0 times, not once/);
});

Deno.test("roundedJsonAround() writes denoised sections to the byte as roundedJson() writes the whole", () => {
  fc.assert(
    fc.property(
      // Rows as an equity curve's, of whole cents or not (a noisy one is written denoised).
      fc.array(
        fc.record({
          time: fc.string(),
          equity: fc.oneof(fc.integer({ min: -1e8, max: 1e8 }).map((c) => c / 100), fc.double()),
          nested: fc.jsonValue(),
        }),
      ),
      fc.jsonValue(),
      fc.jsonValue(),
      fc.nat(3),
      fc.nat(3),
      (rows, around, fill, where, holeWhere) => {
        const hole = {};
        // The section and the hole at the root's keys, in arrays, or deep; either first.
        const place = (section: unknown, h: unknown) =>
          [
            { section, around, h },
            { h, a: [around, [section]] },
            [{ b: { section } }, h],
            { a: { h }, b: section, around },
          ][(where + holeWhere) % 4];
        assert.equal(
          roundedJsonAround(place(rows, hole), hole, [rows])(fill),
          roundedJson(place(rows, fill)),
        );
      },
    ),
    { numRuns: 1_000 },
  );
});

Deno.test("roundedJsonAround() refuses a denoised section it meets twice", () => {
  const hole = {};
  const rows = [{ equity: 1.5 }];
  assert.throws(
    () => roundedJsonAround({ a: rows, b: rows, hole }, hole, [rows]),
    /each denoised section must be met once/,
  );
});
