/**
 * Breakeven and trailing stops by hand: a buy from 2000.00 with its stop at 1997.00
 * (R = 3.00) and its mirror sell, on the exit side's closing price; then
 * `RiskEngine.manage()` turning the moves into modify orders, and closes after a kill.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { DEFAULT_RISK_CONFIG, nextStop, type RiskConfig } from "@/operators/risk/mod.ts";
import { roundStop } from "@/operators/risk/stops.ts";
import { XAUUSD } from "@/pipeline/symbols.ts";
import { bar, config, engine, position } from "./_fixtures.ts";
import { usFromIso } from "@/pipeline/events.ts";

const BUY = position();
const SELL = position({ side: "sell", stopLoss: 2003, initialStop: 2003, takeProfit: 1994 });

function move(p = BUY, price: number, cfg: RiskConfig = DEFAULT_RISK_CONFIG) {
  const result = nextStop(p, price, cfg, XAUUSD);
  return result === null ? null : [result.reason.code, result.stopLoss] as const;
}

Deno.test("nextStop() moves a buy's stop to entry + 0.10 at 1R, then trails 1R behind from 1.5R", async (t) => {
  const cases: ReadonlyArray<readonly [string, number, readonly [string, number] | null]> = [
    ["0.99R: nothing", 2002.99, null],
    ["1R: breakeven at 2000.10", 2003, ["BREAKEVEN", 2000.1]],
    ["1.49R: still breakeven", 2004.47, ["BREAKEVEN", 2000.1]],
    ["1.5R: trailing at 2001.50 beats breakeven", 2004.5, ["TRAILING_STOP", 2001.5]],
    ["2R: trailing at 2003.00", 2006, ["TRAILING_STOP", 2003]],
  ];
  for (const [name, bid, expected] of cases) {
    await t.step(name, () => assert.deepEqual(move(BUY, bid), expected));
  }
});

Deno.test("nextStop() mirrors a sell on the ask", async (t) => {
  const cases: ReadonlyArray<readonly [string, number, readonly [string, number] | null]> = [
    ["0.99R: nothing", 1997.01, null],
    ["1R: breakeven at 1999.90", 1997, ["BREAKEVEN", 1999.9]],
    ["1.5R: trailing at 1998.50", 1995.5, ["TRAILING_STOP", 1998.5]],
  ];
  for (const [name, ask, expected] of cases) {
    await t.step(name, () => assert.deepEqual(move(SELL, ask), expected));
  }
});

Deno.test("nextStop() never loosens a stop nor moves it by less than one price step", () => {
  assert.equal(move(position({ stopLoss: 2003 }), 2005), null); // trailing would be 2002
  assert.equal(move(position({ stopLoss: 2000.1 }), 2003), null); // already at breakeven
  assert.equal(move(position({ stopLoss: 2001.5 }), 2004.505), null); // 2001.505 -> 2001.50
  assert.deepEqual(move(position({ stopLoss: 2001.5 }), 2004.51), ["TRAILING_STOP", 2001.51]);
});

Deno.test("nextStop() rounds a level away from the price to the 0.01 step", () => {
  // R = 3.333: 1.5R trailing from 2005.00 is 2001.667 -> 2001.66 for a buy.
  const buy = position({ initialStop: 1996.667, stopLoss: 1996.667 });
  assert.deepEqual(move(buy, 2005), ["TRAILING_STOP", 2001.66]);
  const sell = position({ side: "sell", initialStop: 2003.333, stopLoss: 2003.333 });
  assert.deepEqual(move(sell, 1995), ["TRAILING_STOP", 1998.34]);
});

Deno.test("nextStop() leaves alone a position without an initial stop, and disabled features", () => {
  assert.equal(move(position({ initialStop: null }), 2010), null);
  const off = config({ breakeven: { enabled: false }, trailing: { enabled: false } });
  assert.equal(move(BUY, 2010, off), null);
  const beOnly = config({ trailing: { enabled: false } });
  assert.deepEqual(move(BUY, 2010, beOnly), ["BREAKEVEN", 2000.1]);
});

Deno.test("nextStop() skips a breakeven level the price has not cleared", () => {
  // A breakeven offset of 3.50 would sit above a 2003.00 bid: not a valid stop.
  const wide = config({ breakeven: { offset: 3.5 } });
  assert.equal(move(BUY, 2003, wide), null);
});

Deno.test("RiskEngine.manage() sends a modify order per position whose stop tightens", () => {
  const risk = engine();
  const closeIso = "2024-03-20T13:05:00Z";
  const closeUs = usFromIso(closeIso);
  const orders = risk.manage([BUY, SELL], bar(closeIso, 2003, 2003.3));
  assert.deepEqual(orders, [{
    v: 1,
    kind: "order",
    symbol: "XAUUSD",
    timeUs: closeUs,
    clientOrderId: `XAUUSD-${closeUs}-modify-p1`,
    action: "modify",
    side: "buy",
    lots: 0.16,
    stopLoss: 2000.1,
    takeProfit: 2006,
    positionId: "p1",
    reason: "BREAKEVEN",
  }]);
});

Deno.test("RiskEngine.manage() assumes the widest spread for a sell on bid-only bars", () => {
  const risk = engine();
  // Bid 1996.40 + maxSpread 0.60 = ask 1997.00: exactly 1R for the sell.
  const orders = risk.manage([SELL], bar("2024-03-20T13:05:00Z", 1996.4, null));
  assert.deepEqual(orders.map((o) => [o.reason, o.stopLoss]), [["BREAKEVEN", 1999.9]]);
});

Deno.test("RiskEngine.manage() closes instead of trailing once a kill switch fired", () => {
  const risk = engine();
  risk.killSwitch(true, "test");
  const orders = risk.manage([BUY], bar("2024-03-20T13:05:00Z", 2006));
  assert.deepEqual(orders.map((o) => [o.action, o.reason]), [["close", "KILL_SWITCH"]]);
  // While its close is pending, the position gets no stop moves.
  risk.killSwitch(false, "");
  assert.deepEqual(risk.manage([BUY], bar("2024-03-20T13:06:00Z", 2007)), []);
});

Deno.test("RiskEngine.manage() ignores other symbols' bars and positions", () => {
  const risk = engine();
  assert.deepEqual(
    risk.manage([BUY], { ...bar("2024-03-20T13:05:00Z", 2006), symbol: "XAGUSD" }),
    [],
  );
  assert.deepEqual(
    risk.manage([{ ...BUY, symbol: "XAGUSD" }], bar("2024-03-20T13:05:00Z", 2006)),
    [],
  );
});

Deno.test("roundStop() gives the number its text to the symbol's digits reads as, for any step count", () => {
  // The reference is the text: (steps x point).toFixed(digits), read back as a number.
  for (const digits of [0, 1, 2, 3, 4, 5]) {
    const point = [1, 0.1, 0.01, 0.001, 0.0001, 0.00001][digits];
    const spec = { ...XAUUSD, point, digits };
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.constantFrom(1, -1), (steps, dir) => {
        // A price a third of a point past the step: rounded to it either way.
        const price = (steps + dir / 3) * point;
        const expected = Math.round(price / point - dir / 3);
        const text = Number((expected * point).toFixed(digits));
        assert.ok(Object.is(roundStop(price, dir as 1 | -1, spec), text), `${steps} x ${point}`);
      }),
      { numRuns: 2000 },
    );
  }
});
