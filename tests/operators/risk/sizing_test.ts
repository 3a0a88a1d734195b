/**
 * Position sizing by hand: the docs' worked example, rounding down to the lot step, the
 * max-lot and margin caps, and the minimum lot refusing (never rounding up); then a
 * property: lots never exceed what the risk percent allows and are always whole lot steps.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  capLots,
  marginFor,
  maxLotsForMargin,
  riskLots,
  sizePosition,
  type SizingInput,
} from "@/operators/risk/mod.ts";
import { type SymbolSpec, XAUUSD } from "@/pipeline/symbols.ts";

const BASE: SizingInput = {
  spec: XAUUSD,
  equity: 10_000,
  riskPercent: 0.5,
  // A 3.00 stop x 100 oz, costs left out: the arithmetic of sizing alone.
  lossPerLot: 300,
  price: 2000,
  marginInUse: 0,
  maxMarginUsePercent: 50,
};

const codes = (result: { reasons: readonly { code: string }[] }) =>
  result.reasons.map((r) => r.code);

Deno.test("sizePosition() gives 0.16 lots for equity 10,000, risk 0.5% and a 3.00 stop (docs/risk.md)", () => {
  // 10,000 x 0.5% = 50 at risk; 3.00 x 100 oz = 300 per lot; 50 / 300 = 0.1666... -> 0.16.
  assert.equal(riskLots(10_000, 0.5, 300), 50 / 300);
  const result = sizePosition(BASE);
  assert.deepEqual(result, { lots: 0.16, accepted: true, reasons: [] });
  // With 3.50 commission each way a lot loses 307: 50 / 307 = 0.1628 -> still 0.16.
  assert.equal(sizePosition({ ...BASE, lossPerLot: 307 }).lots, 0.16);
});

Deno.test("sizePosition() rounds down to the lot step, never up", async (t) => {
  const cases: ReadonlyArray<readonly [string, Partial<SizingInput>, number]> = [
    ["0.1672 -> 0.16 (stop 2.99: 299 a lot)", { lossPerLot: 299 }, 0.16],
    ["exactly 0.20 stays 0.20 (stop 2.50: 250 a lot)", { lossPerLot: 250 }, 0.2],
    ["0.1999 -> 0.19 (equity 11,994)", { equity: 11_994 }, 0.19],
    ["0.1666 -> 0.1 with a 0.1 lot step at 1:20", {
      spec: { ...XAUUSD, lotStep: 0.1, minLot: 0.1, leverage: 20 },
    }, 0.1],
    ["0.16 -> 0.1 with a 0.1 lot step", {
      spec: { ...XAUUSD, lotStep: 0.1, minLot: 0.1 },
    }, 0.1],
  ];
  for (const [name, overrides, lots] of cases) {
    await t.step(name, () => assert.equal(sizePosition({ ...BASE, ...overrides }).lots, lots));
  }
});

Deno.test("sizePosition() caps at the symbol's maxLot with MAX_LOT", () => {
  const result = sizePosition({ ...BASE, spec: { ...XAUUSD, maxLot: 0.1 } });
  assert.equal(result.lots, 0.1);
  assert.deepEqual(codes(result), ["MAX_LOT"]);
});

Deno.test("sizePosition() caps at the margin budget with MARGIN_LIMIT", () => {
  // 1 lot at 2000 takes 2000 x 100 / 100 = 2,000 margin. 50% of 10,000 less 4,900 in use
  // leaves 100: 0.05 lots.
  assert.equal(marginFor(XAUUSD, 2000, 1), 2000);
  const result = sizePosition({ ...BASE, marginInUse: 4_900 });
  assert.equal(result.lots, 0.05);
  assert.deepEqual(codes(result), ["MARGIN_LIMIT"]);
  assert.match(result.reasons[0].detail, /allows 0\.05 lots/);
  // With the whole free margin allowed, 10,000 / 2,000 = 5 lots is the ceiling.
  assert.equal(
    maxLotsForMargin({ ...BASE, maxMarginUsePercent: 100 }),
    5,
  );
});

Deno.test("sizePosition() rejects a size below the minimum lot with BELOW_MIN_LOT, never rounding up", () => {
  // 100 x 0.5% = 0.50 at risk / 300 per lot = 0.0017 lots: below 0.01.
  const result = sizePosition({ ...BASE, equity: 100 });
  assert.deepEqual(result.lots, 0);
  assert.equal(result.accepted, false);
  assert.deepEqual(codes(result), ["BELOW_MIN_LOT"]);
});

Deno.test("capLots() lists the margin cap and then the minimum lot when margin leaves too little", () => {
  const result = capLots(0.16, { ...BASE, marginInUse: 4_990 });
  assert.deepEqual(codes(result), ["MARGIN_LIMIT", "BELOW_MIN_LOT"]);
  assert.equal(result.lots, 0);
});

Deno.test("riskLots() refuses a zero, negative or infinite loss per lot", () => {
  for (const loss of [0, -1, Infinity, NaN]) {
    assert.throws(() => riskLots(10_000, 0.5, loss), RangeError);
  }
});

Deno.test("sizePosition() never exceeds the risk budget and always returns whole lot steps", () => {
  const lotSteps = [0.01, 0.1, 1];
  fc.assert(
    fc.property(
      fc.double({ min: 0, max: 1e7, noNaN: true }),
      fc.double({ min: 0.01, max: 5, noNaN: true }),
      fc.double({ min: 0.01, max: 200, noNaN: true }),
      fc.double({ min: 100, max: 5000, noNaN: true }),
      fc.constantFrom(...lotSteps),
      fc.integer({ min: 1, max: 500 }),
      fc.double({ min: 0, max: 1e6, noNaN: true }),
      (equity, riskPercent, stopDistance, price, lotStep, leverage, marginInUse) => {
        const spec: SymbolSpec = { ...XAUUSD, lotStep, minLot: lotStep, leverage, maxLot: 100 };
        const lossPerLot = stopDistance * spec.contractSize + 7;
        const input = { ...BASE, spec, equity, riskPercent, lossPerLot, price, marginInUse };
        const { lots, accepted } = sizePosition(input);
        const budget = equity * riskPercent / 100;
        assert.ok(lots * lossPerLot <= budget * (1 + 1e-9) + 1e-9);
        const steps = lots / lotStep;
        assert.ok(
          Math.abs(steps - Math.round(steps)) < 1e-6,
          `${lots} is not a multiple of ${lotStep}`,
        );
        assert.ok(lots <= spec.maxLot);
        assert.ok(marginFor(spec, price, lots) <= equity * 0.5 - marginInUse + 1e-6 || lots === 0);
        assert.equal(accepted, lots >= spec.minLot);
      },
    ),
    { numRuns: 2000 },
  );
});
