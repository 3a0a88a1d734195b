/**
 * `LevelModel`: stop and target in ATRs of a chosen timeframe, widened together by the
 * cost floor; the numbers by hand with a constant true range.
 */

import assert from "node:assert/strict";
import {
  FUSION_DEFAULTS,
  LevelAtr,
  LevelModel,
  type LevelsConfig,
} from "@/operators/fusion/mod.ts";
import { DEFAULT_COSTS } from "@/operators/execution/mod.ts";
import { US_PER_MINUTE } from "@/pipeline/events.ts";
import { m1, START_US } from "./_fixtures.ts";

const config = (overrides: Partial<LevelsConfig>): LevelsConfig => ({
  ...FUSION_DEFAULTS.levels,
  atrPeriod: 3,
  stopAtr: 1.5,
  takeAtr: 2,
  ...overrides,
});

/**
 * Feeds consecutive flat bars of range 0.1 (m1() puts wicks 0.05 beyond a flat body), so
 * every true range is 0.1; a model's bars go on from where its last feed stopped.
 */
const fed = new WeakMap<LevelModel, number>();
function feed(model: LevelModel, count: number): void {
  const first = fed.get(model) ?? 0;
  for (let i = first; i < first + count; i++) {
    const bar = m1(START_US + i * US_PER_MINUTE, 1200, 1200);
    model.update(bar.openUs, bar.closeUs, bar.bid);
  }
  fed.set(model, first + count);
}

Deno.test("LevelModel.distances() is null until the ATR has its bars, then stopAtr and takeAtr ATRs", () => {
  const model = new LevelModel(config({ atrTimeframe: "M1", minTakeCosts: 0 }), DEFAULT_COSTS);
  assert.deepEqual(model.warmUp, { timeframe: "M1", bars: 4 });
  feed(model, 3);
  assert.equal(
    model.distances(0.3, 1200, START_US),
    null,
    "ATR(3) needs a previous close and 3 ranges",
  );
  feed(model, 1);
  // ATR = 0.1: stop 1.5 x 0.1 = 0.15, target 2 x 0.1 = 0.2.
  const d = model.distances(0.3, 1200, START_US)!;
  assert.ok(
    Math.abs(d.stop - 0.15) < 1e-12 && Math.abs(d.take - 0.2) < 1e-12,
    `${d.stop} ${d.take}`,
  );
  assert.equal(d.floored, false);
});

Deno.test("LevelModel.distances() widens stop and target together up to the cost floor", () => {
  const model = new LevelModel(config({ atrTimeframe: "M1", minTakeCosts: 8 }), DEFAULT_COSTS);
  feed(model, 4);
  // The default profile's round trip: spread 0.30 + 2 x 0.02 slippage + 2 x 3.50 / 100
  // commission = 0.41; floor 8 x 0.41 = 3.28 > target 0.2, so both scale by
  // 3.28 / 0.2 = 16.4: stop 0.15 x 16.4 = 2.46, target 3.28.
  const d = model.distances(0.3, 1200, START_US)!;
  assert.ok(Math.abs(d.take - 3.28) < 1e-12, `${d.take}`);
  assert.ok(Math.abs(d.stop - 2.46) < 1e-12, `${d.stop}`);
  assert.equal(d.floored, true);
});

Deno.test("LevelModel measures a higher timeframe's ATR on closed buckets only", () => {
  const model = new LevelModel(config({ atrTimeframe: "M15", minTakeCosts: 0 }), DEFAULT_COSTS);
  // 4 M15 buckets need 60 M1 bars; the 4th bucket closes with the 60th.
  feed(model, 59);
  assert.equal(model.distances(0.3, 1200, START_US), null);
  feed(model, 1);
  assert.notEqual(model.distances(0.3, 1200, START_US), null);
});

Deno.test("LevelAtr handed its timeframe's closed bars refuses M1 bars and reads the ones handed", () => {
  const atr = new LevelAtr({ atrTimeframe: "H1", atrPeriod: 2 }, { closedBarsFed: true });
  const bar = { open: 10, high: 11, low: 9, close: 10 };
  assert.throws(() => atr.update(0, 60_000_000, bar), /handed its closed bars/);
  // The first bar only primes the true range; the next two (high 11, low 9, previous close
  // 10: true range 2 each) give Wilder's start, their mean: 2.
  atr.closed(bar);
  atr.closed(bar);
  assert.ok(Number.isNaN(atr.value), "warming up after two bars");
  atr.closed(bar);
  assert.equal(atr.value, 2);
});
