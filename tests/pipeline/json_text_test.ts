import assert from "node:assert/strict";
import fc from "fast-check";
import { denoise, roundedJson } from "@/pipeline/json_text.ts";

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

Deno.test("roundedJson() writes what JSON.stringify with a denoising replacer writes", () => {
  const reference = (value: unknown) =>
    JSON.stringify(
      value,
      (_k, v) =>
        typeof v === "number"
          ? Number.isInteger(v) || !Number.isFinite(v) ? v : Number(v.toPrecision(12))
          : v,
      2,
    ) + "\n";
  const when = new Date("2018-01-02T03:04:05.678Z"); // toJSON: written as its ISO text
  const fixed = {
    a: [1.005, undefined, null, -0.1 * 3],
    b: { c: NaN, d: when, e: undefined },
    f: "x",
  };
  assert.equal(roundedJson(fixed), reference(fixed));
  fc.assert(
    fc.property(fc.jsonValue(), fc.double({ noNaN: true }), (value, x) => {
      const doc = { value, x, xs: [x, x * 1.1, x / 3] };
      assert.equal(roundedJson(doc), reference(doc));
    }),
    { numRuns: 2_000 },
  );
});
