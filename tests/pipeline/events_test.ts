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

Deno.test("isoFromUs() and usFromIso() round-trip every microsecond time", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 4_102_444_800_000_000 }), (us) => {
      assert.equal(usFromIso(isoFromUs(us)), us);
    }),
  );
});
